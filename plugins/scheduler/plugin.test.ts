import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, PluginHost, silentLogger } from '@skiff/kernel/plugins';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { PolicyRegistryToken, SUCCESS } from './framework.ts';
import schedulerPlugin from './plugin.ts';
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
    await host.load([{ descriptor: schedulerPlugin, config: { parallelBindings: 8 } }, onlyLabelled]);
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
});
