// DefaultTolerationSeconds on a real kernel: pods get the not-ready and unreachable tolerations they lack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PODS } from '@skiff/api';
import type { KObject } from '@skiff/kernel';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import descriptor, { addDefaultTolerations } from './plugin.ts';

const NOT_READY = { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
const UNREACHABLE = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
const pod = (name: string, tolerations?: unknown[]): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...(tolerations ? { tolerations } : {}) },
});
const cfg = { notReadyTolerationSeconds: 300, unreachableTolerationSeconds: 300 };

describe('addDefaultTolerations', () => {
  it.each([
    ['no tolerations', undefined, [NOT_READY, UNREACHABLE]],
    ['one already tolerated', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 10 }], [{ ...UNREACHABLE, tolerationSeconds: 10 }, NOT_READY]],
    ['a toleration of every taint', [{ operator: 'Exists' }], [{ operator: 'Exists' }]],
    ['every key, NoExecute', [{ operator: 'Exists', effect: 'NoExecute' }], [{ operator: 'Exists', effect: 'NoExecute' }]],
    ['the key with any effect', [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }], [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }, UNREACHABLE]],
    ['another effect does not count', [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' }], [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' }, NOT_READY, UNREACHABLE]],
  ])('%s', (_n, tolerations, expected) => {
    const p = pod('x', tolerations as unknown[] | undefined);
    addDefaultTolerations(p, cfg);
    expect((p.spec as any).tolerations).toEqual(expected);
  });
  it.each([[-0], [0], ['x'], [{}], [false]])('leaves tolerations that are not a list (%j) for validation to refuse', (bad) => {
    const p = { ...pod('x'), spec: { containers: [], tolerations: bad } } as KObject;
    expect(addDefaultTolerations(p, cfg)).toBe(false);
    expect(Object.is((p.spec as any).tolerations, bad)).toBe(true);
  });
});

describe('default-toleration-seconds plugin', () => {
  let t: TestKernel;
  let host: PluginHost;
  beforeAll(async () => {
    t = await startTestKernel();
    await t.kernel.create(PODS, pod('older')); // before the plugin runs
    host = new PluginHost({ kernel: t.kernel, logger: createConsoleLogger({ level: 'error' }) });
    await host.load([{ descriptor, config: { unreachableTolerationSeconds: 60 } }]);
  });
  afterAll(async () => {
    await host?.stopAll();
    await t?.stop();
  });

  it('adds the tolerations on create with the configured seconds (300 by default)', async () => {
    const p = await t.kernel.create(PODS, pod('web'));
    expect((p.spec as any).tolerations).toEqual([NOT_READY, { ...UNREACHABLE, tolerationSeconds: 60 }]);
  });

  it('leaves pods that tolerate everything alone, and does not touch updates', async () => {
    const p = await t.kernel.create(PODS, pod('tolerant', [{ operator: 'Exists' }]));
    expect((p.spec as any).tolerations).toEqual([{ operator: 'Exists' }]);
    await expect(t.kernel.create(PODS, { ...pod('bad'), spec: { containers: [{ name: 'c', image: 'busybox' }], tolerations: -0 } } as KObject)).rejects.toMatchObject({ code: 422 });
    const u = await t.kernel.patch(PODS, 'default', 'older', 'merge', { metadata: { labels: { a: 'b' } } });
    expect(u.metadata.labels).toEqual({ a: 'b' });
    expect((u.spec as any).tolerations).toBeUndefined();
  });
});
