// disruptedPods (written by the eviction subresource) on a real kernel: counted as disrupted until
// the pod terminates or DeletionTimeout passes; stale DisruptionTarget conditions reset; and a
// restarted controller that finds nothing to change writes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, NAMESPACES, PODS, POD_DISRUPTION_BUDGETS, isConflict, type KObject, type Pod, type PodDisruptionBudget } from '@skiff/api';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { startControllers, eventually, sleep, type ControllerTestEnv } from '../../client/testing.ts';
import descriptor from './plugin.ts';
import { createPdb, createPod, createReplicaSet, getPdb } from './testing.ts';

let env: ControllerTestEnv;
const k = () => env.t.kernel;
const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

beforeAll(async () => {
  env = await startControllers([{ descriptor, config: { stalePodDisruptionTimeoutSeconds: 1 } }]);
});
afterAll(async () => {
  await env?.stop();
});

async function setup(ns: string, replicas: number): Promise<PodDisruptionBudget> {
  await k().create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const rs = await createReplicaSet(k(), ns, 'web', replicas, { app: 'web' });
  // bound to a node, so a delete is graceful (deletionTimestamp) as for running pods
  for (let i = 0; i < replicas; i++) await createPod(k(), ns, `web-${i}`, { labels: { app: 'web' }, owner: rs, nodeName: 'n1' });
  await createPdb(k(), ns, 'web', { minAvailable: replicas - 1, selector: { matchLabels: { app: 'web' } } });
  return eventually(async () => {
    const p = await getPdb(k(), ns, 'web');
    return p.status?.currentHealthy === replicas && p.status.disruptionsAllowed === 1 ? p : undefined;
  });
}

/** What the eviction subresource writes when it admits an eviction of `pod`: the entry, one fewer allowed. */
async function admitEviction(ns: string, pod: string, at: string): Promise<void> {
  for (;;) {
    const p = await getPdb(k(), ns, 'web');
    const s = p.status!;
    try {
      await k().update(
        POD_DISRUPTION_BUDGETS,
        { ...p, status: { ...s, disruptionsAllowed: Math.max(0, s.disruptionsAllowed - 1), disruptedPods: { ...s.disruptedPods, [pod]: at } } } as KObject,
        { subresource: 'status' },
      );
      return;
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
  }
}

const counts = (p: PodDisruptionBudget) => ({ healthy: p.status!.currentHealthy, allowed: p.status!.disruptionsAllowed, disrupted: p.status!.disruptedPods ?? {} });

describe('disruptedPods', () => {
  it('counts an admitted eviction as disrupted, and drops it when the pod starts terminating', async () => {
    await setup('terminating', 3);
    const at = iso(Date.now());
    await admitEviction('terminating', 'web-0', at);
    // the controller keeps the entry: the pod still runs and is Ready, but is on its way out
    await sleep(500);
    expect(counts(await getPdb(k(), 'terminating', 'web'))).toEqual({ healthy: 2, allowed: 0, disrupted: { 'web-0': at } });
    await k().delete(PODS, 'terminating', 'web-0');
    const p = await eventually(async () => {
      const p = await getPdb(k(), 'terminating', 'web');
      return p.status!.disruptedPods === undefined ? p : undefined;
    });
    // terminating: neither disrupted nor healthy; still expected (a count: the selected pods)
    expect(counts(p)).toEqual({ healthy: 2, allowed: 0, disrupted: {} });
    expect(p.status!.expectedPods).toBe(3);
  });

  it('expires an entry after DeletionTimeout (2 min) when the pod was never deleted, with a NotDeleted Event', async () => {
    await setup('expiry', 3);
    // admitted 1 minute 56 s ago: four seconds left (at whole seconds: 4 to 5)
    const at = iso(Date.now() - 116_000);
    await admitEviction('expiry', 'web-1', at);
    await eventually(async () => counts(await getPdb(k(), 'expiry', 'web')).allowed === 0 || undefined);
    const t0 = Date.now();
    const p = await eventually(async () => {
      const p = await getPdb(k(), 'expiry', 'web');
      return p.status!.disruptedPods === undefined ? p : undefined;
    }, 10_000);
    expect(Date.now() - t0).toBeGreaterThan(2000); // not before its time
    expect(counts(p)).toEqual({ healthy: 3, allowed: 1, disrupted: {} });
    const ev = await eventually(async () => (await k().list(EVENTS, { namespace: 'expiry' })).items.find((e) => (e as KObject & { reason?: string }).reason === 'NotDeleted'));
    expect(ev).toMatchObject({ type: 'Warning', message: "Pod was expected by PDB expiry/web to be deleted but it wasn't", involvedObject: { kind: 'Pod', name: 'web-1' } });
  });

  it('drops entries of pods that no longer exist', async () => {
    await setup('vanished', 2);
    await admitEviction('vanished', 'ghost', iso(Date.now()));
    const p = await eventually(async () => {
      const p = await getPdb(k(), 'vanished', 'web');
      return p.status!.disruptedPods === undefined ? p : undefined;
    });
    expect(counts(p)).toEqual({ healthy: 2, allowed: 1, disrupted: {} });
  });
});

describe('stale DisruptionTarget conditions', () => {
  it('resets an eviction’s condition on a pod still not terminating after the timeout, not the kubelet’s', async () => {
    await setup('stale', 2);
    const mark = async (name: string, reason: string) => {
      const p = (await k().get(PODS, 'stale', name)) as Pod;
      const conditions = [...(p.status?.conditions ?? []), { type: 'DisruptionTarget', status: 'True' as const, reason, message: 'Eviction API: evicting', lastTransitionTime: iso(Date.now()) }];
      await k().update(PODS, { ...p, status: { ...p.status, conditions } } as KObject, { subresource: 'status' });
    };
    await mark('web-0', 'EvictionByEvictionAPI');
    await mark('web-1', 'TerminationByKubelet');
    const cond = async (name: string) => ((await k().get(PODS, 'stale', name)) as Pod).status!.conditions!.find((c) => c.type === 'DisruptionTarget')!;
    await sleep(300);
    expect((await cond('web-0')).status).toBe('True'); // not yet: the timeout is 1 s
    const reset = await eventually(async () => {
      const c = await cond('web-0');
      return c.status === 'False' ? c : undefined;
    }, 5000);
    expect(reset).toMatchObject({ reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' });
    await sleep(1000);
    expect((await cond('web-1')).status).toBe('True');
  });
});

describe('restart', () => {
  it('a new controller over the same store writes nothing when nothing changed, then follows changes', async () => {
    const before = await setup('restart', 3);
    await sleep(300); // let the first writes settle
    const settled = await getPdb(k(), 'restart', 'web');
    await env.host.stopAll();
    const host = new PluginHost({ kernel: k(), logger: createConsoleLogger({ level: 'error' }) });
    try {
      await host.load([{ descriptor, config: { leaderElection: false } }]);
      await sleep(1000);
      const after = await getPdb(k(), 'restart', 'web');
      expect(after.metadata.resourceVersion).toBe(settled.metadata.resourceVersion);
      expect(after.status).toEqual(before.status);
      await k().delete(PODS, 'restart', 'web-2');
      await eventually(async () => counts(await getPdb(k(), 'restart', 'web')).healthy === 2 || undefined);
      expect(counts(await getPdb(k(), 'restart', 'web')).allowed).toBe(0);
    } finally {
      await host.stopAll();
    }
  });
});
