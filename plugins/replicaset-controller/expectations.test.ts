// Expectations: while the informer has not seen the pods a sync created (or deleted), further
// syncs of that owner must not create (or delete) again. The reconcile function is driven directly
// here, back to back, on a real kernel and real informers, so the informer lags the creates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PODS, REPLICA_SETS, type Pod } from '@skiff/api';
import { EventRecorder, Expectations, SharedInformerFactory, type ControllerRuntime, type Reconcile } from '@skiff/client';
import { createConsoleLogger, type PluginContext } from '@skiff/kernel/plugins';
import { eventually, sleep, startControllers, startTestKernel, type ControllerTestEnv, type TestKernel } from '../../client/testing.ts';
import { REPLICA_SET_KIND } from './kinds.ts';
import controller from './plugin.ts';
import { setupReplicaSync, type ReplicaControllerConfig } from './sync.ts';
import { createRS, NS, podsOf } from './testing.ts';

/**
 * The reconcile function over a real kernel and shared informers, without the kit's queue. With
 * `blindPods` its pod informer selects nothing: an informer that never catches up.
 */
async function direct(t: TestKernel, blindPods = false) {
  const abort = new AbortController();
  const factory = SharedInformerFactory.for(t.kernel);
  const leases: (() => void)[] = [];
  const logger = createConsoleLogger({ level: 'silent' });
  const expectations = new Expectations();
  const recorder = new EventRecorder(t.kernel, 'replicaset-controller', logger);
  const runtime: ControllerRuntime<ReplicaControllerConfig> = {
    name: 'replicaset-controller', kernel: t.kernel, logger, config: { burstReplicas: 500 }, signal: abort.signal,
    recorder, expectations, leading: true, ctx: undefined as unknown as PluginContext<ReplicaControllerConfig>,
    informer(ref) {
      const lease = factory.acquire(ref, blindPods && ref === PODS ? { labelSelector: 'skiff.test/never=1' } : {});
      leases.push(lease.release);
      return lease.informer as never;
    },
    enqueue() {},
    enqueueAfter() {},
    onLeading() {},
    reportRuntime() {},
  };
  const reconcile: Reconcile = setupReplicaSync(REPLICA_SET_KIND, runtime);
  const pods = factory.acquire<Pod>(PODS, blindPods ? { labelSelector: 'skiff.test/never=1' } : {});
  leases.push(pods.release);
  await Promise.all([pods.informer.synced, factory.acquire(REPLICA_SETS).informer.synced]);
  return {
    reconcile,
    expectations,
    seenPods: () => pods.informer.indexer.size,
    async stop() {
      abort.abort();
      await recorder.stop();
      for (const r of leases) r();
    },
  };
}

describe('expectations (reconcile driven directly)', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
  });
  afterAll(() => t?.stop());

  it('syncs while the informer has not seen the creates create nothing more', async () => {
    const d = await direct(t, true);
    const rs = await createRS(t.kernel, 'lag', { replicas: 40 });
    await eventually(async () => {
      await d.reconcile('default/lag');
      return (await podsOf(t.kernel, rs)).length > 0;
    });
    expect((await podsOf(t.kernel, rs)).length).toBe(40);
    expect(d.seenPods()).toBe(0);
    expect(d.expectations.satisfied('default/lag')).toBe(false);
    for (let i = 0; i < 10; i++) await d.reconcile('default/lag');
    expect((await podsOf(t.kernel, rs)).length).toBe(40);
    // once the expectations are gone (as after their TTL), the blind informer makes it create again
    d.expectations.forget('default/lag');
    await d.reconcile('default/lag');
    expect((await podsOf(t.kernel, rs)).length).toBe(80);
    await t.kernel.delete(REPLICA_SETS, NS, 'lag');
    await d.stop();
  });

  it('syncs back to back with a live informer create exactly spec.replicas pods', async () => {
    const d = await direct(t);
    const rs = await createRS(t.kernel, 'live', { replicas: 60 });
    await eventually(async () => {
      await d.reconcile('default/live');
      return (await podsOf(t.kernel, rs)).length > 0;
    });
    for (let i = 0; i < 20; i++) await d.reconcile('default/live');
    await eventually(() => d.expectations.satisfied('default/live'), 5000, 'every create observed');
    for (let i = 0; i < 5; i++) await d.reconcile('default/live');
    expect((await podsOf(t.kernel, rs)).length).toBe(60);
    await d.stop();
  });

  it('deletes are expected by pod key: no second round of deletes before they are seen', async () => {
    const d = await direct(t);
    const rs = await createRS(t.kernel, 'shrink', { replicas: 30 });
    await eventually(async () => {
      await d.reconcile('default/shrink');
      return d.expectations.satisfied('default/shrink') && (await podsOf(t.kernel, rs)).length === 30;
    });
    await t.kernel.patch(REPLICA_SETS, NS, 'shrink', 'merge', { spec: { replicas: 10 } });
    await eventually(async () => {
      await d.reconcile('default/shrink');
      return (await podsOf(t.kernel, rs)).length < 30;
    });
    for (let i = 0; i < 20; i++) await d.reconcile('default/shrink');
    await eventually(() => d.expectations.satisfied('default/shrink'), 5000);
    await d.reconcile('default/shrink');
    expect((await podsOf(t.kernel, rs, true)).length).toBe(10);
    await d.stop();
  });
});

describe('expectations (through the plugin)', () => {
  let env: ControllerTestEnv;
  beforeAll(async () => {
    env = await startControllers([{ descriptor: controller }]);
  });
  afterAll(() => env?.stop());

  it('a burst of updates during a scale-up leaves exactly spec.replicas pods', async () => {
    const k = env.t.kernel;
    const rs = await createRS(k, 'burst', { replicas: 0 });
    await k.patch(REPLICA_SETS, NS, 'burst', 'merge', { spec: { replicas: 150 } });
    // every update enqueues the ReplicaSet again while its creates are in flight
    for (let i = 0; i < 40; i++) await k.patch(REPLICA_SETS, NS, 'burst', 'merge', { metadata: { annotations: { poke: String(i) } } });
    await eventually(async () => (await podsOf(k, rs)).length >= 150, 20_000, '150 pods');
    await sleep(500);
    expect((await podsOf(k, rs)).length).toBe(150);
    expect(env.warnings).toEqual([]);
  });
});
