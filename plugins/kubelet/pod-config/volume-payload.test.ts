import { describe, expect, it } from 'vitest';
import { staticObjectReader } from './object-reader.ts';
import { downwardAPIPayload, makePayload, volumePayload } from './volume-payload.ts';
import { configMap, mkPod, secret } from './testing.ts';
import type { Payload } from './atomic-writer.ts';
import type { Volume } from './types.ts';

const pod = mkPod(
  { containers: [{ name: 'app', resources: { limits: { cpu: '500m', memory: '64Mi' } } }] },
  { labels: { b: '2', a: '1' }, annotations: { note: 'x' } },
);
const reader = staticObjectReader([
  configMap('cfg', { 'app.conf': 'x=1', other: 'o' }, 'ns1', { 'bin.dat': Buffer.from([1, 2, 3]).toString('base64') }),
  secret('creds', { user: 'admin', pass: 'pw' }),
]);
const ctx = { pod, reader, nodeAllocatable: { cpu: '4', memory: '8Gi' } };
const show = (p: Payload) => Object.fromEntries([...p].map(([k, v]) => [k, [v.data.toString(), v.mode.toString(8)]]));
const payloadOf = async (v: Omit<Volume, 'name'>) => show((await volumePayload({ name: 'v', ...v } as Volume, ctx))!.payload);

describe('volume payloads', () => {
  it('configMap: every key (data and binaryData) with defaultMode (0644 by default)', async () => {
    expect(await payloadOf({ configMap: { name: 'cfg' } })).toEqual({ 'app.conf': ['x=1', '644'], other: ['o', '644'], 'bin.dat': ['\x01\x02\x03', '644'] });
    expect(await payloadOf({ configMap: { name: 'cfg', defaultMode: 0o400 } })).toMatchObject({ other: ['o', '400'] });
  });

  it('configMap items: only those, at their paths, with their modes', async () => {
    expect(
      await payloadOf({ configMap: { name: 'cfg', defaultMode: 0o440, items: [{ key: 'app.conf', path: 'etc/app.conf', mode: 0o600 }, { key: 'other', path: 'o' }] } }),
    ).toEqual({ 'etc/app.conf': ['x=1', '600'], o: ['o', '440'] });
  });

  it('missing keys and objects: errors unless optional', async () => {
    await expect(payloadOf({ configMap: { name: 'cfg', items: [{ key: 'nope', path: 'n' }] } })).rejects.toThrow('configmap references non-existent config key: nope');
    expect(await payloadOf({ configMap: { name: 'cfg', optional: true, items: [{ key: 'nope', path: 'n' }, { key: 'other', path: 'o' }] } })).toEqual({ o: ['o', '644'] });
    await expect(payloadOf({ configMap: { name: 'absent' } })).rejects.toThrow('configmap "absent" not found');
    expect(await payloadOf({ configMap: { name: 'absent', optional: true } })).toEqual({});
    await expect(payloadOf({ secret: { secretName: 'creds', items: [{ key: 'nope', path: 'n' }] } })).rejects.toThrow('references non-existent secret key: nope');
    await expect(payloadOf({ secret: { secretName: 'absent' } })).rejects.toThrow('secret "absent" not found');
    expect(await payloadOf({ secret: { secretName: 'absent', optional: true } })).toEqual({});
  });

  it('secret: decoded data', async () => {
    expect(await payloadOf({ secret: { secretName: 'creds', defaultMode: 0o400 } })).toEqual({ user: ['admin', '400'], pass: ['pw', '400'] });
  });

  it('downwardAPI: metadata fields and resources (limits defaulted from allocatable)', async () => {
    expect(
      await payloadOf({
        downwardAPI: {
          items: [
            { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
            { path: 'name', fieldRef: { fieldPath: 'metadata.name' }, mode: 0o600 },
            { path: 'a', fieldRef: { fieldPath: "metadata.labels['a']" } },
            { path: 'cpu', resourceFieldRef: { containerName: 'app', resource: 'limits.cpu', divisor: '1m' } },
            { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'requests.memory' } },
            { path: './dir/../x', fieldRef: { fieldPath: 'metadata.uid' } },
          ],
        },
      }),
    ).toEqual({
      labels: ['a="1"\nb="2"', '644'],
      name: ['web', '600'],
      a: ['1', '644'],
      cpu: ['500', '644'],
      mem: ['0', '644'],
      x: ['uid-1234', '644'],
    });
    // a volume cannot name spec / status fields, and errors are aggregated
    expect(() => downwardAPIPayload([{ path: 'n', fieldRef: { fieldPath: 'spec.nodeName' } }], 0o644, ctx)).toThrow('unsupported fieldPath: spec.nodeName');
    expect(() =>
      downwardAPIPayload(
        [
          { path: 'n', fieldRef: { fieldPath: 'spec.nodeName' } },
          { path: 'c', resourceFieldRef: { containerName: 'x', resource: 'limits.cpu' } },
        ],
        0o644,
        ctx,
      ),
    ).toThrow('[unsupported fieldPath: spec.nodeName, container x not found]');
  });

  it('projected: sources merged in order with the volume defaultMode; serviceAccountToken left out with a warning', async () => {
    const r = await volumePayload(
      {
        name: 'p',
        projected: {
          defaultMode: 0o440,
          sources: [
            { configMap: { name: 'cfg', items: [{ key: 'app.conf', path: 'app.conf' }] } },
            { secret: { name: 'creds', items: [{ key: 'user', path: 'user', mode: 0o400 }] } },
            { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
            { serviceAccountToken: { path: 'token' } },
            { configMap: { name: 'absent', optional: true } },
          ],
        },
      },
      ctx,
    );
    expect(show(r!.payload)).toEqual({ 'app.conf': ['x=1', '440'], user: ['admin', '400'], ns: ['ns1', '440'] });
    expect(r!.warnings).toEqual(['serviceAccountToken projection (token) is not supported: left out']);
    await expect(payloadOf({ projected: { sources: [{ configMap: { name: 'absent' } }, { secret: { name: 'gone' } }] } })).rejects.toThrow(
      '[configmap "absent" not found, secret "gone" not found]',
    );
  });

  it('makePayload keeps the data bytes as they are', () => {
    const p = makePayload('Secret', undefined, new Map([['k', Buffer.from([0, 255])]]), 0o644, false);
    expect(p.get('k')!.data).toEqual(Buffer.from([0, 255]));
  });

  it('other volume kinds have no payload', async () => {
    expect(await volumePayload({ name: 'e', emptyDir: {} }, ctx)).toBeUndefined();
  });
});
