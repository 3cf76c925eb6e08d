// What writes store, whatever brought the fields: unknown ObjectMeta fields are dropped (kube decodes
// metadata into a typed struct), `__proto__` is a plain key everywhere (validated like any other),
// strategic merge directives act and are never stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKernel, type TestKernel } from './testing.ts';
import { isStatusError } from './status.ts';
import type { KObject } from './types.ts';

const cmRef = { group: '', version: 'v1', resource: 'configmaps' };
let t: TestKernel;
beforeAll(async () => {
  t = await startTestKernel();
});
afterAll(async () => {
  await t?.stop();
});

const codeOf = async (fn: () => unknown) => {
  try {
    await fn();
  } catch (e) {
    if (isStatusError(e)) return e.code;
    throw e;
  }
  return undefined;
};

let n = 0;
async function cm(extra: Record<string, unknown> = {}): Promise<KObject> {
  return t.kernel.create(cmRef, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `ws-${++n}`, namespace: 'default' }, data: { a: '1' }, ...extra } as KObject);
}
const stored = (o: KObject) => t.kernel.get(cmRef, 'default', o.metadata.name!);

describe('metadata as kube stores it', () => {
  it('drops unknown metadata fields and nulls on create, update and every kind of patch', async () => {
    const a = await t.kernel.create(cmRef, JSON.parse('{"metadata":{"name":"ws-meta","namespace":"default","$anything":1,"clusterName":"x","labels":null,"annotations":{"k":"v"}}}'));
    expect(Object.keys(a.metadata).sort()).toEqual(['annotations', 'creationTimestamp', 'generation', 'managedFields', 'name', 'namespace', 'resourceVersion', 'uid']);
    for (const [type, patch] of [
      ['merge', { metadata: { $anything: 1 } }],
      ['apply', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { bogus: { x: 1 } } }],
      ['strategic', { metadata: { $anything: 1, other: 2 } }],
      ['json', [{ op: 'add', path: '/metadata/$anything', value: 1 }]],
    ] as const) {
      const o = await t.kernel.patch(cmRef, 'default', 'ws-meta', type, patch, { fieldManager: 'test' });
      expect(Object.keys(o.metadata).filter((k) => k.startsWith('$') || k === 'bogus' || k === 'other'), type).toEqual([]);
    }
    const got = await t.kernel.get(cmRef, 'default', 'ws-meta');
    expect(JSON.stringify(got.metadata)).not.toMatch(/\$anything|bogus|"other"|clusterName/);
    const u = await t.kernel.update(cmRef, { ...got, metadata: { ...got.metadata, $x: 1, labels: { a: 'b' } } } as KObject);
    expect(u.metadata.labels).toEqual({ a: 'b' });
    expect(Object.hasOwn(u.metadata, '$x')).toBe(false);
  });

  it('a strategic $patch: delete removes the field, replace replaces it', async () => {
    const o = await cm({ metadata: { name: 'ws-smp', namespace: 'default', labels: { a: 'b', c: 'd' } } });
    const del = await t.kernel.patch(cmRef, 'default', o.metadata.name!, 'strategic', { data: { $patch: 'delete' } });
    expect(del.data).toBeUndefined();
    const rep = await t.kernel.patch(cmRef, 'default', o.metadata.name!, 'strategic', { metadata: { labels: { $patch: 'replace', x: 'y' } } });
    expect(rep.metadata.labels).toEqual({ x: 'y' });
    expect(JSON.stringify(await stored(o))).not.toContain('$patch');
  });
});

describe('__proto__ is a plain key', () => {
  it('a ConfigMap data key __proto__ is stored as such (create, merge patch, update)', async () => {
    const o = await t.kernel.create(cmRef, JSON.parse('{"metadata":{"name":"ws-proto","namespace":"default"},"data":{"__proto__":"x","b":"y"}}'));
    expect(Object.hasOwn(o.data as object, '__proto__')).toBe(true);
    const got = await stored(o);
    expect(JSON.stringify(got.data)).toBe('{"__proto__":"x","b":"y"}');
    const p = await t.kernel.patch(cmRef, 'default', 'ws-proto', 'merge', JSON.parse('{"data":{"__proto__":"z"}}'));
    expect(JSON.stringify(p.data)).toBe('{"__proto__":"z","b":"y"}');
    const s = await t.kernel.patch(cmRef, 'default', 'ws-proto', 'strategic', JSON.parse('{"data":{"__proto__":"w"}}'));
    expect(JSON.stringify(s.data)).toBe('{"__proto__":"w","b":"y"}');
    expect(JSON.stringify((await stored(o)).data)).toBe('{"__proto__":"w","b":"y"}');
    expect(({} as Record<string, unknown>).b).toBeUndefined();
  });

  it('a label key __proto__ is validated as a label key: 422, nothing stored', async () => {
    expect(await codeOf(() => t.kernel.create(cmRef, JSON.parse('{"metadata":{"name":"ws-proto-label","namespace":"default","labels":{"__proto__":"x"}}}')))).toBe(422);
    expect(await codeOf(() => t.kernel.get(cmRef, 'default', 'ws-proto-label'))).toBe(404);
    const o = await cm();
    expect(await codeOf(() => t.kernel.patch(cmRef, 'default', o.metadata.name!, 'merge', JSON.parse('{"metadata":{"labels":{"__proto__":"x"}}}')))).toBe(422);
    expect(await codeOf(() => t.kernel.patch(cmRef, 'default', o.metadata.name!, 'json', [{ op: 'add', path: '/metadata/labels', value: JSON.parse('{"__proto__":"x"}') }]))).toBe(422);
    expect((await stored(o)).metadata.labels).toBeUndefined();
  });
});

describe('defaults of plain string fields', () => {
  it('"" is unset, as in Go: a Service sessionAffinity/type/protocol "" and a pod restartPolicy "" get their defaults', async () => {
    const svc = await t.kernel.create({ group: '', version: 'v1', resource: 'services' }, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'ws-svc', namespace: 'default' },
      spec: { type: '', sessionAffinity: '', selector: { a: 'b' }, ports: [{ port: 80, protocol: '' }] },
    } as unknown as KObject);
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] });
    const pod = await t.kernel.create({ group: '', version: 'v1', resource: 'pods' }, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'ws-pod', namespace: 'default' },
      spec: { restartPolicy: '', dnsPolicy: '', containers: [{ name: 'c', image: 'x:1', imagePullPolicy: '', terminationMessagePolicy: '' }] },
    } as unknown as KObject);
    expect(pod.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', containers: [{ imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File' }] });
  });
});
