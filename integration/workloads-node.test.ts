// Workloads on a real node, as a user drives them: `skiff server` (default distribution: every
// controller) and `skiff agent` on this machine's containerd, with kubectl 1.32. Deployments roll
// out, back and scale; Jobs complete and fail; a CronJob makes Jobs and keeps its history limits;
// a DaemonSet runs on the node; a StatefulSet starts in order and scales down in reverse.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../scripts/test-parts.ts';
import { HOST_NODE_START_MS, HOST_NODE_STOP_MS, HostNode } from './host-node.ts';
import { until } from './kubectl-client.ts';

const NODE = `workloads-${process.pid}`;
const NS = 'wl';

const host = new HostNode({ name: 'workloads', nodeName: NODE });
const kubectl = (...args: string[]) => host.kubectl(...args);
const json = (...args: string[]) => host.kubectl.json('-n', NS, ...args);
const k = (...args: string[]) => kubectl('-n', NS, ...args);
const ok = (...args: string[]) => {
  const r = k(...args);
  expect(r.code, `kubectl ${args.join(' ')}: ${r.err}`).toBe(0);
  return r.out;
};
const apply = (yaml: string) => host.apply(yaml, '-n', NS);

/** containerd's running tasks (container ids) */
function runningTasks(): Set<string> {
  const out = spawnSync('ctr', ['-n', 'k8s.io', 'tasks', 'ls'], { encoding: 'utf8' }).stdout;
  return new Set(out.split('\n').filter((l) => /\sRUNNING\s*$/.test(l)).map((l) => l.split(/\s+/)[0]!));
}

/** containerd containers of the pods `selector` picks that containerd says are running */
function runningContainers(selector: string): string[] {
  const tasks = runningTasks();
  return pods(selector)
    .flatMap((p) => (p.status?.containerStatuses ?? []).map((c: any) => String(c.containerID ?? '').replace('containerd://', '')))
    .filter((id: string) => id && tasks.has(id));
}

/** containerd containers (any state) labelled with a pod name starting with `prefix` */
const containersOf = (prefix: string) =>
  spawnSync('ctr', ['-n', 'k8s.io', 'containers', 'ls', '-q', `labels."io.kubernetes.pod.namespace"==${NS}`], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean)
    .filter((id) => spawnSync('ctr', ['-n', 'k8s.io', 'containers', 'info', id], { encoding: 'utf8' }).stdout.includes(`"io.kubernetes.pod.name": "${prefix}`));

const pods = (selector: string) => json('get', 'pods', '-l', selector).items as any[];
const running = (selector: string) => pods(selector).filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);

describeNeeding(['root', 'containerd', 'cni'], 'workloads on a real node', (missing) => {
  beforeAll(async () => {
    if (missing()) return;
    await host.start();
    expect(kubectl('create', 'namespace', NS).code).toBe(0);
    // the CronJob runs in the background while the other tests go on (it needs two minutes)
    apply(`apiVersion: batch/v1
kind: CronJob
metadata: {name: tick, namespace: ${NS}}
spec:
  schedule: "*/1 * * * *"
  successfulJobsHistoryLimit: 1
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          terminationGracePeriodSeconds: 1
          containers: [{name: c, image: busybox, command: ["sh", "-c", "echo tick"]}]
`);
  }, HOST_NODE_START_MS);

  afterAll(() => host.stop(() => kubectl('delete', 'namespace', NS, '--wait=false')), HOST_NODE_STOP_MS);

  it('kubectl create deployment runs its pods: READY 2/2', async () => {
    ok('create', 'deployment', 'quick', '--image=busybox', '--replicas=2', '--', 'httpd', '-f', '-p', '8080');
    await until(() => json('get', 'deployment', 'quick').status?.availableReplicas === 2, 'quick to be 2/2', 60_000);
    expect(k('get', 'deployment', 'quick').out).toMatch(/quick\s+2\/2\s+2\s+2/);
    ok('delete', 'deployment', 'quick', '--wait=false');
  }, 90_000);

  it('rolls a Deployment out, to a new template, back, and scales it; deleting it removes everything', async () => {
    apply(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${NS}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: web, image: busybox, command: ["httpd", "-f", "-p", "8080"]}]
`);
    const st = k('rollout', 'status', 'deployment/web', '--timeout=90s');
    expect(st.code, st.err).toBe(0);
    expect(st.out).toContain('successfully rolled out');
    expect(json('get', 'deployment', 'web').status).toMatchObject({ replicas: 3, availableReplicas: 3, updatedReplicas: 3 });
    // an env change rolls out to a second ReplicaSet
    ok('set', 'env', 'deployment/web', 'GREETING=hello');
    const st2 = k('rollout', 'status', 'deployment/web', '--timeout=90s');
    expect(st2.code, st2.err).toBe(0);
    const rss = json('get', 'replicasets', '-l', 'app=web').items as any[];
    expect(rss.length).toBe(2);
    const newRs = rss.find((r) => r.metadata.annotations['deployment.kubernetes.io/revision'] === '2');
    expect(newRs.spec.replicas).toBe(3);
    expect(rss.find((r) => r !== newRs).spec.replicas).toBe(0);
    for (const p of running('app=web')) expect(p.spec.containers[0].env).toEqual([{ name: 'GREETING', value: 'hello' }]);
    expect(k('rollout', 'history', 'deployment/web').out).toMatch(/1\s.*\n2\s/);
    // undo restores the first template
    ok('rollout', 'undo', 'deployment/web');
    expect(k('rollout', 'status', 'deployment/web', '--timeout=90s').code).toBe(0);
    expect(json('get', 'deployment', 'web').spec.template.spec.containers[0].env).toBeUndefined();
    await until(() => {
      const r = running('app=web');
      return r.length === 3 && r.every((p) => p.spec.containers[0].env === undefined);
    }, 'the old template running again', 60_000);
    // scale to 5: five running containers in containerd
    ok('scale', 'deployment', 'web', '--replicas=5');
    await until(() => json('get', 'deployment', 'web').status?.availableReplicas === 5, '5 available', 60_000);
    await until(() => runningContainers('app=web').length === 5, '5 containers running in containerd', 30_000);
    // delete: the ReplicaSets, pods and containers go
    ok('delete', 'deployment', 'web');
    await until(() => json('get', 'replicasets', '-l', 'app=web').items.length === 0, 'the ReplicaSets gone', 30_000);
    await until(() => pods('app=web').length === 0, 'the pods gone', 60_000);
    await until(() => containersOf('web-').length === 0, 'the containers gone', 30_000);
  }, 420_000);

  it('completes a Job of 3 completions, 2 at a time, and fails one that exits 3 after its backoffLimit', async () => {
    apply(`apiVersion: batch/v1
kind: Job
metadata: {name: three, namespace: ${NS}}
spec:
  completions: 3
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers: [{name: c, image: busybox, command: ["sh", "-c", "sleep 1; echo done"]}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: failing, namespace: ${NS}}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers: [{name: c, image: busybox, command: ["sh", "-c", "exit 3"]}]
`);
    let maxActive = 0;
    const done = await until(() => {
      const j = json('get', 'job', 'three');
      maxActive = Math.max(maxActive, j.status?.active ?? 0);
      return j.status?.conditions?.some((c: any) => c.type === 'Complete' && c.status === 'True') && j;
    }, 'the Job to complete', 90_000, 300);
    expect(done.status.succeeded).toBe(3);
    expect(maxActive).toBeLessThanOrEqual(2);
    expect(json('get', 'pods', '-l', 'job-name=three').items.filter((p: any) => p.status.phase === 'Succeeded').length).toBe(3);
    const failed = await until(() => {
      const j = json('get', 'job', 'failing');
      return j.status?.conditions?.find((c: any) => c.type === 'Failed' && c.status === 'True') && j;
    }, 'the failing Job to fail', 120_000, 500);
    expect(failed.status.conditions.find((c: any) => c.type === 'Failed').reason).toBe('BackoffLimitExceeded');
    expect(failed.status.failed).toBe(2); // the first try and one retry
  }, 240_000);

  it('runs a DaemonSet pod on the node, and a StatefulSet in order, scaling down in reverse', async () => {
    apply(`apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agentd, namespace: ${NS}}
spec:
  selector: {matchLabels: {app: agentd}}
  template:
    metadata: {labels: {app: agentd}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: c, image: busybox, command: ["sleep", "3600"]}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: ${NS}}
spec:
  replicas: 3
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: busybox
        command: ["sleep", "3600"]
        readinessProbe: {exec: {command: ["true"]}, periodSeconds: 1}
`);
    await until(() => json('get', 'daemonset', 'agentd').status?.numberReady === 1, 'the DaemonSet pod ready', 60_000);
    const dsPod = pods('app=agentd')[0];
    expect(dsPod.spec.nodeName).toBe(NODE);
    await until(() => json('get', 'statefulset', 'db').status?.readyReplicas === 3, 'db 3/3', 120_000);
    const started = pods('app=db')
      .map((p) => ({ name: p.metadata.name, created: Date.parse(p.metadata.creationTimestamp), ready: Date.parse(p.status.conditions.find((c: any) => c.type === 'Ready').lastTransitionTime) }))
      .sort((a, b) => a.created - b.created);
    expect(started.map((s) => s.name)).toEqual(['db-0', 'db-1', 'db-2']);
    // each was created only once the one before it was ready
    expect(started[1]!.created).toBeGreaterThanOrEqual(started[0]!.ready);
    expect(started[2]!.created).toBeGreaterThanOrEqual(started[1]!.ready);
    // scale down: db-2 goes first, then db-1
    const order: string[] = [];
    ok('scale', 'statefulset', 'db', '--replicas=1');
    await until(() => {
      for (const p of ['db-2', 'db-1']) {
        const r = k('get', 'pod', p, '-o', 'jsonpath={.metadata.deletionTimestamp}');
        if ((r.code !== 0 || r.out !== '') && !order.includes(p)) order.push(p);
      }
      return order.length === 2 && pods('app=db').length === 1;
    }, 'db scaled down to 1', 60_000, 100);
    expect(order).toEqual(['db-2', 'db-1']);
  }, 240_000);

  it('makes Jobs from the CronJob every minute and keeps one successful Job', async () => {
    const seen = new Set<string>();
    await until(() => {
      for (const j of json('get', 'jobs').items as any[]) if (j.metadata.ownerReferences?.[0]?.name === 'tick') seen.add(j.metadata.name);
      return seen.size >= 2;
    }, 'two Jobs from the CronJob', 200_000, 1000);
    const cj = json('get', 'cronjob', 'tick');
    expect(cj.status.lastScheduleTime).toBeDefined();
    await until(() => {
      const jobs = (json('get', 'jobs').items as any[]).filter((j) => j.metadata.ownerReferences?.[0]?.name === 'tick');
      const succeeded = jobs.filter((j) => j.status?.conditions?.some((c: any) => c.type === 'Complete'));
      return succeeded.length === 1 && json('get', 'cronjob', 'tick').status.lastSuccessfulTime;
    }, 'the history limit of one successful Job', 60_000, 1000);
    for (const name of seen) expect(name).toMatch(/^tick-\d+$/);
  }, 300_000);
});
