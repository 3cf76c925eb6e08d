// `kubectl top` with a real node agent: `skiff server` (with the metrics-server plugin) and `skiff
// agent` on this machine's containerd; the agent's kubelet-metrics plugin reports the node's usage
// from /proc and a busy pod's from CRI container stats.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../scripts/test-parts.ts';
import { HOST_NODE_START_MS, HOST_NODE_STOP_MS, HostNode } from './host-node.ts';
import { until } from './kubectl-client.ts';
import { metricsDistribution } from './metrics-distribution.ts';

const NODE = `metrics-test-${process.pid}`;

const BURN = `apiVersion: v1
kind: Pod
metadata: {name: burn, labels: {app: burn}}
spec:
  nodeName: ${NODE}
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: cpu
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "while :; do :; done"]
    resources: {requests: {cpu: 100m}, limits: {cpu: 500m, memory: 64Mi}}
`;

const host = new HostNode({ name: 'metrics-agent', nodeName: NODE, serverArgs: (home) => ['--distribution', metricsDistribution(home, { resolution: 1 })] });
const kubectl = (...args: string[]) => host.kubectl(...args);

const rows = (out: string) => out.trim().split('\n').map((l) => l.trim().split(/\s+/));
const milli = (q: string) => (q.endsWith('m') ? Number(q.slice(0, -1)) : Number(q) * 1000);

describeNeeding(['root', 'containerd'], 'kubectl top with a real node agent', (missing) => {
  beforeAll(async () => {
    if (!missing()) await host.start();
  }, HOST_NODE_START_MS);

  afterAll(() => host.stop(() => kubectl('delete', 'pod', 'burn', '--ignore-not-found', '--grace-period=0', '--force')), HOST_NODE_STOP_MS);

  it('top node shows the node; top pod shows a busy container near its 500m limit', async () => {
    const node = await until(() => {
      const r = kubectl('top', 'node', NODE, '--no-headers');
      return r.code === 0 && rows(r.out)[0];
    }, 'kubectl top node', 60_000, 1000);
    expect(node[0]).toBe(NODE);
    expect(node[1]).toMatch(/^\d+m?$/);
    expect(node[2]).toMatch(/^\d+%$/);
    expect(node[3]).toMatch(/^\d+Mi$/);
    expect(Number(node[3]!.slice(0, -2))).toBeGreaterThan(16);

    const f = join(host.home, 'burn.yaml');
    writeFileSync(f, BURN);
    expect(kubectl('apply', '-f', f).code).toBe(0);
    await until(() => kubectl('get', 'pod', 'burn', '-o', 'jsonpath={.status.phase}').out === 'Running', 'the pod to run', 60_000);
    const pod = await until(() => {
      const r = kubectl('top', 'pod', 'burn', '--no-headers');
      const row = r.code === 0 ? rows(r.out)[0] : undefined;
      return row && milli(row[1]!) > 100 ? row : undefined;
    }, 'kubectl top pod burn above 100m', 60_000, 1000);
    // CFS holds it at 500m; a busy 2-core machine may give it less
    expect(milli(pod[1]!)).toBeLessThan(650);
    expect(pod[2]).toMatch(/^\d+Mi$/);
  }, 150_000);
});
