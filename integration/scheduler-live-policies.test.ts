// Policies are plugins, changed while the scheduler works: with the real scheduler and every default
// policy plugin loaded by a real PluginHost, 50 nodes and 3,000 pods created in the background, a
// new scorer plugin is loaded, a default policy is reloaded with another weight and another is
// removed — each while pods are being scheduled. Every pod must be bound exactly once (a watch sees
// exactly one transition from no nodeName to a nodeName per pod uid, and no nodeName ever changes),
// none is lost or left unbound, and the scheduler keeps running.
import { afterAll, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { definePlugin } from '@skiff/kernel/plugins';
import { PolicyRegistryToken, type SchedulerPolicy } from '@skiff/plugin-scheduler/framework';
import { defaultPolicyPlugins } from '@skiff/scheduler-policies';
import { addNode, boundNode, createPod, EVENTS, nodeNameOf, PODS, startCluster, until, type Cluster } from './scheduler-cluster.ts';

const NODES = 50;
const PREF_NODES = 10; // labelled pref=yes
const PODS_TOTAL = 3000;

/** A scorer written here, as a user would: prefers nodes labelled pref=yes. Records the pods it scored. */
const scored = new Set<string>();
const preferPlugin = definePlugin<{ weight: number }>({
  name: 'prefer-labelled',
  version: '1.0.0',
  type: 'skiff.io/scheduler-policy',
  requires: ['skiff.io/scheduler'],
  configSchema: { type: 'object', properties: { weight: { type: 'integer', minimum: 0, default: 10 } }, additionalProperties: false },
  start(ctx) {
    const policy: SchedulerPolicy = {
      name: 'PreferLabelled',
      score(_s, pod, node) {
        scored.add(pod.uid);
        return node.labels.pref === 'yes' ? 100 : 0;
      },
    };
    const reg = ctx.resolve(PolicyRegistryToken).register({ policy, weight: ctx.config.weight });
    return { stop: () => reg.dispose() };
  },
});

let c: Cluster | undefined;
afterAll(async () => {
  await c?.stop();
});

interface PodTrack {
  name: string;
  node?: string;
  /** transitions from no nodeName to a nodeName */
  bindings: number;
  /** a bound pod's nodeName changed */
  moves: number;
  deleted: boolean;
  /** index in the global binding order */
  boundAt?: number;
}

it('adds, reconfigures and removes policy plugins while 3,000 pods are scheduled: every pod bound exactly once', async () => {
  c = await startCluster();
  const k = c.kernel;
  for (let i = 0; i < NODES; i++) {
    await addNode(k, `node-${String(i).padStart(2, '0')}`, {
      labels: i < PREF_NODES ? { pref: 'yes' } : {},
      allocatable: { cpu: '64', memory: '256Gi', pods: '500' },
    });
  }

  // watch every pod event from before the first pod exists
  const rv = (await k.list(PODS, { namespace: 'default' })).metadata.resourceVersion;
  const pods = new Map<string, PodTrack>();
  const bindOrder: string[] = [];
  let watchErrors = 0;
  const watch = k.watch(PODS, { namespace: 'default', resourceVersion: rv });
  const watching = (async () => {
    for await (const ev of watch) {
      if (ev.type === 'BOOKMARK') continue;
      if (ev.type === 'ERROR') {
        watchErrors++;
        continue;
      }
      const uid = ev.object.metadata.uid!;
      let t = pods.get(uid);
      if (!t) pods.set(uid, (t = { name: ev.object.metadata.name!, bindings: 0, moves: 0, deleted: false }));
      if (ev.type === 'DELETED') {
        t.deleted = true;
        continue;
      }
      const node = nodeNameOf(ev.object);
      if (node && !t.node) {
        t.bindings++;
        t.boundAt = bindOrder.length;
        bindOrder.push(uid);
      } else if (node && t.node && node !== t.node) t.moves++;
      else if (!node && t.node) t.moves++; // a nodeName can never be taken back either
      if (node) t.node = node;
    }
  })();

  // 3,000 pods, created in the background (32 requests in flight)
  let created = 0;
  const creating = (async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < PODS_TOTAL) {
          const i = next++;
          await createPod(k, `p-${String(i).padStart(4, '0')}`, { requests: { cpu: '10m', memory: '16Mi' } });
          created++;
        }
      }),
    );
  })();

  const host = c.host;
  const registry = host.resolve(PolicyRegistryToken);
  const ops: { op: string; boundBefore: number; boundAfter: number; created: number }[] = [];
  const during = async (op: string, atBound: number, fn: () => Promise<unknown>) => {
    await until(() => bindOrder.length >= atBound, `${atBound} pods bound before "${op}"`, 240_000, 5);
    const boundBefore = bindOrder.length;
    await fn();
    ops.push({ op, boundBefore, boundAfter: bindOrder.length, created });
  };

  // 1. a new scorer plugin
  await during('load prefer-labelled', 400, () => host.load([preferPlugin]));
  // 2. a default policy reconfigured: NodeResourcesFit's weight 1 -> 5
  await during('reload node-resources-fit {weight: 5}', 1200, () =>
    host.reload('node-resources-fit', defaultPolicyPlugins['node-resources-fit'], { weight: 5 }),
  );
  // 3. a default policy removed
  await during('remove image-locality', 2000, () => host.remove('image-locality'));

  await creating;
  expect(created).toBe(PODS_TOTAL);
  await until(() => bindOrder.length >= PODS_TOTAL, `all ${PODS_TOTAL} pods bound (seen by the watch)`, 240_000, 50);
  // every change happened while pods were still being scheduled
  for (const o of ops) expect(o.boundAfter, `${o.op} happened mid-stream: ${JSON.stringify(o)}`).toBeLessThan(PODS_TOTAL);

  // the registry reflects the three changes
  const policies = Object.fromEntries(registry.list().map((p) => [p.name, p.weight]));
  expect(policies.PreferLabelled).toBe(10);
  expect(policies.NodeResourcesFit).toBe(5);
  expect(policies.ImageLocality).toBeUndefined();
  expect(Object.keys(policies).sort()).toEqual(
    [
      'PrioritySort', 'NodeName', 'NodeUnschedulable', 'NodeResourcesFit', 'NodeResourcesBalancedAllocation', 'NodeAffinity',
      'TaintToleration', 'NodePorts', 'VolumeRestrictions', 'NodeVolumeLimits', 'VolumeBinding', 'PodTopologySpread', 'InterPodAffinity',
      'DefaultPreemption', 'PreferLabelled',
    ].sort(),
  );

  // let any stray second binding or move show up in the watch before judging
  await new Promise((r) => setTimeout(r, 1000));

  // exactly once, never moved, never lost
  expect(watchErrors).toBe(0);
  expect(pods.size).toBe(PODS_TOTAL);
  const wrong = [...pods.values()].filter((t) => t.bindings !== 1 || t.moves !== 0 || t.deleted || !t.node);
  expect(wrong.map((t) => `${t.name}: bindings=${t.bindings} moves=${t.moves} deleted=${t.deleted} node=${t.node}`)).toEqual([]);
  const { items } = await k.list(PODS, { namespace: 'default' });
  expect(items).toHaveLength(PODS_TOTAL);
  const unbound = items.filter((p) => !nodeNameOf(p));
  expect(unbound.map((p) => p.metadata.name)).toEqual([]);
  for (const p of items) expect(nodeNameOf(p)).toBe([...pods.values()].find((t) => t.name === p.metadata.name)?.node);
  // nothing failed to schedule along the way (room for all: 50 x 500 pod slots)
  const failed = (await k.list(EVENTS, { namespace: 'default' })).items.filter((e: KObject) => e.reason === 'FailedScheduling');
  expect(failed.map((e) => `${(e.involvedObject as { name: string }).name}: ${String(e.message)}`)).toEqual([]);

  // the new scorer took effect: every pod it scored (scheduled with it in the policy set) went to a
  // pref=yes node, as its weight (10 x 100) outweighs everything else even with NodeResourcesFit at 5
  const byUid = new Map([...pods].map(([uid, t]) => [uid, t]));
  expect(scored.size).toBeGreaterThan(1000);
  const prefNodes = new Set(Array.from({ length: PREF_NODES }, (_, i) => `node-${String(i).padStart(2, '0')}`));
  const offPref = [...scored].map((uid) => byUid.get(uid)!).filter((t) => !prefNodes.has(t.node!));
  expect(offPref.map((t) => `${t.name} on ${t.node}`)).toEqual([]);
  // and before it loaded the pods spread over all nodes
  const early = new Set(bindOrder.slice(0, 300).map((uid) => byUid.get(uid)!.node!));
  expect([...early].filter((n) => !prefNodes.has(n)).length).toBeGreaterThan(20);

  // the scheduler kept running: plugin states, and a new pod is scheduled
  const states = Object.fromEntries(host.list().map((p) => [p.name, p.state]));
  expect(states.scheduler).toBe('Running');
  expect(states['node-resources-fit']).toBe('Running');
  expect(states['prefer-labelled']).toBe('Running');
  expect(states['image-locality']).toBeUndefined();
  expect(host.list().find((p) => p.name === 'node-resources-fit')?.reloads).toBe(1);
  await createPod(k, 'after-all');
  expect(prefNodes.has(await boundNode(k, 'after-all'))).toBe(true);

  watch.stop();
  await watching;
}, 600_000);
