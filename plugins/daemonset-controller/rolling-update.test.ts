// Updates against a real kernel: RollingUpdate never has more than maxUnavailable nodes without an
// available pod, OnDelete replaces a pod only once it is deleted, and the history follows.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CONTROLLER_REVISIONS, DAEMON_SETS, PODS, isPodReady, type ControllerRevision, type DaemonSet, type Pod } from '@skiff/api';
import { SharedInformer } from '@skiff/client';
import { startControllers, sleep, type ControllerTestEnv } from '../../client/testing.ts';
import descriptor from './plugin.ts';
import { REVISION_HASH_LABEL, TEMPLATE_GENERATION_ANNOTATION, TEMPLATE_GENERATION_LABEL } from './pod-template.ts';
import { converge, createReadyNode, daemonSet, editDaemonSet, fakeNodes, podsOf, type FakeNodes } from './testing.ts';

let env: ControllerTestEnv;
let nodes: FakeNodes;
const k = () => env.t.kernel;
const NODE_NAMES = ['a', 'b', 'c', 'd', 'e', 'f'];
const imageOf = (p: Pod) => p.spec?.containers[0].image;
const revisionsOf = async (ds: DaemonSet) =>
  ((await k().list(CONTROLLER_REVISIONS, { namespace: 'default' })).items as ControllerRevision[])
    .filter((r) => r.metadata.ownerReferences?.[0]?.uid === ds.metadata.uid)
    .sort((x, y) => x.revision - y.revision);

beforeAll(async () => {
  env = await startControllers([{ descriptor }]);
  nodes = await fakeNodes(env.t.kernel, { bind: true });
  for (const n of NODE_NAMES) await createReadyNode(env.t.kernel, n);
});
// a test that stopped half-way must not leave pods unready for the next
beforeEach(() => void (nodes.ready = () => true));
afterAll(async () => {
  nodes?.stop();
  await env?.stop();
});

/** Watch the DaemonSet's pods; per node, whether it has a ready pod; record the worst moment. */
async function watchAvailability(ds: string) {
  const inf = new SharedInformer<Pod>(k(), PODS, { namespace: 'default', labelSelector: `app=${ds}` });
  let worst = 0;
  let synced = false;
  const check = () => {
    if (!synced) return;
    const ready = new Set(inf.indexer.list().filter((p) => !p.metadata.deletionTimestamp && isPodReady(p)).map((p) => p.spec?.nodeName));
    worst = Math.max(worst, NODE_NAMES.filter((n) => !ready.has(n)).length);
  };
  inf.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
  await inf.start();
  synced = true;
  check();
  return { worst: () => worst, stop: () => inf.stop() };
}

describe('updates', () => {
  it('RollingUpdate replaces pods with at most maxUnavailable nodes down at a time', async () => {
    const ds = daemonSet('roll', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } });
    const created = (await k().create(DAEMON_SETS, ds)) as DaemonSet;
    await converge(async () => (await podsOf(k(), 'roll')).filter(isPodReady).length === 6, 'six ready pods');
    const [rev1] = await revisionsOf(created);

    // new pods come up slowly, so the controller has to wait for them
    nodes.ready = () => false;
    const watch = await watchAvailability('roll');
    await editDaemonSet(k(), 'default', 'roll', (d) => void (d.spec!.template.spec!.containers[0].image = 'agent:2'));
    await converge(async () => (await podsOf(k(), 'roll')).filter((p) => imageOf(p) === 'agent:2').length === 2, 'two new pods');
    await sleep(300);
    // while the two new ones are not ready, nothing else is replaced
    const mid = await podsOf(k(), 'roll');
    expect(mid.filter((p) => imageOf(p) === 'agent:1')).toHaveLength(4);
    expect(mid).toHaveLength(6);
    expect(watch.worst()).toBe(2);
    const st = ((await k().get(DAEMON_SETS, 'default', 'roll')) as DaemonSet).status!;
    expect(st).toMatchObject({ desiredNumberScheduled: 6, currentNumberScheduled: 6, updatedNumberScheduled: 2, numberReady: 4, numberAvailable: 4, numberUnavailable: 2 });

    nodes.ready = () => true;
    nodes.poke();
    await converge(async () => {
      const pods = await podsOf(k(), 'roll');
      return pods.length === 6 && pods.every((p) => imageOf(p) === 'agent:2' && isPodReady(p));
    }, 'all replaced');
    expect(watch.worst()).toBeLessThanOrEqual(2);
    watch.stop();
    const cur = (await k().get(DAEMON_SETS, 'default', 'roll')) as DaemonSet;
    expect(cur.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION]).toBe('2');
    const revs = await revisionsOf(cur);
    expect(revs.map((r) => r.revision)).toEqual([1, 2]);
    expect(revs[0].metadata.name).toBe(rev1.metadata.name);
    for (const p of await podsOf(k(), 'roll')) {
      expect(p.metadata.labels?.[REVISION_HASH_LABEL]).toBe(revs[1].metadata.labels?.[REVISION_HASH_LABEL]);
      expect(p.metadata.labels?.[TEMPLATE_GENERATION_LABEL]).toBe('2');
    }
    await converge(async () => ((await k().get(DAEMON_SETS, 'default', 'roll')) as DaemonSet).status?.updatedNumberScheduled === 6, 'status updated');

    // back to the first template: its revision becomes the newest again, no new one is made
    await editDaemonSet(k(), 'default', 'roll', (d) => void (d.spec!.template.spec!.containers[0].image = 'agent:1'));
    await converge(async () => (await podsOf(k(), 'roll')).every((p) => imageOf(p) === 'agent:1' && isPodReady(p)) && (await podsOf(k(), 'roll')).length === 6, 'rolled back');
    const back = await revisionsOf(cur);
    expect(back.map((r) => [r.metadata.name, r.revision])).toEqual([[revs[1].metadata.name, 2], [rev1.metadata.name, 3]]);
  });

  it('with maxSurge, starts the new pod beside the old one and deletes the old once the new is available', async () => {
    const ds = daemonSet('surge', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
    await k().create(DAEMON_SETS, ds);
    await converge(async () => (await podsOf(k(), 'surge')).filter(isPodReady).length === 6, 'six ready pods');
    nodes.ready = (p) => imageOf(p) !== 'agent:2';
    const watch = await watchAvailability('surge');
    await editDaemonSet(k(), 'default', 'surge', (d) => void (d.spec!.template.spec!.containers[0].image = 'agent:2'));
    await converge(async () => (await podsOf(k(), 'surge')).length === 7, 'one surge pod');
    await sleep(300);
    expect(await podsOf(k(), 'surge')).toHaveLength(7);
    nodes.ready = () => true;
    nodes.poke();
    await converge(async () => {
      const pods = await podsOf(k(), 'surge');
      return pods.length === 6 && pods.every((p) => imageOf(p) === 'agent:2' && isPodReady(p));
    }, 'all replaced');
    expect(watch.worst()).toBe(0);
    watch.stop();
  });

  it('OnDelete does not replace a pod until it is deleted', async () => {
    const ds = daemonSet('ondelete', { updateStrategy: { type: 'OnDelete' } });
    await k().create(DAEMON_SETS, ds);
    await converge(async () => (await podsOf(k(), 'ondelete')).filter(isPodReady).length === 6, 'six ready pods');
    await editDaemonSet(k(), 'default', 'ondelete', (d) => void (d.spec!.template.spec!.containers[0].image = 'agent:2'));
    await converge(async () => {
      const d = (await k().get(DAEMON_SETS, 'default', 'ondelete')) as DaemonSet;
      return d.status?.observedGeneration === d.metadata.generation && d.status?.updatedNumberScheduled === 0;
    }, 'the new generation observed');
    await sleep(400);
    const before = await podsOf(k(), 'ondelete');
    expect(before.map(imageOf)).toEqual(Array(6).fill('agent:1'));
    const victim = before.find((p) => p.spec?.nodeName === 'c')!;
    await k().delete(PODS, 'default', victim.metadata.name!);
    await converge(async () => {
      const onC = (await podsOf(k(), 'ondelete')).filter((p) => p.spec?.nodeName === 'c');
      return onC.length === 1 && imageOf(onC[0]) === 'agent:2';
    }, 'the deleted pod comes back new');
    const after = await podsOf(k(), 'ondelete');
    expect(after.filter((p) => imageOf(p) === 'agent:1')).toHaveLength(5);
    await converge(async () => ((await k().get(DAEMON_SETS, 'default', 'ondelete')) as DaemonSet).status?.updatedNumberScheduled === 1, 'one updated');
  });

  it('keeps revisionHistoryLimit old revisions, but none a pod still runs', async () => {
    const ds = daemonSet('history', { updateStrategy: { type: 'OnDelete' }, revisionHistoryLimit: 1 });
    const created = (await k().create(DAEMON_SETS, ds)) as DaemonSet;
    await converge(async () => (await podsOf(k(), 'history')).length === 6, 'six pods');
    for (const image of ['v2', 'v3', 'v4']) {
      await editDaemonSet(k(), 'default', 'history', (d) => void (d.spec!.template.spec!.containers[0].image = image));
      await converge(async () => (await revisionsOf(created)).some((r) => (r.data as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template.spec.containers[0].image === image), `revision for ${image}`);
    }
    // three old revisions, one may stay: 1 is what the pods run, so it stays and 2 and 3 go
    await converge(async () => (await revisionsOf(created)).length === 2, 'history trimmed');
    const revs = await revisionsOf(created);
    expect(revs.map((r) => r.revision)).toEqual([1, 4]);
  });
});
