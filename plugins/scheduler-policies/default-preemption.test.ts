import { describe, expect, it } from 'vitest';
import type { NodeInfo, PodInfo, PolicyStatus, SchedulerPolicy } from '@skiff/plugin-scheduler/framework';
import { MapCycleState } from './cycle-state.ts';
import {
  REASON_NEVER,
  REASON_TERMINATING,
  defaultPreemption,
  pickOneNode,
  type DefaultPreemptionOptions,
} from './default-preemption.ts';
import { createPolicyDirectory } from './directory.ts';
import { interPodAffinity } from './inter-pod-affinity.ts';
import { nodePorts } from './node-ports.ts';
import { nodeResourcesFit } from './node-resources-fit.ts';
import { podTopologySpread } from './pod-topology-spread.ts';
import { taintToleration } from './taint-toleration.ts';
import { node, pod, snapshot } from './testing.ts';

const filters = () => [taintToleration(), nodePorts(), nodeResourcesFit(), interPodAffinity(), podTopologySpread()];

/** What the scheduler hands PostFilter: per node, the first failing filter's status, with its policy. */
function filterAll(policies: SchedulerPolicy[], p: PodInfo, nodes: NodeInfo[]): Map<string, PolicyStatus> {
  const state = new MapCycleState();
  const snap = snapshot(nodes);
  const skip = new Set<string>();
  for (const pol of policies) {
    const r = pol.preFilter?.(state, p, snap);
    const st = r && ('code' in r ? r : r.status);
    if (st?.code === 'Skip') skip.add(pol.name);
  }
  const out = new Map<string, PolicyStatus>();
  for (const n of nodes) {
    let status: PolicyStatus = { code: 'Success' };
    for (const pol of policies) {
      if (skip.has(pol.name) || !pol.filter) continue;
      const st = pol.filter(state, p, n);
      if (st.code !== 'Success') {
        status = { ...st, policy: pol.name };
        break;
      }
    }
    out.set(n.name, status);
  }
  return out;
}

function fakeKernel() {
  const deleted: string[] = [];
  const logs: string[] = [];
  const opts: DefaultPreemptionOptions = {
    kernel: {
      delete: async (_ref, ns, name, o) => {
        deleted.push(`${ns}/${name}`);
        expect(o?.preconditions?.uid).toBeTruthy();
        return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns } };
      },
    },
    logger: { info: (msg) => void logs.push(msg), warn: (msg) => void logs.push(`WARN ${msg}`) },
  };
  return { deleted, logs, opts };
}

async function preempt(p: PodInfo, nodes: NodeInfo[], extra: Partial<DefaultPreemptionOptions> = {}) {
  const policies = filters();
  const k = fakeKernel();
  const dp = defaultPreemption({ ...k.opts, policies: createPolicyDirectory(policies), ...extra });
  const filtered = filterAll(policies, p, nodes);
  const result = await dp.postFilter!(new MapCycleState(), p, filtered, snapshot(nodes));
  return { result, filtered, ...k };
}

const cpu = (name: string, cores: string, priority: number, o: Parameters<typeof pod>[1] = {}) =>
  pod(name, { requests: { cpu: cores }, priority, ...o });

describe('DefaultPreemption', () => {
  it('picks the node whose most important victim is least important, and evicts its victims', async () => {
    const nodes = [
      node('n1', { cpu: '4', pods: [cpu('a', '2', 10), cpu('b', '2', 5)] }),
      node('n2', { cpu: '4', pods: [cpu('c', '1', 1), cpu('d', '1', 1), cpu('e', '2', 20)] }),
      node('n3', { cpu: '8', taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }], pods: [cpu('f', '8', 0)] }),
    ];
    const p = cpu('p', '2', 15);
    const { result, filtered, deleted, logs } = await preempt(p, nodes);
    expect(filtered.get('n1')).toMatchObject({ code: 'Unschedulable', policy: 'NodeResourcesFit' });
    expect(filtered.get('n3')).toMatchObject({ code: 'UnschedulableAndUnresolvable', policy: 'TaintToleration' });
    // n1 would lose b (priority 5: a is reprieved), n2 would lose c and d (priority 1): n2 wins
    expect(result).toEqual({ status: { code: 'Success' }, nominatedNodeName: 'n2' });
    expect(deleted.sort()).toEqual(['default/c', 'default/d']);
    expect(logs).toContain('preempting pod default/c on node n2 for pod default/p');
  });

  it('on equal victim priority prefers fewer victims', async () => {
    const nodes = [
      node('n1', { cpu: '4', pods: [cpu('a', '1', 5), cpu('b', '1', 5), cpu('c', '2', 50)] }),
      node('n2', { cpu: '4', pods: [cpu('d', '2', 5), cpu('e', '2', 50)] }),
    ];
    const { result, deleted } = await preempt(cpu('p', '2', 10), nodes);
    expect(result.nominatedNodeName).toBe('n2');
    expect(deleted).toEqual(['default/d']);
  });

  it('reprieves the most important pods first and evicts as few as needed', async () => {
    const nodes = [node('n1', { cpu: '4', pods: [cpu('low', '1', 1), cpu('mid', '1', 2), cpu('high', '2', 3)] })];
    const { result, deleted } = await preempt(cpu('p', '2', 10), nodes);
    // remove all, then put back high (fits: 2 + 2), mid (no: 5 > 4), low (no)
    expect(result.nominatedNodeName).toBe('n1');
    expect(deleted.sort()).toEqual(['default/low', 'default/mid']);
  });

  it('frees host ports', async () => {
    const nodes = [
      node('n1', { pods: [pod('web-old', { priority: 0, ports: [{ containerPort: 80, hostPort: 80 }] })] }),
      node('n2', { pods: [pod('web-vip', { priority: 100, ports: [{ containerPort: 80, hostPort: 80 }] })] }),
    ];
    const { result, deleted, filtered } = await preempt(pod('p', { priority: 10, ports: [{ containerPort: 80, hostPort: 80 }] }), nodes);
    expect(filtered.get('n1')?.policy).toBe('NodePorts');
    expect(result.nominatedNodeName).toBe('n1');
    expect(deleted).toEqual(['default/web-old']);
  });

  it('never preempts equal or higher priority pods', async () => {
    const nodes = [node('n1', { cpu: '2', pods: [cpu('a', '2', 10)] }), node('n2', { cpu: '2', pods: [cpu('b', '2', 20)] })];
    const { result, deleted } = await preempt(cpu('p', '2', 10), nodes);
    expect(result).toEqual({
      status: { code: 'Unschedulable', reasons: ['0/2 nodes are available: 2 No preemption victims found for incoming pod.'] },
    });
    expect(deleted).toEqual([]);
  });

  it('does not preempt where removing pods cannot help', async () => {
    const nodes = [
      node('n1', { cpu: '1', pods: [cpu('a', '1', 0)] }), // too small even when empty
      node('n2', { cpu: '8', taints: [{ key: 'k', effect: 'NoSchedule' }], pods: [cpu('b', '8', 0)] }),
    ];
    const { result } = await preempt(cpu('p', '2', 10), nodes);
    expect(result.status).toEqual({
      code: 'Unschedulable',
      reasons: ['0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.'],
    });
  });

  it('does not evict the pod that satisfies the preemptor\'s required affinity', async () => {
    const nodes = [node('n1', { cpu: '4', pods: [cpu('db', '3', 0, { labels: { app: 'db' } })] })];
    const p = cpu('p', '2', 10, {
      affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' }] } },
    });
    const { result, deleted } = await preempt(p, nodes);
    expect(result.status.code).toBe('Unschedulable');
    expect(deleted).toEqual([]);
  });

  it('re-runs a failing anti-affinity filter on the simulated cluster', async () => {
    const nodes = [
      node('n1', { labels: { zone: 'a' }, pods: [pod('rival', { priority: 0, labels: { app: 'web' } })] }),
      node('n2', { labels: { zone: 'a' }, pods: [pod('vip', { priority: 100, labels: { app: 'web' } })] }),
    ];
    const p = pod('p', {
      priority: 10,
      labels: { app: 'web' },
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] } },
    });
    const { result, deleted, filtered } = await preempt(p, nodes);
    expect(filtered.get('n1')?.policy).toBe('InterPodAffinity');
    expect(result.nominatedNodeName).toBe('n1');
    expect(deleted).toEqual(['default/rival']);
  });

  it('pods with preemptionPolicy Never do not preempt', async () => {
    const nodes = [node('n1', { cpu: '2', pods: [cpu('a', '2', 0)] })];
    const { result, deleted } = await preempt(cpu('p', '2', 10, { preemptionPolicy: 'Never' }), nodes);
    expect(result).toEqual({ status: { code: 'Unschedulable', reasons: [REASON_NEVER] } });
    expect(deleted).toEqual([]);
  });

  it('waits while a lower-priority pod is terminating on the nominated node', async () => {
    const nodes = [node('n1', { cpu: '2', pods: [cpu('a', '2', 0, { deletionTimestamp: '2024-01-01T00:00:00Z' })] })];
    const { result } = await preempt(cpu('p', '2', 10, { nominatedNodeName: 'n1' }), nodes);
    expect(result.status).toEqual({ code: 'Unschedulable', reasons: [REASON_TERMINATING] });
  });

  it('skips nodes rejected by a policy it cannot re-run', async () => {
    const nodes = [node('n1', { cpu: '2', pods: [cpu('a', '2', 0)] })];
    const p = cpu('p', '2', 10);
    const k = fakeKernel();
    const dp = defaultPreemption({ ...k.opts, policies: createPolicyDirectory(filters()) });
    const filtered = new Map<string, PolicyStatus>([['n1', { code: 'Unschedulable', reasons: ['wasm says no'], policy: 'SomeWasmPolicy' }]]);
    const result = await dp.postFilter!(new MapCycleState(), p, filtered, snapshot(nodes));
    expect(result.status.code).toBe('Unschedulable');
    expect(k.deleted).toEqual([]);
  });

  it('reports an eviction failure as an error, and treats a vanished victim as evicted', async () => {
    const nodes = [node('n1', { cpu: '2', pods: [cpu('a', '1', 0), cpu('b', '1', 0)] })];
    const policies = filters();
    const p = cpu('p', '2', 10);
    const gone = Object.assign(new Error('not found'), { code: 404 });
    const boom = Object.assign(new Error('boom'), { code: 500 });
    const run = async (err: Error) => {
      const dp = defaultPreemption({
        kernel: { delete: async (_r, _ns, name) => { if (name === 'a') throw err; return { apiVersion: 'v1', kind: 'Pod', metadata: {} }; } },
        policies: createPolicyDirectory(policies),
      });
      return dp.postFilter!(new MapCycleState(), p, filterAll(policies, p, nodes), snapshot(nodes));
    };
    expect(await run(gone)).toEqual({ status: { code: 'Success' }, nominatedNodeName: 'n1' });
    const failed = await run(boom);
    expect(failed.status.code).toBe('Error');
    expect(failed.nominatedNodeName).toBeUndefined();
  });
});

describe('pickOneNode', () => {
  const v = (name: string, priority: number, startTime?: string) => pod(name, { priority, startTime });
  it('prefers the lowest highest-victim priority, then the lowest sum, then fewer victims, then the latest start', () => {
    expect(pickOneNode([{ node: 'a', victims: [v('x', 5)] }, { node: 'b', victims: [v('y', 3), v('z', 3)] }])?.node).toBe('b');
    expect(pickOneNode([{ node: 'a', victims: [v('x', 5), v('y', 1)] }, { node: 'b', victims: [v('z', 5), v('w', 0)] }])?.node).toBe('b');
    expect(pickOneNode([{ node: 'a', victims: [v('x', 5), v('y', 5)] }, { node: 'b', victims: [v('z', 5)] }])?.node).toBe('b');
    expect(
      pickOneNode([
        { node: 'a', victims: [v('x', 5, '2024-01-01T00:00:00Z')] },
        { node: 'b', victims: [v('z', 5, '2024-06-01T00:00:00Z')] },
      ])?.node,
    ).toBe('b');
    expect(pickOneNode([{ node: 'a', victims: [v('x', 5)] }, { node: 'b', victims: [] }])?.node).toBe('b');
    expect(pickOneNode([])).toBeUndefined();
  });
});
