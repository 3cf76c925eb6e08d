// Where pods end up: a real kernel, the real scheduler plugin and every default policy plugin
// loaded through a real PluginHost, heterogeneous Nodes (written directly, or hollow nodes that run
// the pods), and one test per policy behaviour. Unschedulable pods are checked for kube's
// PodScheduled=False/Unschedulable condition, its "0/N nodes are available: ..." message, and a
// FailedScheduling Event.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import {
  addHollowNodes,
  addNode,
  boundNode,
  boundNodes,
  canonicalFitMessage,
  createPod,
  EVENTS,
  failedSchedulingEvents,
  fitMessage,
  NO_VICTIMS,
  NOT_HELPFUL,
  NODES,
  nodeNameOf,
  placement,
  PODS,
  podScheduledOf,
  sleep,
  startCluster,
  staysUnbound,
  unschedulable,
  until,
  type Cluster,
} from './scheduler-cluster.ts';

/** per test: a loaded 2-core machine, and waits of up to 30 s inside */
const T = 120_000;

let c: Cluster;
beforeEach(async () => {
  c = await startCluster();
});
afterEach(async () => {
  await c?.stop();
});


/** Pin a pod to one node by its hostname label (a nodeSelector, so the scheduler still schedules it). */
const on = (node: string) => ({ nodeSelector: { 'kubernetes.io/hostname': node } });

describe('resources (NodeResourcesFit, BalancedAllocation)', () => {
  it('places pods only where cpu, memory, pod slots and extended resources fit; reports every shortfall', async () => {
    const k = c.kernel;
    await addNode(k, 'few-cpu', { allocatable: { cpu: '1', memory: '64Gi' } });
    await addNode(k, 'few-mem', { allocatable: { cpu: '16', memory: '1Gi' } });
    await addNode(k, 'no-slots', { allocatable: { cpu: '16', memory: '64Gi', pods: '0' } });
    await addNode(k, 'gpu', { allocatable: { cpu: '16', memory: '64Gi', 'example.com/gpu': '2' } });

    // only gpu has room for 2 cpu + 2Gi + 2 GPUs (and the others have no GPUs at all)
    await createPod(k, 'gpu-2', { requests: { cpu: '2', memory: '2Gi' }, limits: { 'example.com/gpu': '2' } });
    expect(await boundNode(k, 'gpu-2')).toBe('gpu');
    // a pod without GPUs that needs 2 cpu and 2Gi fits gpu only as well (few-cpu: 1 cpu, few-mem: 1Gi, no-slots: 0 pods)
    await createPod(k, 'plain', { requests: { cpu: '2', memory: '2Gi' } });
    expect(await boundNode(k, 'plain')).toBe('gpu');

    // the GPUs are taken: nothing fits a third GPU pod; every reason of every node is counted
    await createPod(k, 'gpu-1', { requests: { cpu: '2', memory: '2Gi' }, limits: { 'example.com/gpu': '1' } });
    const { condition } = await unschedulable(k, 'gpu-1');
    expect(canonicalFitMessage(condition.message!)).toBe(
      fitMessage(4, { 'Insufficient example.com/gpu': 4, 'Insufficient cpu': 1, 'Insufficient memory': 1, 'Too many pods': 1 }, { [NO_VICTIMS]: 4 }),
    );
    const events = await failedSchedulingEvents(k, 'gpu-1');
    expect(events[0]).toMatchObject({ type: 'Warning', reason: 'FailedScheduling', message: condition.message, involvedObject: { kind: 'Pod', name: 'gpu-1' } });
    expect(await staysUnbound(k, 'gpu-1')).toBe(true);

    // freeing the GPUs (the gpu-2 pod goes away) lets it in: requeued on the pod deletion
    await k.delete(PODS, 'default', 'gpu-2', { gracePeriodSeconds: 0 });
    expect(await boundNode(k, 'gpu-1')).toBe('gpu');
  }, T);

  it('spreads equal pods by LeastAllocated: 2 on the half-size node, 4 on the double-size one (hollow nodes run them)', async () => {
    // cpu and memory in the same proportion, so BalancedAllocation is 100 everywhere and LeastAllocated decides:
    // the pods end where both nodes are equally allocated (50%), whatever the order ties were broken in
    await addHollowNodes(c, [
      { count: 1, prefix: 'half', cpu: '4', memory: '4Gi' },
      { count: 1, prefix: 'full', cpu: '8', memory: '8Gi' },
    ]);
    const names = Array.from({ length: 6 }, (_, i) => `web-${i}`);
    await Promise.all(names.map((n) => createPod(c.kernel, n, { requests: { cpu: '1', memory: '1Gi' } })));
    await boundNodes(c.kernel, names);
    expect(await placement(c.kernel)).toEqual({ 'half-0': 2, 'full-0': 4 });
    // hollow nodes make bound pods Running
    await until(async () => (await c.kernel.list(PODS, { namespace: 'default' })).items.every((p) => (p.status as { phase?: string }).phase === 'Running'), 'all pods Running');

    // three equal nodes, nine equal pods: 3/3/3
    await addHollowNodes(c, [{ count: 3, prefix: 'eq', cpu: '4', memory: '4Gi', labels: { pool: 'eq' } }]);
    const eq = Array.from({ length: 9 }, (_, i) => `eq-${i}`);
    await Promise.all(eq.map((n) => createPod(c.kernel, n, { requests: { cpu: '1', memory: '1Gi' }, spec: { nodeSelector: { pool: 'eq' } } })));
    await boundNodes(c.kernel, eq);
    expect(await placement(c.kernel, 'default', (p) => p.metadata.name!.startsWith('eq-'))).toEqual({ 'eq-0': 3, 'eq-1': 3, 'eq-2': 3 });
  }, T);
});

describe('node selection (NodeAffinity)', () => {
  it('honours nodeSelector, required and preferred node affinity', async () => {
    const k = c.kernel;
    await addNode(k, 'ssd-1', { labels: { disktype: 'ssd' } });
    await addNode(k, 'hdd-1', { labels: { disktype: 'hdd' } });
    await addNode(k, 'ssd-3', { labels: { disktype: 'ssd', gen: '3' } });

    await createPod(k, 'sel', { requests: { cpu: '1', memory: '1Gi' }, spec: { nodeSelector: { disktype: 'hdd' } } });
    expect(await boundNode(k, 'sel')).toBe('hdd-1');

    const required = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'disktype', operator: 'In', values: ['ssd'] }, { key: 'gen', operator: 'Gt', values: ['2'] }] }],
        },
      },
    };
    await createPod(k, 'req', { requests: { cpu: '1', memory: '1Gi' }, spec: { affinity: required } });
    expect(await boundNode(k, 'req')).toBe('ssd-3');

    // preferred: hdd-1 already carries a pod (LeastAllocated alone would pick ssd-1), the preference wins
    const preferred = {
      nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 80, preference: { matchExpressions: [{ key: 'disktype', operator: 'In', values: ['hdd'] }] } }] },
    };
    await createPod(k, 'pref', { requests: { cpu: '1', memory: '1Gi' }, spec: { affinity: preferred } });
    expect(await boundNode(k, 'pref')).toBe('hdd-1');
    // the control: the same pod without the preference goes to the emptiest node
    await createPod(k, 'nopref', { requests: { cpu: '1', memory: '1Gi' } });
    expect(await boundNode(k, 'nopref')).toBe('ssd-1');

    await createPod(k, 'nvme', { spec: { nodeSelector: { disktype: 'nvme' } } });
    const { condition } = await unschedulable(k, 'nvme');
    expect(condition.message).toBe(fitMessage(3, { "node(s) didn't match Pod's node affinity/selector": 3 }, { [NOT_HELPFUL]: 3 }));
    expect((await failedSchedulingEvents(k, 'nvme'))[0].message).toBe(condition.message);
  }, T);
});

describe('taints (TaintToleration, NodeUnschedulable)', () => {
  it('keeps pods off NoSchedule taints they do not tolerate, and onto them when they do', async () => {
    const k = c.kernel;
    const gpuTaint = [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' as const }];
    await addNode(k, 'gpu-a', { taints: gpuTaint, allocatable: { cpu: '8', memory: '16Gi' } });
    await addNode(k, 'gpu-b', { taints: gpuTaint, allocatable: { cpu: '8', memory: '16Gi' } });
    await addNode(k, 'small', { allocatable: { cpu: '1', memory: '16Gi' } });

    await createPod(k, 'tiny', { requests: { cpu: '100m' } });
    expect(await boundNode(k, 'tiny')).toBe('small');

    await createPod(k, 'big', { requests: { cpu: '2' } });
    const { condition } = await unschedulable(k, 'big');
    expect(canonicalFitMessage(condition.message!)).toBe(
      fitMessage(3, { 'Insufficient cpu': 1, 'node(s) had untolerated taint {dedicated: gpu}': 2 }, { [NO_VICTIMS]: 1, [NOT_HELPFUL]: 2 }),
    );
    // word for word what kube-scheduler writes: its parts in sort.Strings order (soft: the rest of the test still runs)
    expect
      .soft(condition.message)
      .toBe('0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}. ' + `preemption: 0/3 nodes are available: 1 ${NO_VICTIMS}, 2 ${NOT_HELPFUL}.`);
    expect((await failedSchedulingEvents(k, 'big'))[0]).toMatchObject({ reason: 'FailedScheduling', type: 'Warning', message: condition.message });

    const tolerates = { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] };
    await createPod(k, 'big-tolerating', { requests: { cpu: '2' }, spec: tolerates });
    expect(['gpu-a', 'gpu-b']).toContain(await boundNode(k, 'big-tolerating'));
    // a toleration of another value does not help
    await createPod(k, 'wrong-value', { requests: { cpu: '2' }, spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'fpga', effect: 'NoSchedule' }] } });
    await unschedulable(k, 'wrong-value', 'default', /2 node\(s\) had untolerated taint \{dedicated: gpu\}/);
    expect(nodeNameOf(await k.get(PODS, 'default', 'big'))).toBeUndefined();
  }, T);

  it('prefers nodes without PreferNoSchedule taints, unless tolerated', async () => {
    const k = c.kernel;
    await addNode(k, 'soft', { taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }] });
    await addNode(k, 'clean');
    const names = ['p-0', 'p-1', 'p-2', 'p-3'];
    for (const n of names) {
      // one at a time: each sees the previous ones on `clean`, and still prefers it over the tainted empty node
      await createPod(k, n, { requests: { cpu: '500m', memory: '512Mi' } });
      expect(await boundNode(k, n)).toBe('clean');
    }
    // tolerating the taint removes the penalty: the emptier node wins
    await createPod(k, 'spot-ok', { requests: { cpu: '500m', memory: '512Mi' }, spec: { tolerations: [{ key: 'spot', operator: 'Exists', effect: 'PreferNoSchedule' }] } });
    expect(await boundNode(k, 'spot-ok')).toBe('soft');
  }, T);

  it('never places pods on cordoned nodes; schedules there once uncordoned', async () => {
    const k = c.kernel;
    await addNode(k, 'cordoned', { unschedulable: true, allocatable: { cpu: '8' } });
    await addNode(k, 'small', { allocatable: { cpu: '1' } });
    for (const n of ['a', 'b', 'c']) await createPod(k, n, { requests: { cpu: '100m' } });
    expect(await boundNodes(k, ['a', 'b', 'c'])).toEqual({ a: 'small', b: 'small', c: 'small' });

    await createPod(k, 'needs-2', { requests: { cpu: '2' } });
    const { condition } = await unschedulable(k, 'needs-2');
    expect(condition.message).toBe(fitMessage(2, { 'Insufficient cpu': 1, 'node(s) were unschedulable': 1 }, { [NO_VICTIMS]: 1, [NOT_HELPFUL]: 1 }));
    await failedSchedulingEvents(k, 'needs-2');
    expect(await staysUnbound(k, 'needs-2')).toBe(true);

    // uncordon: the NodeUpdate requeues it
    const node = await k.get(NODES, undefined, 'cordoned');
    await k.update(NODES, { ...node, spec: { ...(node.spec as object), unschedulable: false } });
    expect(await boundNode(k, 'needs-2')).toBe('cordoned');
  }, T);
});

describe('host ports (NodePorts)', () => {
  it('puts two pods with the same hostPort on different nodes, and a third nowhere', async () => {
    const k = c.kernel;
    await addNode(k, 'n1');
    await addNode(k, 'n2');
    const port = (p: number) => ({ ports: [{ containerPort: 80, hostPort: p, protocol: 'TCP' }] });
    await createPod(k, 'hp-1', { container: port(8080) });
    await createPod(k, 'hp-2', { container: port(8080) });
    const placed = await boundNodes(k, ['hp-1', 'hp-2']);
    expect(new Set(Object.values(placed))).toEqual(new Set(['n1', 'n2']));

    await createPod(k, 'hp-3', { container: port(8080) });
    const { condition } = await unschedulable(k, 'hp-3');
    expect(condition.message).toBe(fitMessage(2, { "node(s) didn't have free ports for the requested pod ports": 2 }, { [NO_VICTIMS]: 2 }));
    await failedSchedulingEvents(k, 'hp-3');

    // another port, and a containerPort without hostPort, are fine
    await createPod(k, 'hp-other', { container: port(8081) });
    await createPod(k, 'no-hostport', { container: { ports: [{ containerPort: 8080 }] } });
    await boundNodes(k, ['hp-other', 'no-hostport']);

    // hp-1 goes away: hp-3 takes its node
    const freed = placed['hp-1'];
    await k.delete(PODS, 'default', 'hp-1', { gracePeriodSeconds: 0 });
    expect(await boundNode(k, 'hp-3')).toBe(freed);
  }, T);
});

describe('pod topology spread (PodTopologySpread)', () => {
  it('spreads 6 pods 2/2/2 over 3 zones of unequal size (maxSkew 1, DoNotSchedule), and refuses a pod that would skew them', async () => {
    const k = c.kernel;
    const zone = (z: string) => ({ 'topology.kubernetes.io/zone': z });
    // zone-a has three big nodes: without the constraint LeastAllocated would put most pods there
    for (const n of ['a1', 'a2', 'a3']) await addNode(k, n, { labels: zone('zone-a'), allocatable: { cpu: '32', memory: '64Gi' } });
    await addNode(k, 'b1', { labels: zone('zone-b'), allocatable: { cpu: '4', memory: '8Gi' } });
    await addNode(k, 'c1', { labels: zone('zone-c'), allocatable: { cpu: '4', memory: '8Gi', pods: '2' } });
    await addNode(k, 'x1', { allocatable: { cpu: '32', memory: '64Gi' } }); // no zone: not eligible
    const spread = {
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } }],
    };
    const mk = (n: string) => createPod(k, n, { labels: { app: 'spread' }, requests: { cpu: '500m', memory: '512Mi' }, spec: spread });
    const six = Array.from({ length: 6 }, (_, i) => `s-${i}`);
    await Promise.all(six.map(mk)); // all at once: the scheduler must count the pods it has just placed
    const placed = await boundNodes(k, six);
    const zoneOf = (n: string) => (n.startsWith('a') ? 'zone-a' : n.startsWith('b') ? 'zone-b' : n.startsWith('c') ? 'zone-c' : 'none');
    const perZone = (p: Record<string, string>) => {
      const out: Record<string, number> = {};
      for (const n of Object.values(p)) out[zoneOf(n)] = (out[zoneOf(n)] ?? 0) + 1;
      return out;
    };
    expect(perZone(placed)).toEqual({ 'zone-a': 2, 'zone-b': 2, 'zone-c': 2 });

    // zone-c is now full (2 pod slots): two more fit in a and b (3/3/2), the next would make a skew of 2
    await mk('s-6');
    await mk('s-7');
    const more = await boundNodes(k, ['s-6', 's-7']);
    expect(perZone(more)).toEqual({ 'zone-a': 1, 'zone-b': 1 });
    await mk('s-8');
    const { condition } = await unschedulable(k, 's-8');
    expect(canonicalFitMessage(condition.message!)).toBe(
      fitMessage(
        6,
        { "node(s) didn't match pod topology spread constraints": 4, 'Too many pods': 1, "node(s) didn't match pod topology spread constraints (missing required label)": 1 },
        { [NOT_HELPFUL]: 1, [NO_VICTIMS]: 5 },
      ),
    );
    await failedSchedulingEvents(k, 's-8');
    expect(await placement(k, 'default', (p) => nodeNameOf(p) === 'x1')).toEqual({});
  }, T);
});

describe('inter-pod affinity (InterPodAffinity)', () => {
  it('co-locates with app=db, keeps anti-affine pods one per node, and honours existing pods\' anti-affinity', async () => {
    const k = c.kernel;
    for (const n of ['n1', 'n2', 'n3']) await addNode(k, n);
    await createPod(k, 'db', { labels: { app: 'db' }, spec: on('n2') });
    expect(await boundNode(k, 'db')).toBe('n2');

    const withDb = {
      affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' }] } },
    };
    const webs = ['web-0', 'web-1', 'web-2'];
    await Promise.all(webs.map((n) => createPod(k, n, { labels: { app: 'web' }, requests: { cpu: '500m', memory: '1Gi' }, spec: withDb })));
    expect(Object.values(await boundNodes(k, webs))).toEqual(['n2', 'n2', 'n2']);

    const apart = {
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'kubernetes.io/hostname' }] } },
    };
    const caches = ['cache-0', 'cache-1', 'cache-2'];
    await Promise.all(caches.map((n) => createPod(k, n, { labels: { app: 'cache' }, spec: apart })));
    expect(new Set(Object.values(await boundNodes(k, caches)))).toEqual(new Set(['n1', 'n2', 'n3']));
    await createPod(k, 'cache-3', { labels: { app: 'cache' }, spec: apart });
    const { condition } = await unschedulable(k, 'cache-3');
    expect(condition.message).toBe(fitMessage(3, { "node(s) didn't match pod anti-affinity rules": 3 }, { [NO_VICTIMS]: 3 }));
    await failedSchedulingEvents(k, 'cache-3');

    // affinity to pods that do not exist: nowhere
    const withQueue = {
      affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'queue' } }, topologyKey: 'kubernetes.io/hostname' }] } },
    };
    await createPod(k, 'needs-queue', { spec: withQueue });
    await unschedulable(k, 'needs-queue', 'default', fitMessage(3, { "node(s) didn't match pod affinity rules": 3 }, { [NOT_HELPFUL]: 3 }));

    // a queue pod appears on n3 (pinned): the waiting pod follows it there (requeued on PodAdd)
    await createPod(k, 'queue', { labels: { app: 'queue' }, spec: on('n3') });
    expect(await boundNode(k, 'queue')).toBe('n3');
    expect(await boundNode(k, 'needs-queue')).toBe('n3');

    // an existing pod's anti-affinity repels newcomers: a "noisy" pod cannot join the "quiet" one
    const quiet = {
      ...on('n1'),
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'noisy' } }, topologyKey: 'kubernetes.io/hostname' }] } },
    };
    await createPod(k, 'quiet', { labels: { app: 'quiet' }, spec: quiet });
    expect(await boundNode(k, 'quiet')).toBe('n1');
    await createPod(k, 'noisy', { labels: { app: 'noisy' }, spec: on('n1') });
    await unschedulable(
      k,
      'noisy',
      'default',
      (m) =>
        canonicalFitMessage(m) ===
        fitMessage(3, { "node(s) didn't satisfy existing pods anti-affinity rules": 1, "node(s) didn't match Pod's node affinity/selector": 2 }, { [NO_VICTIMS]: 1, [NOT_HELPFUL]: 2 }),
    );
    await createPod(k, 'noisy-anywhere', { labels: { app: 'noisy' } });
    expect(await boundNode(k, 'noisy-anywhere')).not.toBe('n1');
  }, T);
});

describe('priorities (PrioritySort, DefaultPreemption)', () => {
  it('binds a high-priority pod created after low-priority ones first when capacity frees up', async () => {
    const k = c.kernel;
    await addNode(k, 'only', { allocatable: { cpu: '1', memory: '8Gi' } });
    // a filler the waiting pods cannot preempt (higher priority than all of them)
    await createPod(k, 'filler', { requests: { cpu: '1' }, spec: { priority: 1000 } });
    expect(await boundNode(k, 'filler')).toBe('only');
    const lows = ['low-0', 'low-1', 'low-2'];
    for (const n of lows) await createPod(k, n, { requests: { cpu: '1' }, spec: { priority: 0 } });
    for (const n of lows) await unschedulable(k, n);
    await createPod(k, 'high', { requests: { cpu: '1' }, spec: { priority: 100 } });
    const { condition } = await unschedulable(k, 'high');
    expect(condition.message).toBe(fitMessage(1, { 'Insufficient cpu': 1 }, { [NO_VICTIMS]: 1 }));
    // let every backoff run out, so all four are equally eligible when the room appears
    await sleep(2500);
    await k.delete(PODS, 'default', 'filler', { gracePeriodSeconds: 0 });
    // room for exactly one: whichever is bound first took it
    const winner = await until(async () => {
      const bound = (await k.list(PODS, { namespace: 'default' })).items.filter((p) => nodeNameOf(p));
      return bound.length ? bound.map((p) => p.metadata.name).join(',') : undefined;
    }, 'one of the waiting pods to be bound');
    expect(winner).toBe('high');
    for (const n of lows) expect(await staysUnbound(k, n, 'default', 500)).toBe(true);
  }, T);

  it('preempts the lowest-priority victim on one node, nominates that node, and binds there once the victim is gone', async () => {
    const k = c.kernel;
    const sim = await addHollowNodes(c, [{ count: 2, cpu: '2', memory: '8Gi' }]);
    const [n0, n1] = sim.nodeNames;
    // n0 holds priorities 10 and 20, n1 holds 50 and 60: the cluster is full
    const residents: [string, string, number][] = [
      ['v10', n0, 10],
      ['v20', n0, 20],
      ['v50', n1, 50],
      ['v60', n1, 60],
    ];
    for (const [name, node, priority] of residents) await createPod(k, name, { requests: { cpu: '1' }, spec: { priority, ...on(node) } });
    await boundNodes(k, residents.map((r) => r[0]));
    await until(async () => (await k.list(PODS, { namespace: 'default' })).items.every((p) => (p.status as { phase?: string }).phase === 'Running'), 'residents Running');
    const uids = new Map((await k.list(PODS, { namespace: 'default' })).items.map((p) => [p.metadata.name!, p.metadata.uid!]));

    // record every version of every pod from here on
    const start = (await k.list(PODS, { namespace: 'default' })).metadata.resourceVersion;
    const seen: { type: string; pod: KObject }[] = [];
    const w = k.watch(PODS, { namespace: 'default', resourceVersion: start });
    void (async () => {
      for await (const ev of w) if (ev.type !== 'BOOKMARK' && ev.type !== 'ERROR') seen.push({ type: ev.type, pod: ev.object });
    })();
    try {
      await createPod(k, 'vip', { requests: { cpu: '1' }, spec: { priority: 100 } });
      expect(await boundNode(k, 'vip')).toBe(n0);
      await until(() => seen.some((e) => e.pod.metadata.name === 'vip' && nodeNameOf(e.pod)), 'the watch to see vip bound');
    } finally {
      w.stop();
    }
    // exactly one victim: the lowest-priority pod, on the node whose most important victim is least important
    const remaining = (await k.list(PODS, { namespace: 'default' })).items;
    expect(remaining.map((p) => p.metadata.name).sort()).toEqual(['v20', 'v50', 'v60', 'vip']);
    for (const p of remaining) expect(p.metadata.deletionTimestamp).toBeUndefined();
    expect(seen.some((e) => e.type === 'DELETED' && e.pod.metadata.uid === uids.get('v10'))).toBe(true);
    for (const n of ['v20', 'v50', 'v60']) expect(remaining.find((p) => p.metadata.name === n)?.metadata.uid).toBe(uids.get(n));

    // vip was nominated to n0 (while still unbound) before it was bound there, and only after the victim was gone
    const vip = seen.filter((e) => e.pod.metadata.name === 'vip');
    const nominatedAt = vip.findIndex((e) => !nodeNameOf(e.pod) && (e.pod.status as { nominatedNodeName?: string }).nominatedNodeName === n0);
    expect(nominatedAt).toBeGreaterThanOrEqual(0);
    const nominated = vip[nominatedAt].pod;
    expect(podScheduledOf(nominated)).toMatchObject({ status: 'False', reason: 'Unschedulable' });
    expect(podScheduledOf(nominated)?.message).toMatch(/^0\/2 nodes are available: 2 Insufficient cpu\./);
    const boundIdx = seen.findIndex((e) => e.pod.metadata.name === 'vip' && nodeNameOf(e.pod));
    const victimGoneIdx = seen.findIndex((e) => e.type === 'DELETED' && e.pod.metadata.uid === uids.get('v10'));
    expect(victimGoneIdx).toBeGreaterThanOrEqual(0);
    expect(victimGoneIdx).toBeLessThan(boundIdx);
    expect(nodeNameOf(seen[boundIdx].pod)).toBe(n0);
    await until(async () => ((await k.get(PODS, 'default', 'vip')).status as { phase?: string }).phase === 'Running', 'vip Running');
  }, T);
});

describe('pods the scheduler must leave alone', () => {
  it('respects a hand-set spec.nodeName and ignores pods for another scheduler', async () => {
    const k = c.kernel;
    // "tainted" is tainted and cordoned: the scheduler would never choose it
    await addNode(k, 'tainted', { unschedulable: true, taints: [{ key: 'x', value: 'y', effect: 'NoSchedule' }] });
    await addNode(k, 'free');
    await createPod(k, 'by-hand', { spec: { nodeName: 'tainted' } });
    await createPod(k, 'other', { spec: { schedulerName: 'other' } });
    await createPod(k, 'mine', {});
    expect(await boundNode(k, 'mine')).toBe('free'); // the scheduler is running
    await sleep(1500);
    const byHand = await k.get(PODS, 'default', 'by-hand');
    expect(nodeNameOf(byHand)).toBe('tainted');
    expect(podScheduledOf(byHand)?.reason).not.toBe('Unschedulable');
    const other = await k.get(PODS, 'default', 'other');
    expect(nodeNameOf(other)).toBeUndefined();
    expect(podScheduledOf(other)).toBeUndefined();
    const { items: events } = await k.list(EVENTS, { namespace: 'default' });
    expect(events.filter((e) => ['by-hand', 'other'].includes((e.involvedObject as { name: string }).name))).toEqual([]);
    expect(await staysUnbound(k, 'other', 'default', 500)).toBe(true);
  }, T);
});

describe('requeue on cluster events', () => {
  it('schedules a pod that fitted nowhere once a node that fits is added', async () => {
    const k = c.kernel;
    await addNode(k, 'small-1', { allocatable: { cpu: '2', memory: '4Gi' } });
    await addNode(k, 'small-2', { allocatable: { cpu: '2', memory: '4Gi' } });
    await createPod(k, 'large', { requests: { cpu: '6', memory: '8Gi' } });
    const { condition } = await unschedulable(k, 'large');
    expect(condition.message).toBe(fitMessage(2, { 'Insufficient cpu': 2, 'Insufficient memory': 2 }, { [NO_VICTIMS]: 2 }));
    const [ev] = await failedSchedulingEvents(k, 'large');
    expect(ev.message).toBe(condition.message);
    expect(await staysUnbound(k, 'large')).toBe(true);
    await addNode(k, 'large-node', { allocatable: { cpu: '8', memory: '16Gi' } });
    expect(await boundNode(k, 'large')).toBe('large-node');
    // the bound pod's PodScheduled is True now
    await until(async () => podScheduledOf(await k.get(PODS, 'default', 'large'))?.status === 'True', 'PodScheduled=True');
  }, T);
});
