import { describe, expect, it } from 'vitest';
import { errors } from '@skiff/kernel';
import type { Kernel, KObject } from '@skiff/kernel';
import { kernelObjectReader, memoizedReader, notFoundMessage, objectData, objectStrings, staticObjectReader, type ObjectReader } from './object-reader.ts';
import { configMap, secret } from './testing.ts';

describe('object readers', () => {
  it('kernelObjectReader: core/v1 configmaps and secrets; NotFound → undefined; other errors thrown', async () => {
    const calls: string[] = [];
    const cm = configMap('cfg', { a: '1' }) as KObject;
    const kernel: Pick<Kernel, 'get'> = {
      async get(ref, ns, name) {
        calls.push(`${ref.group}/${ref.version}/${ref.resource} ${ns}/${name}`);
        if (name === 'cfg') return cm;
        if (name === 'boom') throw errors.forbidden('no');
        throw errors.notFound({ group: '', resource: ref.resource }, name);
      },
    };
    const r = kernelObjectReader(kernel);
    expect(await r.get('ConfigMap', 'ns1', 'cfg')).toBe(cm);
    expect(await r.get('Secret', 'ns1', 'nope')).toBeUndefined();
    await expect(r.get('Secret', 'ns1', 'boom')).rejects.toThrow('no');
    expect(calls).toEqual(['/v1/configmaps ns1/cfg', '/v1/secrets ns1/nope', '/v1/secrets ns1/boom']);
  });

  it('staticObjectReader matches kind, namespace and name', async () => {
    const r = staticObjectReader([configMap('a', {}), secret('a', {}), configMap('a', { x: 'y' }, 'other')]);
    expect(await r.get('ConfigMap', 'other', 'a')).toMatchObject({ data: { x: 'y' } });
    expect(await r.get('Secret', 'ns1', 'a')).toMatchObject({ kind: 'Secret' });
    expect(await r.get('Secret', 'other', 'a')).toBeUndefined();
  });

  it('memoizedReader reads each object once, but retries failures', async () => {
    let n = 0;
    let fail = true;
    const base: ObjectReader = {
      async get() {
        n++;
        if (fail) {
          fail = false;
          throw new Error('transient');
        }
        return undefined;
      },
    };
    const r = memoizedReader(base);
    await expect(r.get('ConfigMap', 'a', 'b')).rejects.toThrow('transient');
    expect(await r.get('ConfigMap', 'a', 'b')).toBeUndefined();
    expect(await r.get('ConfigMap', 'a', 'b')).toBeUndefined();
    expect(n).toBe(2);
  });

  it('decodes data: ConfigMap text + binaryData, Secret base64', () => {
    const cm = configMap('c', { t: 'text' }, 'ns1', { b: Buffer.from([0, 1, 255]).toString('base64') });
    expect([...objectData('ConfigMap', cm)]).toEqual([['t', Buffer.from('text')], ['b', Buffer.from([0, 1, 255])]]);
    expect([...objectStrings('ConfigMap', cm)]).toEqual([['t', 'text']]); // env ignores binaryData
    const s = secret('s', { k: 'välue' });
    expect(objectData('Secret', s).get('k')!.toString()).toBe('välue');
    expect(objectStrings('Secret', s).get('k')).toBe('välue');
    expect(notFoundMessage('ConfigMap', 'x')).toBe('configmap "x" not found');
    expect(notFoundMessage('Secret', 'x')).toBe('secret "x" not found');
  });
});
