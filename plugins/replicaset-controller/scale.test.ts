// Scale up and down on a real kernel: names, labels, controller references, Events, status, and
// the order pods go in on a scale-down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, PODS, REPLICA_SETS, type Pod, type ReplicaSet } from '@skiff/api';
import { eventually, startControllers, type ControllerTestEnv } from '../../client/testing.ts';
import controller from './plugin.ts';
import { POD_DELETION_COST } from './ranking.ts';
import { bindPod, createRS, NS, podsOf, setPodState } from './testing.ts';

let env: ControllerTestEnv;
beforeAll(async () => {
  env = await startControllers([{ descriptor: controller }]);
});
afterAll(() => env?.stop());

const k = () => env.t.kernel;
const getRS = async (name: string) => (await k().get(REPLICA_SETS, NS, name)) as ReplicaSet;
const scale = (name: string, replicas: number) => k().patch(REPLICA_SETS, NS, name, 'merge', { spec: { replicas } });
const events = async (name: string) =>
  (await k().list(EVENTS, { namespace: NS })).items.filter((e) => (e.involvedObject as { name: string }).name === name) as unknown as {
    reason: string; type: string; message: string; count: number; source: { component: string };
  }[];

describe('replicaset-controller: scaling', () => {
  it('creates spec.replicas pods from the template, named <rs>-<5 chars>, controlled by the ReplicaSet', async () => {
    const rs = await createRS(k(), 'web', { replicas: 3, labels: { app: 'web', tier: 'front' }, selector: { app: 'web' } });
    const pods = await eventually(async () => ((await podsOf(k(), rs)).length === 3 ? podsOf(k(), rs) : undefined), 10_000, '3 pods');
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(p.metadata.generateName).toBe('web-');
      expect(p.metadata.labels).toEqual({ app: 'web', tier: 'front' });
      expect(p.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      expect(p.spec?.containers[0].image).toBe('busybox');
    }
    const st = await eventually(async () => {
      const s = (await getRS('web')).status;
      return s?.replicas === 3 && s.observedGeneration === 1 ? s : undefined;
    });
    expect(st).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 0, availableReplicas: 0, observedGeneration: 1 });
    const created = await eventually(async () => {
      const ev = (await events('web')).filter((e) => e.reason === 'SuccessfulCreate');
      return ev.length === 3 ? ev : undefined;
    });
    expect(created.map((e) => e.message).sort()).toEqual(pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
    expect(created.every((e) => e.type === 'Normal' && e.source.component === 'replicaset-controller')).toBe(true);
  });

  it('scales up and down, observing each generation', async () => {
    const rs = await createRS(k(), 'updown', { replicas: 2 });
    await eventually(async () => (await podsOf(k(), rs)).length === 2);
    await scale('updown', 12);
    await eventually(async () => (await getRS('updown')).status?.replicas === 12, 10_000, '12 replicas');
    await scale('updown', 5);
    await eventually(async () => (await podsOf(k(), rs, true)).length === 5, 10_000, '5 pods');
    const st = await eventually(async () => {
      const r = await getRS('updown');
      return r.status?.replicas === 5 && r.status.observedGeneration === r.metadata.generation ? r.status : undefined;
    });
    expect(st.observedGeneration).toBe(3);
    const deleted = await eventually(async () => {
      const ev = (await events('updown')).filter((e) => e.reason === 'SuccessfulDelete');
      return ev.length === 7 ? ev : undefined;
    });
    expect(deleted.every((e) => /^Deleted pod: updown-[a-z0-9]{5}$/.test(e.message))).toBe(true);
  });

  it('deletes the least useful pods first (kube\'s ranking)', async () => {
    const rs = await createRS(k(), 'rank', { replicas: 7 });
    const pods = await eventually(async () => ((await podsOf(k(), rs)).length === 7 ? podsOf(k(), rs) : undefined));
    const [unassigned, pending, unknown, notReady, restarted, plain, costly] = pods.map((p) => p.metadata.name!);
    const readySince = new Date(Date.now() - 60_000);
    for (const p of pods.slice(1)) await bindPod(k(), p, 'node-1');
    await setPodState(k(), pending, { phase: 'Pending' });
    await setPodState(k(), unknown, { phase: 'Unknown' });
    await setPodState(k(), notReady, { phase: 'Running', ready: false });
    await setPodState(k(), restarted, { phase: 'Running', ready: true, readySince, restarts: 4 });
    await setPodState(k(), plain, { phase: 'Running', ready: true, readySince });
    await setPodState(k(), costly, { phase: 'Running', ready: true, readySince });
    await k().patch(PODS, NS, costly, 'merge', { metadata: { annotations: { [POD_DELETION_COST]: '100' } } });
    await eventually(async () => (await getRS('rank')).status?.readyReplicas === 3);

    const gone: string[] = [];
    let left = pods.map((p) => p.metadata.name!);
    for (let n = 6; n >= 1; n--) {
      await scale('rank', n);
      const now = await eventually(async () => {
        const names = (await podsOf(k(), rs, true)).map((p) => p.metadata.name!);
        return names.length === n ? names : undefined;
      }, 10_000, `${n} pods`);
      gone.push(...left.filter((x) => !now.includes(x)));
      left = now;
    }
    expect(gone).toEqual([unassigned, pending, unknown, notReady, restarted, plain]);
    expect(left).toEqual([costly]);
  });

  it('deletes first the pod whose node has more pods of ReplicaSets with the same controller', async () => {
    // two ReplicaSets of one Deployment (a made-up owner: no garbage collector runs here)
    const deploy = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: '6f1c1f3e-0d6b-4c53-9d0e-2a7c4b1d9e10', controller: true, blockOwnerDeletion: true };
    const old = await createRS(k(), 'sib-old', { replicas: 3, ownerReferences: [deploy] });
    const cur = await createRS(k(), 'sib-new', { replicas: 2, ownerReferences: [deploy] });
    const oldPods = await eventually(async () => ((await podsOf(k(), old)).length === 3 ? podsOf(k(), old) : undefined));
    const [crowded, alone] = await eventually(async () => ((await podsOf(k(), cur)).length === 2 ? podsOf(k(), cur) : undefined));
    const readySince = new Date(Date.now() - 60_000);
    for (const p of oldPods) await bindPod(k(), p, 'node-a');
    await bindPod(k(), crowded, 'node-a');
    await bindPod(k(), alone, 'node-b');
    for (const p of [...oldPods, crowded]) await setPodState(k(), p.metadata.name!, { phase: 'Running', ready: true, readySince });
    // restarts would make `alone` go first; co-location (an earlier criterion) decides before them
    await setPodState(k(), alone.metadata.name!, { phase: 'Running', ready: true, readySince, restarts: 3 });
    await eventually(async () => (await getRS('sib-new')).status?.readyReplicas === 2);
    await scale('sib-new', 1);
    const left = await eventually(async () => ((await podsOf(k(), cur, true)).length === 1 ? podsOf(k(), cur, true) : undefined), 10_000);
    expect(left.map((p) => p.metadata.name)).toEqual([alone.metadata.name]);
  });

  it('replaces a pod being deleted gracefully: it does not count', async () => {
    const rs = await createRS(k(), 'graceful', { replicas: 1 });
    const [p] = await eventually(async () => ((await podsOf(k(), rs)).length === 1 ? podsOf(k(), rs) : undefined));
    await bindPod(k(), p, 'node-1');
    // a pod on a node is only marked (deletionTimestamp) until its kubelet finishes
    await k().delete(PODS, NS, p.metadata.name!, { gracePeriodSeconds: 30 });
    const marked = (await k().get(PODS, NS, p.metadata.name!)) as Pod;
    expect(marked.metadata.deletionTimestamp).toBeTruthy();
    const fresh = await eventually(async () => {
      const ps = await podsOf(k(), rs);
      return ps.length === 1 && ps[0].metadata.name !== p.metadata.name ? ps : undefined;
    });
    expect(fresh).toHaveLength(1);
    const st = await eventually(async () => {
      const s = (await getRS('graceful')).status;
      return s?.replicas === 1 && s.terminatingReplicas === 1 ? s : undefined;
    }, 5000, 'status: 1 replica, 1 terminating');
    expect(st.terminatingReplicas).toBe(1);
    // the terminating pod finishes (as its kubelet would): none terminating any more
    await k().delete(PODS, NS, p.metadata.name!, { gracePeriodSeconds: 0 });
    await eventually(async () => (await getRS('graceful')).status?.terminatingReplicas === 0, 5000, 'terminatingReplicas 0');
  });
});

describe('replicaset-controller: logs', () => {
  it('warned about nothing', () => {
    expect(env.warnings).toEqual([]);
  });
});
