import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKernel, sleep, type TestKernel } from './testing.ts';
import { isStatusError } from './status.ts';

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

describe('kernel guards on watch and delete options', () => {
  it('refuses a negative or fractional watch timeout with 400', async () => {
    expect(await codeOf(() => t.kernel.watch(cmRef, { timeoutSeconds: -5 }))).toBe(400);
    expect(await codeOf(() => t.kernel.watch(cmRef, { timeoutSeconds: 0.5 }))).toBe(400);
  });
  it('keeps a watch with a timeout longer than a timer holds open (it is capped, not fired at once)', async () => {
    const w = t.kernel.watch(cmRef, { timeoutSeconds: 10 ** 9, resourceVersion: '0' });
    let ended = false;
    const done = (async () => {
      for await (const _ of w);
      ended = true;
    })();
    await sleep(300);
    expect(ended).toBe(false);
    w.stop();
    await done;
  });
  it('refuses a resourceVersion past any revision with 400, at once', async () => {
    const t0 = Date.now();
    expect(await codeOf(() => t.kernel.list(cmRef, { resourceVersion: '99999999999999999999' }))).toBe(400);
    expect(await codeOf(() => t.kernel.watch(cmRef, { resourceVersion: '99999999999999999999' }))).toBe(400);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
  it('refuses a negative grace period with 400', async () => {
    await t.kernel.create(cmRef, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'g', namespace: 'default' } });
    expect(await codeOf(() => t.kernel.delete(cmRef, 'default', 'g', { gracePeriodSeconds: -1 }))).toBe(400);
    expect(await codeOf(() => t.kernel.delete(cmRef, 'default', 'g', { gracePeriodSeconds: 1e308 }))).toBe(400);
    expect((await t.kernel.get(cmRef, 'default', 'g')).metadata.name).toBe('g');
  });
});

describe('kernel guard on bindings', () => {
  it('answers a binding of a pod name that cannot exist with 404, without a NATS message', async () => {
    const before = t.nc.stats().outMsgs;
    const long = 'p'.repeat(5000);
    const code = await codeOf(() =>
      t.kernel.create({ group: '', version: 'v1', resource: 'pods' }, { apiVersion: 'v1', kind: 'Binding', metadata: { name: long, namespace: 'default' }, target: { kind: 'Node', name: 'n' } } as never, { subresource: 'binding' }),
    );
    expect(code).toBe(404);
    expect(t.nc.stats().outMsgs).toBe(before);
    expect(t.nc.isClosed()).toBe(false);
  });
});
