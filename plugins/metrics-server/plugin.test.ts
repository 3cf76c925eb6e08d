// The metrics API on a real kernel: hollow nodes answer the metrics-server's scrapes with their
// pods' usage annotations; NodeMetrics and PodMetrics are served through the kernel like any kind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_METRICS, POD_METRICS, PODS, type KObject } from '@skiff/api';
import metricsServer from './plugin.ts';
import { eventually, setUsage, startMetricsEnv, usagePod, type MetricsEnv } from './testing.ts';

type Obj = Record<string, any>;

describe('metrics-server with hollow nodes', () => {
  let env: MetricsEnv;
  beforeAll(async () => {
    env = await startMetricsEnv({ resolution: 0.2, nodes: 2 });
    const k = env.kernel;
    await k.create(PODS, usagePod({ name: 'web-1', node: 'hollow-0', labels: { app: 'web' }, cpuUsage: '450m', memoryUsage: '64Mi' }));
    await k.create(
      PODS,
      usagePod({ name: 'web-2', node: 'hollow-1', labels: { app: 'web' }, cpuUsage: '300m', memoryUsage: '100Mi', containers: [{ name: 'a', cpu: '100m' }, { name: 'b', cpu: '100m' }] }),
    );
    await k.create(PODS, usagePod({ name: 'db', node: 'hollow-1', labels: { app: 'db' } }));
  });
  afterAll(() => env?.stop());

  it('serves PodMetrics as metrics-server writes them, with label selectors', async () => {
    const k = env.kernel;
    const list = await eventually(async () => {
      const l = await k.list(POD_METRICS, { namespace: 'default' });
      return l.items.length === 3 ? l : undefined;
    }, 15_000, 'metrics of 3 pods');
    expect(list.kind).toBe('PodMetricsList');
    expect(list.apiVersion).toBe('metrics.k8s.io/v1beta1');
    const web1 = list.items.find((o) => o.metadata.name === 'web-1') as Obj;
    expect(web1).toMatchObject({ kind: 'PodMetrics', metadata: { namespace: 'default', labels: { app: 'web' } }, containers: [{ name: 'app', usage: { cpu: '450m', memory: '64Mi' } }] });
    expect(web1.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(web1.window).toMatch(/^\d+(\.\d+)?m?s$/);
    const web2 = (await k.get(POD_METRICS, 'default', 'web-2')) as Obj;
    expect(web2.containers).toEqual([
      { name: 'a', usage: { cpu: '150m', memory: '50Mi' } },
      { name: 'b', usage: { cpu: '150m', memory: '50Mi' } },
    ]);
    const db = (await k.get(POD_METRICS, 'default', 'db')) as Obj;
    expect(db.containers).toEqual([{ name: 'app', usage: { cpu: '0', memory: '0' } }]);
    expect((await k.list(POD_METRICS, { namespace: 'default', labelSelector: 'app=web' })).items.map((o) => o.metadata.name)).toEqual(['web-1', 'web-2']);
    expect((await k.list(POD_METRICS, { namespace: 'other' })).items).toEqual([]);
    expect((await k.list(POD_METRICS)).items).toHaveLength(3);
  });

  it('serves NodeMetrics: the sum of the node pods, with the node labels', async () => {
    const k = env.kernel;
    const n1 = (await eventually(() => k.get(NODE_METRICS, undefined, 'hollow-1').catch(() => undefined))) as Obj;
    expect(n1).toMatchObject({ kind: 'NodeMetrics', metadata: { name: 'hollow-1', labels: { 'kubernetes.io/hostname': 'hollow-1', type: 'hollow' } }, usage: { cpu: '300m', memory: '100Mi' } });
    const all = await k.list(NODE_METRICS, { labelSelector: 'kubernetes.io/hostname=hollow-0' });
    expect(all.items.map((o) => [o.metadata.name, (o as Obj).usage.cpu])).toEqual([['hollow-0', '450m']]);
  });

  it('follows usage changes and pod deletions, and is read-only', async () => {
    const k = env.kernel;
    await setUsage(k, 'default', 'web-1', '1200m', '1Gi');
    await eventually(async () => {
      const m = (await k.get(POD_METRICS, 'default', 'web-1')) as Obj;
      return m.containers[0].usage.cpu === '1200m' && m.containers[0].usage.memory === '1Gi';
    }, 15_000, 'new usage of web-1');
    await k.delete(PODS, 'default', 'db', { gracePeriodSeconds: 0 });
    await eventually(async () => (await k.list(POD_METRICS, { namespace: 'default' })).items.length === 2, 15_000, 'metrics of db gone');
    const obj = (await k.get(POD_METRICS, 'default', 'web-1')) as KObject;
    await expect(k.update(POD_METRICS, obj)).rejects.toMatchObject({ code: 405 });
    await expect(k.delete(POD_METRICS, 'default', 'web-1')).rejects.toMatchObject({ code: 405 });
    const info = k.kinds().filter((i) => i.group === 'metrics.k8s.io');
    expect(info.map((i) => [i.resource, i.kind, i.namespaced, i.verbs])).toEqual([
      ['nodes', 'NodeMetrics', false, ['get', 'list']],
      ['pods', 'PodMetrics', true, ['get', 'list']],
    ]);
    expect(env.warnings.filter((w) => !w.includes('lease'))).toEqual([]);
  });

  it('keeps serving across a hot reload (the new version takes the kinds once the old one lets go)', async () => {
    const k = env.kernel;
    await env.host.reload('metrics-server', metricsServer, { resolution: 0.3 });
    expect(env.host.list().find((p) => p.name === 'metrics-server')?.state).toBe('Running');
    // the old instance is gone: what answers now is the new one
    await new Promise((r) => setTimeout(r, 500));
    await eventually(async () => (await k.list(POD_METRICS, { namespace: 'default' })).items.length === 2, 15_000, 'metrics after the reload');
    expect(k.kinds().filter((i) => i.group === 'metrics.k8s.io')).toHaveLength(2);
  });
});
