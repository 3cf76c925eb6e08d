// kubectl 1.32 against a real `skiff server`: `kubectl scale` (the scale subresource of Deployments,
// ReplicaSets, StatefulSets and ReplicationControllers: PATCH, and GET + PUT with preconditions) and
// the pods/eviction subresource with a PodDisruptionBudget.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlFor, type Kubectl } from './kubectl-client.ts';
import { defaultDistribution } from './distribution-file.ts';
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
  // the budgets' and autoscalers' statuses are the test's to write: their controllers stay out
  skiff = await startSkiff(home, ['--distribution', defaultDistribution(home, { without: ['disruption-controller', 'hpa-controller'] })]);
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
    // the Scale's resourceVersion is the Deployment's (whose controller may write its status in
    // between: read the Deployment before and after the Scale until nothing was written meanwhile)
    const deploymentRv = () => k('get', 'deployment/web', '-n', NS, '-o', 'jsonpath={.metadata.resourceVersion}').out;
    let compared = false;
    for (let i = 0; i < 20 && !compared; i++) {
      const before = deploymentRv();
      const scaleRv = JSON.parse(k('get', '--raw', `/apis/apps/v1/namespaces/${NS}/deployments/web/scale`).out).metadata.resourceVersion;
      if (deploymentRv() !== before) continue;
      expect(scaleRv).toBe(before);
      compared = true;
    }
    expect(compared).toBe(true);
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

describe('pods/eviction', () => {
  // Three ready pods and a budget of minAvailable 2: one disruption allowed. The budget's status is
  // written here as the disruption controller would compute it.
  const EV = 'evicting';
  const post = (pod: string, body: Record<string, unknown> = {}, query = '') => {
    const file = join(home, `eviction-${pod}.json`);
    writeFileSync(file, JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: EV }, ...body }));
    return k('create', '--raw', `/api/v1/namespaces/${EV}/pods/${pod}/eviction${query}`, '-f', file);
  };
  const exists = (pod: string) => k('get', 'pod', pod, '-n', EV).code === 0;

  beforeAll(() => {
    const pod = (name: string, labels: string) => `---\napiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${EV}, labels: {${labels}}}\nspec:\n  containers: [{name: c, image: busybox}]\n`;
    const file = join(home, 'evicting.yaml');
    writeFileSync(
      file,
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${EV}}\n${['db-0', 'db-1', 'db-2'].map((n) => pod(n, 'app: db')).join('')}${pod('loner', 'app: other')}` +
        `---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: db, namespace: ${EV}}\nspec:\n  minAvailable: 2\n  selector: {matchLabels: {app: db}}\n`,
    );
    const r = k('create', '-f', file);
    if (r.code !== 0) throw new Error(r.err);
    // the pods run and are ready (no node runs them here: their status is written as a node would)
    for (const name of ['db-0', 'db-1', 'db-2', 'loner']) {
      const s = k('patch', 'pod', name, '-n', EV, '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}');
      if (s.code !== 0) throw new Error(s.err);
    }
    const b = k('patch', 'pdb', 'db', '-n', EV, '--subresource=status', '--type=merge', '-p', '{"status":{"observedGeneration":1,"currentHealthy":3,"desiredHealthy":2,"expectedPods":3,"disruptionsAllowed":1}}');
    if (b.code !== 0) throw new Error(b.err);
  });

  it('is advertised in discovery as policy/v1 Eviction', () => {
    const core = JSON.parse(k('get', '--raw', '/api/v1').out);
    expect(core.resources.find((r: { name: string }) => r.name === 'pods/eviction')).toMatchObject({ kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] });
    expect(k('get', 'pdb', '-n', EV).out).toMatch(/^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\ndb\s+2\s+N\/A\s+1\s+/);
  });

  it('a dry run evicts nothing and leaves the budget alone', () => {
    const rv = k('get', 'pdb', 'db', '-n', EV, '-o', 'jsonpath={.metadata.resourceVersion}').out;
    expect(post('db-0', {}, '?dryRun=All').code).toBe(0);
    expect(exists('db-0')).toBe(true);
    expect(k('get', 'pdb', 'db', '-n', EV, '-o', 'jsonpath={.metadata.resourceVersion}').out).toBe(rv);
  });

  it('evicts within the budget, then answers 429 TooManyRequests', () => {
    const ok = post('db-0');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ kind: 'Status', status: 'Success' });
    expect(exists('db-0')).toBe(false);
    const pdb = k.json('get', 'pdb', 'db', '-n', EV);
    expect(pdb.status.disruptionsAllowed).toBe(0);
    expect(Object.keys(pdb.status.disruptedPods)).toEqual(['db-0']);

    const refused = post('db-1');
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(exists('db-1')).toBe(true);
  });

  it('deletes with the Eviction deleteOptions', () => {
    const wrongUid = post('loner', { deleteOptions: { preconditions: { uid: 'not-the-pod' } } });
    expect(wrongUid.code).not.toBe(0);
    expect(wrongUid.err).toContain('Precondition failed');
    expect(exists('loner')).toBe(true);
    const uid = k('get', 'pod', 'loner', '-n', EV, '-o', 'jsonpath={.metadata.uid}').out;
    expect(post('loner', { deleteOptions: { preconditions: { uid } } }).code).toBe(0);
    expect(exists('loner')).toBe(false);
  });
});

describe('kubectl drain and kubectl autoscale (protobuf bodies of kubectl 1.32)', () => {
  const DR = 'draining';
  // the node is tainted so that the scheduler places none of the other tests' pods there
  beforeAll(() => {
    const pod = (name: string) => `---\napiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${DR}, labels: {app: d}}\nspec:\n  nodeName: drain-node\n  containers: [{name: c, image: busybox}]\n`;
    const file = join(home, 'draining.yaml');
    writeFileSync(
      file,
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${DR}}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: drain-node}\nspec:\n  taints: [{key: skiff.io/drain-test, effect: NoSchedule}]\n${pod('d-0')}${pod('d-1')}` +
        `---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: d, namespace: ${DR}}\nspec:\n  minAvailable: 2\n  selector: {matchLabels: {app: d}}\n`,
    );
    const r = k('create', '-f', file);
    if (r.code !== 0) throw new Error(r.err);
    for (const name of ['d-0', 'd-1']) {
      const s = k('patch', 'pod', name, '-n', DR, '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}');
      if (s.code !== 0) throw new Error(s.err);
    }
    // as the disruption controller would compute it: two healthy pods, two required
    const b = k('patch', 'pdb', 'd', '-n', DR, '--subresource=status', '--type=merge', '-p', '{"status":{"observedGeneration":1,"currentHealthy":2,"desiredHealthy":2,"expectedPods":2,"disruptionsAllowed":0}}');
    if (b.code !== 0) throw new Error(b.err);
  });

  it('drain is held by the disruption budget, then evicts once the budget is gone', () => {
    const held = k('drain', 'drain-node', '--force', '--grace-period=0', '--timeout=7s');
    expect(held.code).not.toBe(0);
    expect(held.out).toContain('node/drain-node cordoned');
    expect(held.err).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(k('get', 'pods', '-n', DR, '-o', 'name').out.trim().split('\n')).toEqual(['pod/d-0', 'pod/d-1']);
    expect(k('get', 'node', 'drain-node', '-o', 'jsonpath={.spec.unschedulable}').out).toBe('true');

    expect(k('delete', 'pdb', 'd', '-n', DR).code).toBe(0);
    const drained = k('drain', 'drain-node', '--force', '--grace-period=0', '--timeout=20s');
    expect(drained.code, drained.err).toBe(0);
    expect(drained.out).toContain('pod/d-0 evicted');
    expect(drained.out).toContain('node/drain-node drained');
    expect(k('get', 'pods', '-n', DR, '-o', 'name').out.trim()).toBe('');
  });

  it('autoscale creates an autoscaling/v1 HPA that kubectl get shows through v2', () => {
    expect(k('create', 'deployment', 'scaled', '-n', NS, '--image=busybox').code).toBe(0);
    const r = k('autoscale', 'deployment', 'scaled', '-n', NS, '--max=5', '--cpu-percent=60');
    expect(r.err).toBe('');
    expect(r.out.trim()).toBe('horizontalpodautoscaler.autoscaling/scaled autoscaled');
    expect(k('get', 'hpa', 'scaled', '-n', NS).out).toMatch(/^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE\nscaled\s+Deployment\/scaled\s+cpu: <unknown>\/60%\s+1\s+5\s+0\s+/);
    const v2 = k.json('get', 'hpa', 'scaled', '-n', NS);
    expect(v2).toMatchObject({ apiVersion: 'autoscaling/v2', spec: { minReplicas: 1, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }] } });
    expect(k.json('get', 'horizontalpodautoscalers.v1.autoscaling', 'scaled', '-n', NS)).toMatchObject({ apiVersion: 'autoscaling/v1', spec: { targetCPUUtilizationPercentage: 60, maxReplicas: 5 } });
  });
});
