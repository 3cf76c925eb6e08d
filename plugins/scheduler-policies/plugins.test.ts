// The descriptors, run by the real plugin host against a stand-in scheduler that provides the
// PolicyRegistry: config defaults and validation, registration with weights, reconfiguration by
// reload, withdrawal on stop.
import { afterEach, describe, expect, it } from 'vitest';
import type { PolicyRegistration, PolicyRegistry } from '@skiff/plugin-scheduler/framework';
import { PolicyRegistryToken } from '@skiff/plugin-scheduler/framework';
import { definePlugin, PluginHost, silentLogger, validateConfig } from '@skiff/kernel/plugins';
import { unusedKernel } from '@skiff/kernel/plugins/testing';
import { sharedPolicyDirectory } from './directory.ts';
import { defaultPolicyPlugins } from './mod.ts';
import { node, pod, runScore } from './testing.ts';

function fakeScheduler() {
  const registered = new Map<string, PolicyRegistration>();
  const registry: PolicyRegistry = {
    register(reg) {
      registered.set(reg.policy.name, reg);
      return {
        dispose: () => {
          if (registered.get(reg.policy.name) === reg) registered.delete(reg.policy.name);
        },
      };
    },
    list: () => [...registered.values()].map((r) => ({ name: r.policy.name, weight: r.weight ?? 1, profiles: r.profiles ?? ['default-scheduler'] })),
  };
  const descriptor = definePlugin({
    name: 'fake-scheduler',
    version: '0.0.1',
    type: 'skiff.io/scheduler',
    provides: [PolicyRegistryToken],
    start(ctx) {
      ctx.provide(PolicyRegistryToken, registry);
      return { stop() {} };
    },
  });
  return { registered, registry, descriptor };
}

let host: PluginHost | undefined;
const VOLUME_PLUGINS = ['volume-binding', 'volume-restrictions', 'node-volume-limits'];
afterEach(async () => {
  await host?.stop();
  host = undefined;
});

describe('default policy plugins', () => {
  it('are standard scheduler-policy descriptors', () => {
    expect(Object.keys(defaultPolicyPlugins).sort()).toEqual([
      'default-preemption',
      'image-locality',
      'inter-pod-affinity',
      'node-affinity',
      'node-name',
      'node-ports',
      'node-resources-balanced-allocation',
      'node-resources-fit',
      'node-unschedulable',
      'node-volume-limits',
      'pod-topology-spread',
      'priority-sort',
      'taint-toleration',
      'volume-binding',
      'volume-restrictions',
    ]);
    for (const [name, d] of Object.entries(defaultPolicyPlugins)) {
      expect(d.name).toBe(name);
      expect(d.version).toBe('0.1.0');
      expect(d.type).toBe('skiff.io/scheduler-policy');
      expect(d.requires).toEqual(['skiff.io/scheduler']);
      expect(validateConfig<{ weight: number }>(name, d.configSchema, {}).weight).toBeGreaterThanOrEqual(1);
    }
  });

  it('apply config defaults and reject bad config', () => {
    const fit = defaultPolicyPlugins['node-resources-fit'];
    expect(validateConfig(fit.name, fit.configSchema, {})).toEqual({
      weight: 1,
      ignoredResources: [],
      ignoredResourceGroups: [],
      scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }] },
    });
    expect(validateConfig(fit.name, fit.configSchema, { scoringStrategy: { type: 'MostAllocated' } })).toMatchObject({
      scoringStrategy: { type: 'MostAllocated', resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }] },
    });
    expect(() => validateConfig(fit.name, fit.configSchema, { scoringStrategy: { type: 'Random' } })).toThrow(/invalid config/);
    expect(() => validateConfig(fit.name, fit.configSchema, { weight: -1 })).toThrow(/invalid config/);
    const ipa = defaultPolicyPlugins['inter-pod-affinity'];
    expect(validateConfig(ipa.name, ipa.configSchema, {})).toEqual({ weight: 2, hardPodAffinityWeight: 1, ignorePreferredTermsOfExistingPods: false });
    const dp = defaultPolicyPlugins['default-preemption'];
    expect(validateConfig(dp.name, dp.configSchema, {})).toEqual({ weight: 1, minCandidateNodesPercentage: 10, minCandidateNodesAbsolute: 100 });
  });

  it('register with the scheduler under kube names and default weights, and withdraw on stop', async () => {
    const s = fakeScheduler();
    host = new PluginHost({ kernel: unusedKernel(), logger: silentLogger });
    // (the volume policies read claims and volumes from informers: they need a real kernel, see volume-plugins.test.ts)
    await host.load([s.descriptor, ...Object.values(defaultPolicyPlugins).filter((d) => !VOLUME_PLUGINS.includes(d.name))]);
    const weights = Object.fromEntries(s.registry.list().map((r) => [r.name, r.weight]));
    expect(weights).toEqual({
      PrioritySort: 1,
      NodeName: 1,
      NodeUnschedulable: 1,
      NodeResourcesFit: 1,
      NodeResourcesBalancedAllocation: 1,
      NodeAffinity: 2,
      TaintToleration: 3,
      NodePorts: 1,
      PodTopologySpread: 2,
      InterPodAffinity: 2,
      ImageLocality: 1,
      DefaultPreemption: 1,
    });
    expect(sharedPolicyDirectory().get('NodeResourcesFit')).toBe(s.registered.get('NodeResourcesFit')?.policy);
    await host.stop();
    host = undefined;
    expect(s.registry.list()).toEqual([]);
    expect(sharedPolicyDirectory().list()).toEqual([]);
  });

  it('reconfigure by reload (the new policy replaces the old one)', async () => {
    const s = fakeScheduler();
    host = new PluginHost({ kernel: unusedKernel(), logger: silentLogger });
    const fit = defaultPolicyPlugins['node-resources-fit'];
    await host.load([s.descriptor, { descriptor: fit, config: { weight: 2, profiles: ['batch'] } }]);
    expect(s.registry.list()).toEqual([{ name: 'NodeResourcesFit', weight: 2, profiles: ['batch'] }]);
    const p = pod('p', { requests: { cpu: '3', memory: '5000' } });
    const nodes = [node('n1', { cpu: '4', memory: '10000' }), node('n2', { cpu: '6', memory: '10000' })];
    expect(runScore(s.registered.get('NodeResourcesFit')!.policy, p, nodes).raw).toEqual({ n1: 37, n2: 50 });
    await host.reload(fit.name, fit, { weight: 5, scoringStrategy: { type: 'MostAllocated' } });
    expect(s.registry.list()).toEqual([{ name: 'NodeResourcesFit', weight: 5, profiles: ['default-scheduler'] }]);
    expect(runScore(s.registered.get('NodeResourcesFit')!.policy, p, nodes).raw).toEqual({ n1: 62, n2: 50 });
    expect(sharedPolicyDirectory().get('NodeResourcesFit')).toBe(s.registered.get('NodeResourcesFit')?.policy);
  });
});
