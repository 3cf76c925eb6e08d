// The controller on a real kernel: the status of PDBs counted by minAvailable / maxUnavailable,
// as counts and percents, with the expected pods from their controllers' scale.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOYMENTS, EVENTS, NAMESPACES, POD_DISRUPTION_BUDGETS, REPLICA_SETS, type KObject, type PodDisruptionBudget } from '@skiff/api';
import { startControllers, eventually, type ControllerTestEnv } from '../../client/testing.ts';
import descriptor from './plugin.ts';
import { createDeployment, createPdb, createPod, createReplicaSet, createStatefulSet, getPdb, setReady } from './testing.ts';

let env: ControllerTestEnv;
const k = () => env.t.kernel;

beforeAll(async () => {
  env = await startControllers([{ descriptor }]);
});
afterAll(async () => {
  await env?.stop();
});

async function namespace(name: string): Promise<string> {
  await k().create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

type Counts = Pick<NonNullable<PodDisruptionBudget['status']>, 'expectedPods' | 'desiredHealthy' | 'currentHealthy' | 'disruptionsAllowed'>;

/** Waits until the PDB's status shows these counts (and the condition that goes with them). */
async function status(ns: string, name: string, want: Counts): Promise<PodDisruptionBudget> {
  let last: unknown;
  try {
    return await eventually(async () => {
      const p = await getPdb(k(), ns, name);
      const s = p.status;
      last = s;
      if (!s) return undefined;
      const got = { expectedPods: s.expectedPods, desiredHealthy: s.desiredHealthy, currentHealthy: s.currentHealthy, disruptionsAllowed: s.disruptionsAllowed };
      if (JSON.stringify(got) !== JSON.stringify(want) || s.observedGeneration !== p.metadata.generation) return undefined;
      const c = s.conditions?.find((x) => x.type === 'DisruptionAllowed');
      const ok = want.disruptionsAllowed > 0 ? c?.status === 'True' && c.reason === 'SufficientPods' : c?.status === 'False' && c.reason === 'InsufficientPods';
      return ok ? p : undefined;
    }, 10_000);
  } catch (e) {
    throw new Error(`${ns}/${name}: wanted ${JSON.stringify(want)}, last status ${JSON.stringify(last)}`, { cause: e });
  }
}

const events = async (ns: string, reason: string) =>
  (await k().list(EVENTS, { namespace: ns })).items.filter((e) => (e as KObject & { reason?: string }).reason === reason) as (KObject & { message: string; involvedObject: { name: string } })[];

describe('disruption-controller', () => {
  it('minAvailable as a count: the selected pods are expected; readiness moves currentHealthy', async () => {
    const ns = await namespace('count');
    const rs = await createReplicaSet(k(), ns, 'web', 3, { app: 'web' });
    const pods = [];
    for (let i = 0; i < 3; i++) pods.push(await createPod(k(), ns, `web-${i}`, { labels: { app: 'web' }, owner: rs }));
    await createPdb(k(), ns, 'web', { minAvailable: 2, selector: { matchLabels: { app: 'web' } } });
    const p = await status(ns, 'web', { expectedPods: 3, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 });
    expect(p.status!.conditions).toHaveLength(1);
    expect(p.status!.conditions![0]).toMatchObject({ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: p.metadata.generation });

    await setReady(k(), pods[0]!, false);
    await status(ns, 'web', { expectedPods: 3, desiredHealthy: 2, currentHealthy: 2, disruptionsAllowed: 0 });
    // a pod without a controller counts as expected too (no controller needed for a count)
    await createPod(k(), ns, 'stray', { labels: { app: 'web' } });
    await status(ns, 'web', { expectedPods: 4, desiredHealthy: 2, currentHealthy: 3, disruptionsAllowed: 1 });
    // a pod outside the selector is not counted
    await createPod(k(), ns, 'other', { labels: { app: 'db' } });
    // raising the bar is a spec change: a new observedGeneration
    const cur = await getPdb(k(), ns, 'web');
    await k().update(POD_DISRUPTION_BUDGETS, { ...cur, spec: { ...cur.spec, minAvailable: 3 } } as KObject);
    const raised = await status(ns, 'web', { expectedPods: 4, desiredHealthy: 3, currentHealthy: 3, disruptionsAllowed: 0 });
    expect(raised.status!.observedGeneration).toBe(2);
  });

  it('maxUnavailable and percents against the ReplicaSet scale, which it follows as it changes', async () => {
    const ns = await namespace('percent');
    const rs = await createReplicaSet(k(), ns, 'api', 4, { app: 'api' });
    for (let i = 0; i < 4; i++) await createPod(k(), ns, `api-${i}`, { labels: { app: 'api' }, owner: rs });
    const sel = { matchLabels: { app: 'api' } };
    await createPdb(k(), ns, 'max-one', { maxUnavailable: 1, selector: sel });
    await createPdb(k(), ns, 'max-30', { maxUnavailable: '30%', selector: sel }); // ceil(1.2) = 2
    await createPdb(k(), ns, 'min-60', { minAvailable: '60%', selector: sel }); // ceil(2.4) = 3
    await status(ns, 'max-one', { expectedPods: 4, desiredHealthy: 3, currentHealthy: 4, disruptionsAllowed: 1 });
    await status(ns, 'max-30', { expectedPods: 4, desiredHealthy: 2, currentHealthy: 4, disruptionsAllowed: 2 });
    await status(ns, 'min-60', { expectedPods: 4, desiredHealthy: 3, currentHealthy: 4, disruptionsAllowed: 1 });

    // scaled up, no new pod yet: the scale alone moves the expected count
    await k().patch(REPLICA_SETS, ns, 'api', 'merge', { spec: { replicas: 6 } });
    await status(ns, 'max-one', { expectedPods: 6, desiredHealthy: 5, currentHealthy: 4, disruptionsAllowed: 0 });
    await status(ns, 'max-30', { expectedPods: 6, desiredHealthy: 4, currentHealthy: 4, disruptionsAllowed: 0 }); // ceil(1.8) = 2
    await status(ns, 'min-60', { expectedPods: 6, desiredHealthy: 4, currentHealthy: 4, disruptionsAllowed: 0 }); // ceil(3.6) = 4
  });

  it('expects a Deployment’s replicas through its ReplicaSets (counted once), and follows its scale', async () => {
    const ns = await namespace('chain');
    const dep = await createDeployment(k(), ns, 'shop', 5, { app: 'shop' });
    const old = await createReplicaSet(k(), ns, 'shop-old', 1, { app: 'shop' }, dep);
    const cur = await createReplicaSet(k(), ns, 'shop-new', 3, { app: 'shop' }, dep);
    await createPod(k(), ns, 'shop-old-0', { labels: { app: 'shop' }, owner: old });
    for (let i = 0; i < 3; i++) await createPod(k(), ns, `shop-new-${i}`, { labels: { app: 'shop' }, owner: cur });
    await createPdb(k(), ns, 'shop', { maxUnavailable: 1, selector: { matchLabels: { app: 'shop' } } });
    await status(ns, 'shop', { expectedPods: 5, desiredHealthy: 4, currentHealthy: 4, disruptionsAllowed: 0 });
    await k().patch(DEPLOYMENTS, ns, 'shop', 'merge', { spec: { replicas: 4 } });
    await status(ns, 'shop', { expectedPods: 4, desiredHealthy: 3, currentHealthy: 4, disruptionsAllowed: 1 });
  });

  it('counts StatefulSet replicas', async () => {
    const ns = await namespace('stateful');
    const ss = await createStatefulSet(k(), ns, 'db', 3, { app: 'db' });
    for (let i = 0; i < 2; i++) await createPod(k(), ns, `db-${i}`, { labels: { app: 'db' }, owner: ss });
    await createPdb(k(), ns, 'db', { minAvailable: '50%', selector: { matchLabels: { app: 'db' } } });
    await status(ns, 'db', { expectedPods: 3, desiredHealthy: 2, currentHealthy: 2, disruptionsAllowed: 0 });
  });

  it('fails safe (SyncFailed) when a percent needs a controller it cannot scale, and says why in Events', async () => {
    const ns = await namespace('failsafe');
    const ds = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', uid: '6a1c1f2e-0000-4000-8000-000000000001' } } as KObject;
    await createPod(k(), ns, 'agent-x', { labels: { app: 'agent' }, owner: ds });
    await createPdb(k(), ns, 'agent', { maxUnavailable: '10%', selector: { matchLabels: { app: 'agent' } } });
    const p = await eventually(async () => {
      const p = await getPdb(k(), ns, 'agent');
      return p.status?.conditions?.find((c) => c.reason === 'SyncFailed') ? p : undefined;
    });
    expect(p.status!.disruptionsAllowed).toBe(0);
    expect(p.status!.conditions).toEqual([expect.objectContaining({ type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: 'found no controllers for pod "agent-x"' })]);
    const ev = await eventually(() => events(ns, 'CalculateExpectedPodCountFailed').then((e) => e[0]));
    expect(ev.message).toBe('Failed to calculate the number of expected pods: found no controllers for pod "agent-x"');
  });

  it('records NoPods for a PDB selecting nothing, and UnmanagedPods for a percent over bare pods', async () => {
    const ns = await namespace('eventful');
    await createPdb(k(), ns, 'empty', { minAvailable: 1, selector: { matchLabels: { app: 'none' } } });
    await status(ns, 'empty', { expectedPods: 0, desiredHealthy: 1, currentHealthy: 0, disruptionsAllowed: 0 });
    const noPods = await eventually(() => events(ns, 'NoPods').then((e) => e[0]));
    expect(noPods).toMatchObject({ type: 'Normal', message: 'No matching pods found', involvedObject: { kind: 'PodDisruptionBudget', name: 'empty' } });

    await createPod(k(), ns, 'bare', { labels: { app: 'bare' } });
    await createPdb(k(), ns, 'bare', { maxUnavailable: '50%', selector: { matchLabels: { app: 'bare' } } });
    // the bare pod is not expected: nothing may be disrupted
    await status(ns, 'bare', { expectedPods: 0, desiredHealthy: 0, currentHealthy: 1, disruptionsAllowed: 0 });
    const unmanaged = await eventually(() => events(ns, 'UnmanagedPods').then((e) => e[0]));
    expect(unmanaged.message).toBe(
      'Pods selected by this PodDisruptionBudget (selector: &LabelSelector{MatchLabels:map[string]string{app: bare,},MatchExpressions:[]LabelSelectorRequirement{},}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.',
    );
  });
});
