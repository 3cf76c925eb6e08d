// Expectations against a lagging informer: syncs run back to back, before the pod informer has seen
// the pods the first one made, must not make a second pod for any node. The pod informer here watches
// through a slow link (every event arrives LAG ms late); a controller without expectations is the
// control that shows the lag bites.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAEMON_SETS, PODS, type DaemonSet, type KObject, type ResourceRef } from '@skiff/api';
import { EventRecorder, Expectations, SharedInformer, SharedInformerFactory, type ControllerRuntime } from '@skiff/client';
import type { Kernel, Watch, WatchEvent } from '@skiff/kernel';
import { createConsoleLogger } from '@skiff/kernel/plugins';
import { startTestKernel, eventually, sleep, type TestKernel } from '@skiff/kernel/testing';
import { daemonSetReconciler, type DaemonSetControllerConfig } from './sync.ts';
import { createReadyNode, daemonSet } from './testing.ts';

let t: TestKernel;
const N = 20;
const LAG = 3000;
const cleanups: (() => void)[] = [];

/** The kernel, with watch events delivered `lag` ms late (a slow link; reads and writes as usual). */
function slowWatches(kernel: Kernel, lag: number): Kernel {
  const watch = (ref: ResourceRef, opts?: Parameters<Kernel['watch']>[1]): Watch => {
    const inner = kernel.watch(ref, opts);
    const ready: WatchEvent[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    void (async () => {
      for await (const e of inner) setTimeout(() => (ready.push(e), wake?.()), lag);
      setTimeout(() => ((done = true), wake?.()), lag);
    })();
    return {
      stop: () => inner.stop(),
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (ready.length) yield ready.shift()!;
          if (done) return;
          await new Promise<void>((r) => (wake = r));
        }
      },
    };
  };
  return new Proxy(kernel, { get: (k, p) => (p === 'watch' ? watch : Reflect.get(k, p, k)) });
}

/** A controller runtime without the kit's queue (the test calls the reconcile); pods seen late. */
function runtime(expectations: Expectations): ControllerRuntime<DaemonSetControllerConfig> {
  const factory = SharedInformerFactory.for(t.kernel);
  const slowPods = new SharedInformer(slowWatches(t.kernel, LAG), PODS);
  void slowPods.start();
  const abort = new AbortController();
  cleanups.push(() => (abort.abort(), slowPods.stop()));
  const logger = createConsoleLogger({ level: 'silent' });
  return {
    name: 'daemonset-controller', kernel: t.kernel, logger, signal: abort.signal,
    config: { deletePodsOfMissingNodes: true, templateGenerationAdmission: false, burstReplicas: 250 },
    recorder: new EventRecorder(t.kernel, 'daemonset-controller', logger),
    expectations,
    informer<T extends KObject>(ref: ResourceRef) {
      if (ref === PODS) return slowPods as unknown as SharedInformer<T>;
      const lease = factory.acquire<T>(ref);
      cleanups.push(lease.release);
      return lease.informer;
    },
    enqueue() {},
    enqueueAfter() {},
    onLeading() {},
    reportRuntime() {},
    leading: true,
    ctx: undefined as never,
  };
}

/** Run four syncs back to back; count the pods created (watch ADDED events, straight from the kernel). */
async function syncBackToBack(name: string, expectations: Expectations): Promise<{ created: number; nodes: number }> {
  const seen = new Map<string, string>();
  const w = t.kernel.watch(PODS, { namespace: 'default', labelSelector: `app=${name}` });
  cleanups.push(() => w.stop());
  void (async () => {
    for await (const e of w) if (e.type === 'ADDED') seen.set(e.object.metadata.name!, JSON.stringify(e.object.spec));
  })();
  await t.kernel.create(DAEMON_SETS, daemonSet(name));
  const c = runtime(expectations);
  const reconcile = daemonSetReconciler(c);
  await eventually(() => (c.informer(DAEMON_SETS).lister.get('default', name) as DaemonSet | undefined) && c.informer(PODS).hasSynced, 5000, 'informers');
  const start = Date.now();
  for (let i = 0; i < 4; i++) await reconcile(`default/${name}`);
  // the syncs all ran before the first pod event reached the informer
  expect(Date.now() - start).toBeLessThan(LAG);
  await sleep(500);
  const targets = new Set([...seen.values()].map((s) => JSON.parse(s).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values[0]));
  return { created: seen.size, nodes: targets.size };
}

beforeAll(async () => {
  t = await startTestKernel();
  await Promise.all(Array.from({ length: N }, (_, i) => createReadyNode(t.kernel, `n${i}`)));
});
afterAll(async () => {
  cleanups.forEach((f) => f());
  await sleep(LAG);
  await t?.stop();
});

class Blind extends Expectations {
  override satisfied(): boolean {
    return true;
  }
}

describe('expectations', () => {
  it('syncs back to back, ahead of the informer, make one pod per node', async () => {
    expect(await syncBackToBack('race', new Expectations())).toEqual({ created: N, nodes: N });
  });

  it('(control) without expectations the same syncs make pods twice', async () => {
    const r = await syncBackToBack('blind', new Blind());
    expect(r.nodes).toBe(N);
    expect(r.created).toBe(4 * N);
  });
});
