// The controller against a real kernel: one pod per eligible node, following nodes as they come, go
// and change; status, events, revisions and the labels and affinity of the pods it makes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROLLER_REVISIONS, DAEMON_SETS, EVENTS, NODES, PODS, type ControllerRevision, type DaemonSet, type Pod } from '@skiff/api';
import { errors } from '@skiff/kernel';
import { startControllers, type ControllerTestEnv } from '../../client/testing.ts';
import descriptor from './plugin.ts';
import { REVISION_HASH_LABEL, TEMPLATE_GENERATION_ANNOTATION, TEMPLATE_GENERATION_LABEL } from './pod-template.ts';
import { converge, createReadyNode, daemonSet, editNode, fakeNodes, podsOf, type FakeNodes } from './testing.ts';

let env: ControllerTestEnv;
let nodes: FakeNodes;
const k = () => env.t.kernel;
const nodeOf = (p: Pod) => p.spec?.nodeName ?? p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0].matchFields?.[0].values?.[0];
const onNodes = async (ds: string) => (await podsOf(k(), ds)).map(nodeOf).sort();
const status = async (name: string) => ((await k().get(DAEMON_SETS, 'default', name)) as DaemonSet).status;

beforeAll(async () => {
  env = await startControllers([{ descriptor }]);
  nodes = await fakeNodes(env.t.kernel, { bind: true });
  for (const n of ['n1', 'n2', 'n3']) await createReadyNode(env.t.kernel, n, { labels: { disk: n === 'n3' ? 'hdd' : 'ssd' } });
});
afterAll(async () => {
  nodes?.stop();
  await env?.stop();
});

describe('daemonset-controller', () => {
  it('runs one pod per node, pinned by node affinity, and reports it', async () => {
    await k().create(DAEMON_SETS, daemonSet('agent'));
    await converge(async () => (await onNodes('agent')).join() === 'n1,n2,n3', 'a pod on each node');
    await converge(async () => (await status('agent'))?.numberAvailable === 3, 'all available');
    const ds = (await k().get(DAEMON_SETS, 'default', 'agent')) as DaemonSet;
    expect(ds.status).toMatchObject({
      desiredNumberScheduled: 3, currentNumberScheduled: 3, numberMisscheduled: 0, numberReady: 3,
      updatedNumberScheduled: 3, numberAvailable: 3, observedGeneration: ds.metadata.generation,
    });
    expect(ds.status?.numberUnavailable ?? 0).toBe(0);
    expect(ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION]).toBe('1');

    const revs = (await k().list(CONTROLLER_REVISIONS, { namespace: 'default' })).items as ControllerRevision[];
    const mine = revs.filter((r) => r.metadata.ownerReferences?.[0]?.uid === ds.metadata.uid);
    expect(mine).toHaveLength(1);
    const hash = mine[0].metadata.labels![REVISION_HASH_LABEL];
    expect(mine[0].metadata.name).toBe(`agent-${hash}`);
    expect(mine[0].revision).toBe(1);
    expect((mine[0].data as { spec: { template: Record<string, unknown> } }).spec.template.$patch).toBe('replace');

    const pods = await podsOf(k(), 'agent');
    for (const p of pods) {
      expect(p.metadata.generateName).toBe('agent-');
      expect(p.metadata.labels).toMatchObject({ app: 'agent', [REVISION_HASH_LABEL]: hash, [TEMPLATE_GENERATION_LABEL]: '1' });
      expect(p.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: ds.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      expect(p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual({
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [p.spec!.nodeName] }] }],
      });
      expect(p.spec?.tolerations?.map((t) => `${t.key}:${t.effect}:${t.operator}`)).toEqual([
        'node.kubernetes.io/not-ready:NoExecute:Exists',
        'node.kubernetes.io/unreachable:NoExecute:Exists',
        'node.kubernetes.io/disk-pressure:NoSchedule:Exists',
        'node.kubernetes.io/memory-pressure:NoSchedule:Exists',
        'node.kubernetes.io/pid-pressure:NoSchedule:Exists',
        'node.kubernetes.io/unschedulable:NoSchedule:Exists',
      ]);
    }
    const events = (await k().list(EVENTS, { namespace: 'default' })).items.filter((e) => (e.involvedObject as { name?: string }).name === 'agent');
    const created = events.filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.message as string);
    expect(created.sort()).toEqual(pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
  });

  it('gives a node with an untolerated NoSchedule taint no pod; PreferNoSchedule does not matter', async () => {
    await createReadyNode(k(), 't-nosched', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] });
    await createReadyNode(k(), 't-prefer', { taints: [{ key: 'dedicated', value: 'db', effect: 'PreferNoSchedule' }] });
    await createReadyNode(k(), 't-unsched', { taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] });
    await k().create(DAEMON_SETS, daemonSet('taints'));
    const tolerant = daemonSet('tolerant');
    tolerant.spec!.template.spec!.tolerations = [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }];
    await k().create(DAEMON_SETS, tolerant);
    await converge(async () => (await onNodes('taints')).join() === 'n1,n2,n3,t-prefer,t-unsched', 'pods on all but the NoSchedule node');
    await converge(async () => (await onNodes('tolerant')).join() === 'n1,n2,n3,t-nosched,t-prefer,t-unsched', 'the toleration lets it in');
    await converge(async () => (await status('taints'))?.desiredNumberScheduled === 5, 'desired 5');

    // a NoSchedule taint added later keeps the pod there; a NoExecute one takes it away
    await editNode(k(), 't-prefer', (n) => void (n.spec!.taints = [{ key: 'x', effect: 'NoSchedule' }]));
    await converge(async () => (await status('taints'))?.desiredNumberScheduled === 4, 'desired 4');
    expect(await onNodes('taints')).toContain('t-prefer');
    expect((await status('taints'))?.numberMisscheduled).toBe(1);
    await editNode(k(), 't-prefer', (n) => void (n.spec!.taints = [{ key: 'x', effect: 'NoExecute' }]));
    await converge(async () => !(await onNodes('taints')).includes('t-prefer'), 'the pod leaves the NoExecute node');
    for (const n of ['t-nosched', 't-prefer', 't-unsched']) await k().delete(NODES, undefined, n);
  });

  it('follows node labels: a pod where the selector starts to match, none where it stops', async () => {
    const ssd = daemonSet('ssd-only');
    ssd.spec!.template.spec!.nodeSelector = { disk: 'ssd' };
    await k().create(DAEMON_SETS, ssd);
    await converge(async () => (await onNodes('ssd-only')).join() === 'n1,n2', 'on the ssd nodes');
    await editNode(k(), 'n3', (n) => void (n.metadata.labels!.disk = 'ssd'));
    await converge(async () => (await onNodes('ssd-only')).join() === 'n1,n2,n3', 'n3 joins');
    await editNode(k(), 'n1', (n) => void (n.metadata.labels!.disk = 'hdd'));
    await converge(async () => (await onNodes('ssd-only')).join() === 'n2,n3', 'n1 leaves');
    await converge(async () => (await status('ssd-only'))?.desiredNumberScheduled === 2 && (await status('ssd-only'))?.numberMisscheduled === 0, 'status');
    const deleted = (await k().list(EVENTS, { namespace: 'default' })).items.filter((e) => (e.involvedObject as { name?: string }).name === 'ssd-only' && e.reason === 'SuccessfulDelete');
    expect(deleted).toHaveLength(1);

    // required node affinity counts as well
    const affine = daemonSet('affine');
    affine.spec!.template.spec!.affinity = {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['hdd'] }] }] } },
    };
    await k().create(DAEMON_SETS, affine);
    await converge(async () => (await onNodes('affine')).join() === 'n1', 'only n1 is hdd now');
  });

  it('adds a pod when a node joins and deletes it when the node goes', async () => {
    await createReadyNode(k(), 'n4', { labels: { disk: 'ssd' } });
    await converge(async () => (await onNodes('agent')).join() === 'n1,n2,n3,n4', 'a pod on n4');
    await k().delete(NODES, undefined, 'n4');
    await converge(async () => (await onNodes('agent')).join() === 'n1,n2,n3', 'the pod of n4 goes');
    await converge(async () => (await status('agent'))?.desiredNumberScheduled === 3, 'desired back to 3');
  });

  it('replaces a failed pod, with a FailedDaemonPod warning', async () => {
    const [victim] = (await podsOf(k(), 'agent')).filter((p) => p.spec?.nodeName === 'n2');
    await k().update(PODS, { ...victim, status: { ...victim.status, phase: 'Failed' } }, { subresource: 'status' });
    await converge(async () => {
      const pods = (await podsOf(k(), 'agent', true)).filter((p) => p.spec?.nodeName === 'n2');
      return pods.length === 1 && pods[0].metadata.uid !== victim.metadata.uid && pods[0].status?.phase === 'Running';
    }, 'a new pod on n2');
    const warned = (await k().list(EVENTS, { namespace: 'default' })).items.filter((e) => e.reason === 'FailedDaemonPod');
    expect(warned.map((e) => e.message)).toEqual([`Found failed daemon pod default/${victim.metadata.name} on node n2, will try to kill it`]);
    expect(warned[0].type).toBe('Warning');
  });

  it('records FailedCreate when pods are refused, and makes them once they are accepted', async () => {
    const refusal = k().registerAdmission({
      name: 'refuse-pods', phase: 'validating',
      match: (r) => r.kind.kind === 'Pod' && r.operation === 'CREATE' && r.object.metadata.labels?.app === 'refused',
      handle: () => {
        throw errors.forbidden('pods of this app are not allowed here');
      },
    });
    await k().create(DAEMON_SETS, daemonSet('refused'));
    const failed = await converge(async () => {
      const evs = (await k().list(EVENTS, { namespace: 'default' })).items.filter((e) => (e.involvedObject as { name?: string }).name === 'refused' && e.reason === 'FailedCreate');
      return evs.length ? evs : undefined;
    }, 'a FailedCreate event');
    expect(failed[0]).toMatchObject({ type: 'Warning', message: 'Error creating: pods of this app are not allowed here' });
    await converge(async () => (await status('refused'))?.desiredNumberScheduled === 3, 'status while refused');
    expect(await podsOf(k(), 'refused')).toEqual([]);
    refusal.dispose();
    await converge(async () => (await onNodes('refused')).join() === 'n1,n2,n3', 'pods once accepted', 20_000);
  });

  it('adopts an orphan that matches, and never makes a second pod for its node', async () => {
    await k().create(DAEMON_SETS, daemonSet('adopter'));
    await converge(async () => (await onNodes('adopter')).length === 3, 'three pods');
    const [pod] = (await podsOf(k(), 'adopter')).filter((p) => p.spec?.nodeName === 'n1');
    // orphan it: the controller takes it back instead of making another
    await k().update(PODS, { ...pod, metadata: { ...pod.metadata, ownerReferences: [] } });
    await converge(async () => {
      const cur = (await k().get(PODS, 'default', pod.metadata.name!)) as Pod;
      return (cur.metadata.ownerReferences ?? []).some((r) => r.controller && r.name === 'adopter');
    }, 'adopted');
    expect(await onNodes('adopter')).toEqual(['n1', 'n2', 'n3']);
    // only the refused creates of the test before failed a sync
    expect(env.warnings.filter((w) => w.includes('reconcile failed') && !w.includes('not allowed here'))).toEqual([]);
  });
});
