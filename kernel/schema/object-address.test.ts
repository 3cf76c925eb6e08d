import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKernel, type TestKernel } from '../testing.ts';
import { checkObjectAddress, possibleName, possibleNamespace } from './object-address.ts';
import { isStatusError } from '../status.ts';
import type { KindDefinition } from './kind-definition.ts';

const cmRef = { group: '', version: 'v1', resource: 'configmaps' };
const nsRef = { group: '', version: 'v1', resource: 'namespaces' };
const long = 'a'.repeat(5000);

function statusOf(fn: () => unknown): { code: number; reason: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (!isStatusError(e)) throw e;
    return { code: e.code, reason: e.reason };
  }
}

describe('object addresses', () => {
  const cm = { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true } as KindDefinition;
  it('allows what create allows, nothing else', () => {
    expect(possibleName(cm, 'a.b-c')).toBe(true);
    expect(possibleName(cm, 'a'.repeat(253))).toBe(true);
    expect(possibleName(cm, 'a'.repeat(254))).toBe(false);
    expect(possibleName(cm, 'Upper')).toBe(false);
    expect(possibleNamespace('a'.repeat(63))).toBe(true);
    expect(possibleNamespace('a'.repeat(64))).toBe(false);
    expect(possibleNamespace('a.b')).toBe(false);
  });
  it('answers 404 for a name or namespace that cannot exist, 400 for no name', () => {
    expect(statusOf(() => checkObjectAddress(cm, 'default', long))).toEqual({ code: 404, reason: 'NotFound' });
    expect(statusOf(() => checkObjectAddress(cm, long, 'x'))).toEqual({ code: 404, reason: 'NotFound' });
    expect(statusOf(() => checkObjectAddress(cm, 'default', ''))).toEqual({ code: 400, reason: 'BadRequest' });
    expect(statusOf(() => checkObjectAddress(cm, 'default', 42))).toEqual({ code: 400, reason: 'BadRequest' });
    expect(statusOf(() => checkObjectAddress(cm, 'default', 'ok'))).toBeUndefined();
  });
});

describe('the kernel guards names before the store', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('answers get, update, patch and delete of impossible names without a NATS message', async () => {
    const k = t.kernel;
    await k.create(cmRef, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'real', namespace: 'default' }, data: { a: '1' } });
    await k.get(cmRef, 'default', 'real'); // warm up whatever the first read sends
    const before = t.nc.stats().outMsgs;
    const attempts: [string, () => Promise<unknown>][] = [
      ['get name', () => k.get(cmRef, 'default', long)],
      ['get namespace', () => k.get(cmRef, long, 'real')],
      ['get namespace kind', () => k.get(nsRef, undefined, 'a'.repeat(64))],
      ['update', () => k.update(cmRef, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: long, namespace: 'default' } })],
      ['patch', () => k.patch(cmRef, 'default', long, 'merge', { data: { b: '2' } })],
      ['patch scale', () => k.patch({ group: 'apps', version: 'v1', resource: 'deployments' }, 'default', long, 'merge', { spec: { replicas: 2 } }, { subresource: 'scale' })],
      ['delete', () => k.delete(cmRef, 'default', long)],
      ['delete namespace', () => k.delete(cmRef, 'Not_A_Namespace', 'real')],
    ];
    for (const [what, op] of attempts) {
      const e = await op().then(() => undefined, (x: unknown) => x);
      expect(isStatusError(e), what).toBe(true);
      expect((e as { code: number }).code, what).toBe(404);
    }
    expect(t.nc.stats().outMsgs).toBe(before);
    expect(t.nc.isClosed()).toBe(false);
    // the connection still serves: a fresh read goes to the store and finds the object
    expect((await k.get(cmRef, 'default', 'real')).data).toEqual({ a: '1' });
  });

  it('lists and watches in a namespace that cannot exist as Kubernetes does: nothing, from memory', async () => {
    const before = t.nc.stats().outMsgs;
    const l = await t.kernel.list(cmRef, { namespace: long, resourceVersion: '0' });
    expect(l.items).toEqual([]);
    const w = t.kernel.watch(cmRef, { namespace: long, resourceVersion: '0', timeoutSeconds: 1 });
    const events: unknown[] = [];
    for await (const e of w) events.push(e);
    expect(events).toEqual([]);
    expect(t.nc.stats().outMsgs).toBe(before);
  });
});
