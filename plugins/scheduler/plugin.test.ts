import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, PluginHost, silentLogger } from '@skiff/kernel/plugins';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { PolicyRegistryToken, SUCCESS } from './framework.ts';
import { LeaderElector } from '@skiff/client';
import schedulerPlugin, { SCHEDULER_LEASE } from './plugin.ts';
import { createNode, createPod, eventually, PODS } from './test-helpers.ts';

let tk: TestKernel;
beforeAll(async () => {
  tk = await startTestKernel();
});
afterAll(async () => {
  await tk?.stop();
});

describe('scheduler plugin', () => {
  it('provides the PolicyRegistry to policy plugins and schedules with their policies; stops cleanly', async () => {
    const host = new PluginHost({ kernel: tk.kernel, logger: silentLogger });
    const onlyLabelled = definePlugin({
      name: 'only-labelled',
      version: '1.0.0',
      type: 'skiff.io/scheduler-policy',
      requires: ['skiff.io/scheduler'],
      start(ctx) {
        const reg = ctx.resolve(PolicyRegistryToken).register({
          policy: { name: 'OnlyLabelled', filter: (_s, _p, n) => (n.labels.ok === 'yes' ? SUCCESS : { code: 'Unschedulable', reasons: ['node(s) not ok'] }) },
        });
        return { stop: () => reg.dispose() };
      },
    });
    await host.load([{ descriptor: schedulerPlugin, config: { parallelBindings: 8, leaderElection: false } }, onlyLabelled]);
    expect(host.list().map((p) => [p.name, p.state])).toEqual(expect.arrayContaining([['scheduler', 'Running'], ['only-labelled', 'Running']]));
    expect(host.resolve(PolicyRegistryToken).list().map((p) => p.name)).toEqual(['OnlyLabelled']);

    await createNode(tk.kernel, 'no', {});
    await createNode(tk.kernel, 'yes', { labels: { ok: 'yes' } });
    await createPod(tk.kernel, 'via-plugin');
    const p = await eventually(async () => {
      const x = await tk.kernel.get(PODS, 'default', 'via-plugin');
      return (x.spec as { nodeName?: string }).nodeName ? x : undefined;
    }, 10_000, 'bound');
    expect((p.spec as { nodeName: string }).nodeName).toBe('yes');
    await host.stop();
  });

  it('rejects a bad config', async () => {
    const host = new PluginHost({ kernel: tk.kernel, logger: silentLogger });
    await expect(host.load([{ descriptor: schedulerPlugin, config: { parallelBindings: 0 } }])).rejects.toThrow();
    await host.stop();
  });

  it('schedules only in the process that holds the scheduler Lease; the other takes over when it stops', async () => {
    await tk.kernel.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } }).catch(() => {});
    const k2 = await tk.restart(); // a second server's kernel on the same store
    const kernels = [tk.kernel, k2];
    const hosts = kernels.map((kernel) => new PluginHost({ kernel, logger: silentLogger }));
    for (const h of hosts) await h.load([{ descriptor: schedulerPlugin, config: { leaseDurationSeconds: 3 } }]);
    const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };
    const holder = async () => ((await tk.kernel.get(LEASES, 'kube-system', SCHEDULER_LEASE).catch(() => undefined))?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
    const first = await eventually(holder, 10_000, 'a scheduler leader');
    // which process leads: ask each process' shared elector
    const leading = kernels.map((k) => {
      const e = LeaderElector.shared(k, { name: SCHEDULER_LEASE });
      const l = e.elector.isLeader;
      void e.release();
      return l;
    });
    expect(leading.filter(Boolean).length).toBe(1);
    const leader = leading.indexOf(true);
    await createNode(tk.kernel, 'le-node', {});
    await createPod(tk.kernel, 'le-1');
    await eventually(async () => ((await tk.kernel.get(PODS, 'default', 'le-1')).spec as { nodeName?: string }).nodeName, 10_000, 'le-1 bound');
    await hosts[leader]!.stop(); // gives the Lease up: no wait for it to expire
    await createPod(tk.kernel, 'le-2');
    const t0 = Date.now();
    await eventually(async () => ((await tk.kernel.get(PODS, 'default', 'le-2')).spec as { nodeName?: string }).nodeName, 10_000, 'le-2 bound by the other scheduler');
    expect(Date.now() - t0).toBeLessThan(5_000);
    const second = await holder();
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    await hosts[1 - leader]!.stop();
    k2.stop();
  });
});
