// The resource metrics API and the HPA against a real `skiff server` (a distribution with the
// metrics-server and hpa-controller plugins, loaded by path) and hollow nodes joined over the
// kernel bus that report their pods' usage annotations: `kubectl top pod|node`, discovery of
// metrics.k8s.io, and `kubectl autoscale` scaling a Deployment's scale.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { connectKernel, type KernelBusClient } from '@skiff/kernel/bus';
import { silentLogger } from '@skiff/kernel/plugins';
import { HollowNodes } from '@skiff/plugin-node-sim';
import { kubectlFor, until, type Kubectl } from './kubectl-client.ts';
import { metricsDistribution } from './metrics-distribution.ts';
import { startSkiff, type SkiffProcess } from './skiff-process.ts';

const NS = 'metrics';

const pod = (name: string, node: string, cpu: string, memory: string, app = 'web') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${NS}
  labels: {app: ${app}}
  annotations: {sim.skiff.io/cpu-usage: "${cpu}", sim.skiff.io/memory-usage: "${memory}"}
spec:
  nodeName: ${node}
  containers:
  - name: app
    image: registry.example/app:1
    resources: {requests: {cpu: 100m, memory: 64Mi}}
`;

const MANIFEST = `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${NS}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: registry.example/app:1
        resources: {requests: {cpu: 100m, memory: 64Mi}}
---
${pod('web-0', 'hollow-0', '90m', '64Mi')}---
${pod('web-1', 'hollow-1', '90m', '32Mi')}---
${pod('db', 'hollow-1', '1500m', '1Gi', 'db')}`;

let home: string;
let skiff: SkiffProcess;
let k: Kubectl;
let nc: NatsConnection;
let bus: KernelBusClient;
let sim: HollowNodes;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'skiff-metrics-'));
  skiff = await startSkiff(home, ['--distribution', metricsDistribution(home)]);
  k = kubectlFor(skiff.kubeconfig, home);
  // written right after the kubeconfig startSkiff waits for
  await until(() => existsSync(join(home, 'nats-url')), 'the nats-url file', 10_000, 20);
  nc = await connect({ servers: readFileSync(join(home, 'nats-url'), 'utf8').trim(), noAsyncTraces: true });
  bus = await connectKernel(nc);
  sim = new HollowNodes(bus, { nodes: 2, prefix: 'hollow', cpu: '4', memory: '16Gi', nodeStatusIntervalSeconds: 0 }, silentLogger, { nats: nc });
  await sim.start();
  const file = join(home, 'manifest.yaml');
  writeFileSync(file, MANIFEST);
  const r = k('apply', '-f', file);
  if (r.code !== 0) throw new Error(`kubectl apply: ${r.err}`);
}, 120_000);

afterAll(async () => {
  await sim?.stop({ deleteNodes: false }).catch(() => {});
  await bus?.close().catch(() => {});
  await nc?.close().catch(() => {});
  await skiff?.kill('SIGTERM');
  if (home) rmSync(home, { recursive: true, force: true });
});

/** `kubectl top` rows as arrays of columns (header first). */
const rows = (out: string) => out.trim().split('\n').map((l) => l.trim().split(/\s+/));

describe('the metrics API', () => {
  it('is discovered: metrics.k8s.io/v1beta1 nodes and pods, get and list only', () => {
    const r = k('api-resources', '--api-group=metrics.k8s.io', '-o', 'wide');
    expect(r.code).toBe(0);
    const res = rows(r.out);
    expect(res.find((c) => c[0] === 'nodes')).toEqual(['nodes', 'metrics.k8s.io/v1beta1', 'false', 'NodeMetrics', 'get,list']);
    expect(res.find((c) => c[0] === 'pods')).toEqual(['pods', 'metrics.k8s.io/v1beta1', 'true', 'PodMetrics', 'get,list']);
  });

  it('kubectl top pod: usage per pod, with label selectors', async () => {
    const out = await until(() => {
      const r = k('top', 'pod', '-n', NS);
      return r.code === 0 && rows(r.out).length === 4 ? r.out : undefined;
    }, 'kubectl top pod with three pods', 60_000, 500);
    expect(rows(out)).toEqual([
      ['NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      ['db', '1500m', '1024Mi'],
      ['web-0', '90m', '64Mi'],
      ['web-1', '90m', '32Mi'],
    ]);
    expect(rows(k('top', 'pod', '-n', NS, '-l', 'app=web', '--no-headers').out).map((c) => c[0])).toEqual(['web-0', 'web-1']);
    expect(rows(k('top', 'pod', 'db', '-n', NS, '--containers').out)).toEqual([
      ['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      ['db', 'app', '1500m', '1024Mi'],
    ]);
    const raw = JSON.parse(k('get', '--raw', `/apis/metrics.k8s.io/v1beta1/namespaces/${NS}/pods/web-0`).out);
    expect(raw).toMatchObject({ kind: 'PodMetrics', apiVersion: 'metrics.k8s.io/v1beta1', metadata: { name: 'web-0', namespace: NS, labels: { app: 'web' } }, containers: [{ name: 'app', usage: { cpu: '90m', memory: '64Mi' } }] });
    expect(k('delete', '--raw', `/apis/metrics.k8s.io/v1beta1/namespaces/${NS}/pods/web-0`).err).toMatch(/MethodNotAllowed|not allow/i);
  });

  it('kubectl top node: usage and its share of allocatable', async () => {
    const out = await until(() => {
      const r = k('top', 'node', '--no-headers');
      const rs = rows(r.out);
      return r.code === 0 && rs.length === 2 && rs[1]![1] === '1590m' ? rs : undefined;
    }, 'kubectl top node', 60_000, 500);
    // hollow-1: web-1 90m + db 1500m of 4 cores; 32Mi + 1Gi of 16Gi
    expect(out).toEqual([
      ['hollow-0', '90m', '2%', '64Mi', '0%'],
      ['hollow-1', '1590m', '39%', '1056Mi', '6%'],
    ]);
  });
});

describe('kubectl autoscale', () => {
  it('creates an HPA that scales the Deployment at 90% of a 50% target', async () => {
    // kubectl 1.32 builds an autoscaling/v1 HPA (served by conversion to the stored v2)
    const dry = parse(k('autoscale', 'deployment', 'web', '-n', NS, '--cpu-percent=50', '--min=1', '--max=10', '--dry-run=client', '-o', 'yaml').out);
    expect(dry).toMatchObject({ apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', spec: { targetCPUUtilizationPercentage: 50, minReplicas: 1, maxReplicas: 10 } });
    const r = k('autoscale', 'deployment', 'web', '-n', NS, '--cpu-percent=50', '--min=1', '--max=10');
    expect(r.err).toBe('');
    expect(r.out.trim()).toBe('horizontalpodautoscaler.autoscaling/web autoscaled');
    // two pods at 90%: ceil(1.8 × 2) = 4 (the Deployment's own pods do not grow here: no Deployment controller)
    await until(() => k('get', 'deployment', 'web', '-n', NS, '-o', 'jsonpath={.spec.replicas}').out === '4', 'the Deployment scaled to 4', 60_000, 500);
    const hpa = await until(() => {
      const h = k.json('get', 'hpa.v2.autoscaling', 'web', '-n', NS);
      return h.status?.currentMetrics?.[0]?.resource?.current?.averageUtilization === 90 ? h : undefined;
    }, 'HPA status', 30_000, 500);
    expect(hpa.spec).toMatchObject({ minReplicas: 1, maxReplicas: 10, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' } });
    expect(hpa.status).toMatchObject({ desiredReplicas: 4 });
    const table = rows(k('get', 'hpa', 'web', '-n', NS).out);
    expect(table[1]!.slice(0, 3)).toEqual(['web', 'Deployment/web', 'cpu:']);
    const events = k('get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=web,reason=SuccessfulRescale', '-o', 'jsonpath={.items[*].message}').out;
    expect(events).toContain('New size: 4; reason: cpu resource utilization (percentage of request) above target');
  });
});
