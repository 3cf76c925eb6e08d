// With Skiff's real scheduler and its default policies: the daemon pods, pinned only by their required
// node affinity (matchFields metadata.name In [node]), are bound to exactly that node, tainted or
// cordoned nodes included where the DaemonSet tolerates them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAEMON_SETS, type DaemonSet } from '@skiff/api';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import schedulerPlugin from '../scheduler/plugin.ts';
import { defaultPolicyPlugins } from '../scheduler-policies/mod.ts';
import descriptor from './plugin.ts';
import { targetNodeName } from './pod-template.ts';
import { converge, createReadyNode, daemonSet, editNode, fakeNodes, podsOf, type FakeNodes } from './testing.ts';

let t: TestKernel;
let host: PluginHost;
let nodes: FakeNodes;
const warnings: string[] = [];

beforeAll(async () => {
  t = await startTestKernel();
  host = new PluginHost({ kernel: t.kernel, logger: createConsoleLogger({ level: 'warn', write: (l) => void warnings.push(l) }) });
  await host.load([
    { descriptor: schedulerPlugin, config: { leaderElection: false } },
    ...Object.values(defaultPolicyPlugins).map((d) => ({ descriptor: d })),
    { descriptor, config: { leaderElection: false } },
  ]);
  // no binding by the stand-in: the scheduler binds; the stand-in only makes bound pods ready
  nodes = await fakeNodes(t.kernel, { bind: false });
  for (let i = 0; i < 5; i++) await createReadyNode(t.kernel, `w${i}`);
  await createReadyNode(t.kernel, 'cordoned', { taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] });
  await editNode(t.kernel, 'cordoned', (n) => void (n.spec!.unschedulable = true));
  await createReadyNode(t.kernel, 'gpu', { taints: [{ key: 'gpu', effect: 'NoSchedule' }] });
});
afterAll(async () => {
  nodes?.stop();
  await host?.stopAll();
  await t?.stop();
});

describe('with the scheduler', () => {
  it('binds each daemon pod to the node its affinity names', async () => {
    await t.kernel.create(DAEMON_SETS, daemonSet('sched'));
    const expected = ['cordoned', 'w0', 'w1', 'w2', 'w3', 'w4'];
    await converge(async () => {
      const pods = await podsOf(t.kernel, 'sched');
      return pods.length === expected.length && pods.every((p) => p.spec?.nodeName);
    }, 'all bound', 20_000);
    const pods = await podsOf(t.kernel, 'sched');
    expect(pods.map((p) => p.spec?.nodeName).sort()).toEqual(expected);
    for (const p of pods) expect(p.spec?.nodeName).toBe(targetNodeName({ ...p, spec: { ...p.spec!, nodeName: undefined } }));
    await converge(async () => ((await t.kernel.get(DAEMON_SETS, 'default', 'sched')) as DaemonSet).status?.numberAvailable === expected.length, 'available');
    expect(warnings.filter((w) => w.includes('reconcile failed'))).toEqual([]);
  });
});
