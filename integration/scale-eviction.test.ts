// kubectl 1.32 against a real `skiff server`: `kubectl scale` (the scale subresource of Deployments,
// ReplicaSets, StatefulSets and ReplicationControllers: PATCH, and GET + PUT with preconditions) and
// the pods/eviction subresource with a PodDisruptionBudget.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlFor, type Kubectl } from './kubectl-client.ts';
import { startSkiff, type SkiffProcess } from './skiff-process.ts';

const NS = 'scaling';
const TEMPLATE = `
    metadata:
      labels: {app: APP}
    spec:
      containers:
      - name: c
        image: busybox
        command: ["sleep", "3600"]`;
const MANIFEST = `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: rc, namespace: ${NS}}
spec:
  replicas: 1
  template:${TEMPLATE.replace('APP', 'rc')}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: rs, namespace: ${NS}}
spec:
  replicas: 1
  selector: {matchLabels: {app: rs}}
  template:${TEMPLATE.replace('APP', 'rs')}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: sts, namespace: ${NS}}
spec:
  replicas: 1
  serviceName: sts
  selector: {matchLabels: {app: sts}}
  template:${TEMPLATE.replace('APP', 'sts')}
`;

let home: string;
let skiff: SkiffProcess;
let k: Kubectl;
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'skiff-scale-'));
  skiff = await startSkiff(home);
  k = kubectlFor(skiff.kubeconfig, home);
  const file = join(home, 'workloads.yaml');
  writeFileSync(file, MANIFEST);
  const r = k('create', '-f', file);
  if (r.code !== 0) throw new Error(`kubectl create: ${r.err}`);
});
afterAll(async () => {
  await skiff?.kill('SIGTERM');
  if (home) rmSync(home, { recursive: true, force: true });
});

const replicas = (what: string) => k('get', what, '-n', NS, '-o', 'jsonpath={.spec.replicas}').out;

describe('kubectl scale', () => {
  it('scales a Deployment through its scale subresource', () => {
    expect(k('create', 'deployment', 'web', '-n', NS, '--image=busybox', '--replicas=1').code).toBe(0);
    const r = k('scale', 'deployment', 'web', '-n', NS, '--replicas=5');
    expect(r.err).toBe('');
    expect(r.out.trim()).toBe('deployment.apps/web scaled');
    expect(replicas('deployment/web')).toBe('5');
    const scale = JSON.parse(k('get', '--raw', `/apis/apps/v1/namespaces/${NS}/deployments/web/scale`).out);
    expect(scale).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'web', namespace: NS }, spec: { replicas: 5 }, status: { selector: 'app=web' } });
    expect(scale.metadata.resourceVersion).toBe(k('get', 'deployment/web', '-n', NS, '-o', 'jsonpath={.metadata.resourceVersion}').out);
  });

  it('honours --resource-version and --current-replicas (GET, then PUT of the Scale)', () => {
    const rv = k('get', 'deployment/web', '-n', NS, '-o', 'jsonpath={.metadata.resourceVersion}').out;
    expect(k('scale', 'deployment', 'web', '-n', NS, '--replicas=3', `--resource-version=${rv}`).code).toBe(0);
    expect(replicas('deployment/web')).toBe('3');
    const stale = k('scale', 'deployment', 'web', '-n', NS, '--replicas=4', `--resource-version=${rv}`);
    expect(stale.code).not.toBe(0);
    expect(stale.err).toContain('Expected resource version to be');
    expect(k('scale', 'deployment', 'web', '-n', NS, '--current-replicas=3', '--replicas=2').code).toBe(0);
    const wrong = k('scale', 'deployment', 'web', '-n', NS, '--current-replicas=3', '--replicas=1');
    expect(wrong.err).toContain('Expected replicas to be 3, was 2');
    expect(replicas('deployment/web')).toBe('2');
  });

  it('scales ReplicationControllers, ReplicaSets and StatefulSets', () => {
    const r = k('scale', '-n', NS, '--replicas=4', 'rc/rc', 'rs/rs', 'statefulset/sts');
    expect(r.err).toBe('');
    expect(r.out).toContain('replicationcontroller/rc scaled');
    expect(r.out).toContain('replicaset.apps/rs scaled');
    expect(r.out).toContain('statefulset.apps/sts scaled');
    for (const w of ['rc/rc', 'rs/rs', 'statefulset/sts']) expect(replicas(w)).toBe('4');
    // the ReplicationController's selector was defaulted from its template
    expect(JSON.parse(k('get', '--raw', `/api/v1/namespaces/${NS}/replicationcontrollers/rc/scale`).out).status.selector).toBe('app=rc');
    expect(k('get', 'rc', 'rc', '-n', NS).out).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\nrc\s+4\s+\d+\s+\d+\s+/);
  });

  it('rejects negative replicas with the server error and a stale Scale with 409', () => {
    const neg = k('patch', 'deployment', 'web', '-n', NS, '--subresource=scale', '--type=merge', '-p', '{"spec":{"replicas":-1}}');
    expect(neg.code).not.toBe(0);
    expect(neg.err).toContain('The Scale "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    const stale = k('patch', 'deployment', 'web', '-n', NS, '--subresource=scale', '--type=merge', '-p', '{"metadata":{"resourceVersion":"1"},"spec":{"replicas":7}}');
    expect(stale.code).not.toBe(0);
    expect(stale.err).toContain('the object has been modified');
    expect(k('get', 'deployment', 'web', '-n', NS, '--subresource=scale', '-o', 'jsonpath={.spec.replicas}').out).toBe('2');
  });
});
