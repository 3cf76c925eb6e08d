// A restarted controller (a new process taking over the same store) makes no second pod for a node
// and leaves none orphaned, also when the old one stopped half-way through creating pods.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAEMON_SETS, PODS, type DaemonSet, type Pod } from '@skiff/api';
import { SharedInformer } from '@skiff/client';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { startControllers, sleep, type ControllerTestEnv } from '../../client/testing.ts';
import descriptor from './plugin.ts';
import { targetNodeName } from './pod-template.ts';
import { converge, createReadyNode, daemonSet, fakeNodes, podsOf, type FakeNodes } from './testing.ts';

let env: ControllerTestEnv;
let nodes: FakeNodes;
const k = () => env.t.kernel;
const N = 40;
/** the most live pods of one DaemonSet any node had at one moment */
let worstPerNode = 0;
let podWatch: SharedInformer<Pod>;
const hosts: PluginHost[] = [];
// few creations per sync, so that a stop can fall between two syncs of one DaemonSet
const config = { burstReplicas: 4 };

beforeAll(async () => {
  env = await startControllers([{ descriptor, config }]);
  nodes = await fakeNodes(env.t.kernel, { bind: true });
  await Promise.all(Array.from({ length: N }, (_, i) => createReadyNode(env.t.kernel, `node-${i}`)));
  podWatch = new SharedInformer<Pod>(env.t.kernel, PODS, { namespace: 'default' });
  const check = () => {
    const per = new Map<string, number>();
    for (const p of podWatch.indexer.list()) {
      if (p.metadata.deletionTimestamp) continue;
      const key = `${p.metadata.labels?.app}/${targetNodeName(p)}`;
      per.set(key, (per.get(key) ?? 0) + 1);
    }
    worstPerNode = Math.max(worstPerNode, ...per.values());
  };
  podWatch.addEventHandler({ onAdd: check, onUpdate: check });
  await podWatch.start();
});
afterAll(async () => {
  for (const h of hosts) await h.stopAll();
  podWatch?.stop();
  nodes?.stop();
  await env?.stop();
});

async function newHost(): Promise<PluginHost> {
  const host = new PluginHost({ kernel: k(), logger: createConsoleLogger({ level: 'warn', write: (l) => void env.warnings.push(l) }) });
  hosts.push(host);
  await host.load([{ descriptor, config: { leaderElection: false, ...config } }]);
  return host;
}

const onePerNode = async (ds: string) => {
  const pods = await podsOf(k(), ds);
  const nodesSeen = new Set(pods.map(targetNodeName));
  return pods.length === N && nodesSeen.size === N ? pods : undefined;
};

describe('restart', () => {
  it('a new controller on the same store changes nothing when all is in place', async () => {
    const ds = (await k().create(DAEMON_SETS, daemonSet('steady'))) as DaemonSet;
    const before = await converge(() => onePerNode('steady'), 'one pod per node');
    await converge(async () => ((await k().get(DAEMON_SETS, 'default', 'steady')) as DaemonSet).status?.numberAvailable === N, 'available');
    await env.host.stopAll();
    await newHost();
    await sleep(1000);
    const after = await onePerNode('steady');
    expect(after?.map((p) => p.metadata.uid).sort()).toEqual(before.map((p) => p.metadata.uid).sort());
    for (const p of after!) expect(p.metadata.ownerReferences?.filter((r) => r.controller).map((r) => r.uid)).toEqual([ds.metadata.uid]);
  });

  it('a controller stopped half-way through creating pods is taken over without a duplicate', async () => {
    await k().create(DAEMON_SETS, daemonSet('interrupted'));
    await converge(async () => (await podsOf(k(), 'interrupted')).length >= 3, 'the first pods', 10_000);
    await hosts[0].stopAll();
    const made = (await podsOf(k(), 'interrupted')).length;
    await newHost();
    await converge(() => onePerNode('interrupted'), 'one pod per node');
    await sleep(500);
    expect(await onePerNode('interrupted')).toBeTruthy();
    // the first controller really stopped half-way
    expect(made).toBeLessThan(N);
  });

  it('never had two live pods of one DaemonSet for one node', () => {
    expect(worstPerNode).toBe(1);
    expect(env.warnings.filter((w) => w.includes('reconcile failed'))).toEqual([]);
  });
});
