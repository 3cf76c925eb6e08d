// The open-loop pod creator and the deletion wait of bench/_node.ts, against a real kernel (NATS)
// with this test as the node: it binds and starts pods by writing what a scheduler and a kubelet
// write, so what the creator sees comes through the kernel's watch as it does on a real node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { deleteAndWait, latencies, openLoopPods, PODS_REF } from './_node.ts';

const NS = 'default';
const pod = (name: string): KObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

describe('openLoopPods', () => {
  let tk: TestKernel;
  beforeAll(async () => {
    tk = await startTestKernel();
  });
  afterAll(() => tk?.stop());

  it('issues creates at the rate, times each pod from when it was due to scheduled and Running, and gives up on one that never runs', async () => {
    const k = tk.kernel;
    // the in-process kernel's first Pod create compiles the schema (a second, in the loop's thread)
    await k.create(PODS_REF, pod('warm-up'));
    await k.delete(PODS_REF, NS, 'warm-up');
    // the "node": each new pod is bound at once and Running 200 ms later, but `p-stuck`, which stays Pending
    const w = k.watch(PODS_REF, { namespace: NS });
    const node = (async () => {
      for await (const ev of w) {
        if (ev.type !== 'ADDED' || ev.object.metadata.name === 'p-stuck') continue;
        const name = ev.object.metadata.name!;
        void (async () => {
          const bound = await k.update(PODS_REF, { ...ev.object, spec: { ...(ev.object.spec as object), nodeName: 'n1' } });
          await new Promise((r) => setTimeout(r, 200));
          await k.update(PODS_REF, { ...bound, status: { phase: 'Running' } }, { subresource: 'status' });
        })().catch((e) => console.error(name, e));
      }
    })();
    const names = ['p-0', 'p-1', 'p-2', 'p-stuck', 'Bad_Name'];
    const t0 = performance.now();
    const { times, failedCreates } = await openLoopPods({ kernel: k, namespace: NS, names, rate: 20, timeoutMs: 1_000, create: (name) => k.create(PODS_REF, pod(name)) });
    w.stop();
    await node;

    // an invalid name is a failed create, counted, not thrown
    expect(failedCreates).toEqual(['Bad_Name']);
    // due every 50 ms from the start (the loop never fell behind by much)
    const due = names.map((n) => times.get(n)!.due);
    due.forEach((d, i) => expect(Math.abs(d - due[0]! - i * 50)).toBeLessThan(40));
    expect(due[0]! - t0).toBeLessThan(40);
    // scheduled before Running, Running at least the node's 200 ms after due
    for (const n of ['p-0', 'p-1', 'p-2']) {
      const t = times.get(n)!;
      expect(t.scheduled).toBeDefined();
      expect(t.running! - t.due).toBeGreaterThanOrEqual(200);
      expect(t.running!).toBeGreaterThan(t.scheduled!);
    }
    expect(times.get('p-stuck')!.running).toBeUndefined();
    expect(latencies(times, 'running')).toHaveLength(3);
    // it waited for p-stuck up to its timeout after the last create, not for ever
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1_000);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('deleteAndWait: [] once the objects are gone; what a finalizer holds is returned after the timeout', async () => {
    const k = tk.kernel;
    await k.create(PODS_REF, pod('d-0'));
    await k.create(PODS_REF, { ...pod('d-held'), metadata: { name: 'd-held', namespace: NS, finalizers: ['example.com/hold'] } });
    expect(await deleteAndWait(k, PODS_REF, NS, ['d-0'], 5_000)).toEqual([]);
    const t0 = Date.now();
    expect(await deleteAndWait(k, PODS_REF, NS, ['d-held', 'not-there'], 1_000)).toEqual(['d-held']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
    const held = await k.get(PODS_REF, NS, 'd-held');
    await k.update(PODS_REF, { ...held, metadata: { ...held.metadata, finalizers: [] } });
  });
});
