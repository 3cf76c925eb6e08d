// `skiff rollout` and `skiff scale` against the real workload controllers of a `skiff server`, with
// two hollow nodes (`skiff sim`) whose pods become Ready, compared with kubectl 1.32
// (rollout-cli.test.ts and rollout-cli-workloads.test.ts cover the edge cases on objects they write).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apps, CAUSE, eventually, startCluster, type Cluster } from './rollout-fixtures.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const NS = 'live';
const IMG = (app: string, n: number) => `registry.local/${app}:${n}`;

let c: Cluster;
beforeAll(async () => {
  c = await startCluster();
  c.startSim(2);
  expect((await c.skiff(['apply', '-f', '-'], `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${NS}}\n`)).code).toBe(0);
  await eventually(async () => ((await c.rest.get('/api/v1/nodes')).items ?? []).length === 2, 'two hollow nodes');
});
afterAll(async () => {
  await c?.stop();
});

/** `<kind>/<name>` as a manifest with one container `app` of that image and a change cause. */
function manifest(kind: string, name: string, image: string, cause: string, replicas?: number): string {
  return `apiVersion: apps/v1
kind: ${kind}
metadata: {name: ${name}, namespace: ${NS}, annotations: {${CAUSE}: "${cause}"}}
spec:
  ${replicas !== undefined ? `replicas: ${replicas}\n  ` : ''}${kind === 'StatefulSet' ? `serviceName: ${name}\n  ` : ''}selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: app, image: "${image}"}]}
`;
}

/** `rollout status` until done: every line but the last one is a "Waiting" line of that kind. */
async function rolledOut(ref: string, last: string | RegExp, waiting: RegExp): Promise<void> {
  const r = await c.skiff(['rollout', 'status', ref, '-n', NS, '--timeout=120s'], undefined);
  expect([r.code, r.stderr]).toEqual([0, '']);
  const lines = r.stdout.trimEnd().split('\n');
  expect(lines.pop()).toMatch(last);
  for (const l of lines) expect(l).toMatch(waiting);
}

/** history, and history --revision N for each revision, exactly as kubectl prints them. */
async function sameHistoryAsKubectl(ref: string, revisions: number[]): Promise<string> {
  const h = await c.skiff(['rollout', 'history', ref, '-n', NS]);
  expect(h.stderr).toBe('');
  expect(c.kubectl('rollout', 'history', ref, '-n', NS).out).toBe(h.stdout);
  for (const v of revisions) {
    const one = await c.skiff(['rollout', 'history', ref, '-n', NS, `--revision=${v}`]);
    expect(one.stdout).toMatch(new RegExp(`^\\S+ with revision #${v}\\nPod Template:\\n`));
    expect(c.kubectl('rollout', 'history', ref, '-n', NS, `--revision=${v}`).out).toBe(one.stdout);
  }
  return h.stdout;
}

describe('a Deployment with the Deployment and ReplicaSet controllers', () => {
  const WEB = apps(NS, 'deployments', 'web');
  const waiting = /^(Waiting for deployment spec update to be observed\.\.\.|Waiting for deployment "web" rollout to finish: (\d+ out of \d+ new replicas have been updated|\d+ old replicas are pending termination|\d+ of \d+ updated replicas are available)\.\.\.)$/;
  const done = /^deployment "web" successfully rolled out$/;

  it('status follows a rollout to its end; history and undo read and restore the ReplicaSets', async () => {
    expect((await c.skiff(['apply', '-f', '-'], manifest('Deployment', 'web', IMG('web', 1), 'v1', 3))).code).toBe(0);
    await rolledOut('deploy/web', done, waiting);
    expect((await c.skiff(['apply', '-f', '-'], manifest('Deployment', 'web', IMG('web', 2), 'v2', 3))).stdout).toBe('deployment.apps/web configured\n');
    await rolledOut('deployment/web', done, waiting);
    expect(await sameHistoryAsKubectl('deploy/web', [1, 2])).toBe('deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         v1\n2         v2\n\n');

    expect((await c.skiff(['rollout', 'undo', 'deploy/web', '-n', NS])).stdout).toBe('deployment.apps/web rolled back\n');
    await rolledOut('deploy/web', done, waiting);
    expect(((await c.rest.get(WEB)) as Obj).spec.template.spec.containers[0].image).toBe(IMG('web', 1));
    // the controller gives the restored ReplicaSet the next revision
    await eventually(async () => (await c.skiff(['rollout', 'history', 'deploy/web', '-n', NS])).stdout.includes('\n3         v1\n'), 'revision 3');
    expect(await sameHistoryAsKubectl('deploy/web', [2, 3])).toBe('deployment.apps/web \nREVISION  CHANGE-CAUSE\n2         v2\n3         v1\n\n');
    const skip = await c.skiff(['rollout', 'undo', 'deploy/web', '-n', NS, '--to-revision=3']);
    expect(skip.stdout).toBe('deployment.apps/web skipped rollback (current template already matches revision 3)\n');
    expect(c.kubectl('rollout', 'undo', 'deploy/web', '-n', NS, '--to-revision=3').out).toBe(skip.stdout);
  }, 300_000);

  it('pause holds a template change until resume; restart and scale roll out', async () => {
    expect((await c.skiff(['rollout', 'pause', 'deploy/web', '-n', NS])).stdout).toBe('deployment.apps/web paused\n');
    await c.rest.request('PATCH', WEB, { body: { spec: { template: { spec: { containers: [{ name: 'app', image: IMG('web', 3) }] } } } }, contentType: 'application/strategic-merge-patch+json' });
    const held = await eventually(async () => {
      const r = await c.skiff(['rollout', 'status', 'deploy/web', '-n', NS, '--watch=false']);
      return r.stdout.includes('0 out of 3 new replicas have been updated') && r;
    }, 'the paused rollout observed');
    expect(held.stdout).toBe('Waiting for deployment "web" rollout to finish: 0 out of 3 new replicas have been updated...\n');
    expect(c.kubectl('rollout', 'status', 'deploy/web', '-n', NS, '--watch=false').out).toBe(held.stdout);
    expect((await c.skiff(['rollout', 'resume', 'deploy/web', '-n', NS])).stdout).toBe('deployment.apps/web resumed\n');
    await rolledOut('deploy/web', done, waiting);

    expect((await c.skiff(['rollout', 'restart', 'deploy/web', '-n', NS])).stdout).toBe('deployment.apps/web restarted\n');
    await rolledOut('deploy/web', done, waiting);
    const pods = (await c.rest.get(`/api/v1/namespaces/${NS}/pods`, { query: { labelSelector: 'app=web' } })).items as Obj[];
    expect(pods.filter((p) => !p.metadata.deletionTimestamp).every((p) => p.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'])).toBe(true);

    const scaled = await c.skiff(['scale', 'deploy/web', '--replicas=5', '--timeout=120s', '-n', NS]);
    expect([scaled.code, scaled.stdout]).toEqual([0, 'deployment.apps/web scaled\n']);
    await rolledOut('deploy/web', done, waiting);
    expect(((await c.rest.get(WEB)) as Obj).status.availableReplicas).toBe(5);
  }, 300_000);
});

describe('a DaemonSet with its controller', () => {
  const waiting = /^(Waiting for daemon set spec update to be observed\.\.\.|Waiting for daemon set "agent" rollout to finish: \d+ (out of \d+ new pods have been updated|of \d+ updated pods are available)\.\.\.)$/;
  const done = /^daemon set "agent" successfully rolled out$/;

  it('status, history from ControllerRevisions, undo and restart', async () => {
    expect((await c.skiff(['apply', '-f', '-'], manifest('DaemonSet', 'agent', IMG('agent', 1), 'first'))).code).toBe(0);
    await rolledOut('ds/agent', done, waiting);
    expect((await c.skiff(['apply', '-f', '-'], manifest('DaemonSet', 'agent', IMG('agent', 2), 'second'))).code).toBe(0);
    await eventually(async () => ((await c.rest.get(apps(NS, 'daemonsets', 'agent'))) as Obj).status?.updatedNumberScheduled === 2, 'the update');
    await rolledOut('daemonset/agent', done, waiting);
    expect(await sameHistoryAsKubectl('ds/agent', [1, 2])).toBe('daemonset.apps/agent \nREVISION  CHANGE-CAUSE\n1         first\n2         second\n\n');

    expect((await c.skiff(['rollout', 'undo', 'ds/agent', '-n', NS])).stdout).toBe('daemonset.apps/agent rolled back\n');
    await eventually(async () => (await c.skiff(['rollout', 'history', 'ds/agent', '-n', NS])).stdout.includes('\n3 '), 'revision 3');
    await rolledOut('ds/agent', done, waiting);
    // the restored revision's data is exactly what the controller stores for the current template
    const skip = await c.skiff(['rollout', 'undo', 'ds/agent', '-n', NS, '--to-revision=3']);
    expect(skip.stdout).toBe('daemonset.apps/agent skipped rollback (current template already matches revision 3)\n');
    expect((await c.skiff(['rollout', 'restart', 'ds/agent', '-n', NS])).stdout).toBe('daemonset.apps/agent restarted\n');
    await rolledOut('ds/agent', done, waiting);
  }, 300_000);
});

describe('a StatefulSet with its controller', () => {
  const waiting = /^(Waiting for \d+ pods to be ready|Waiting for partitioned roll out to finish: \d+ out of \d+ new pods have been updated|Waiting for statefulset spec update to be observed)\.\.\.$/;
  const done = /^partitioned roll out complete: 2 new pods have been updated\.\.\.$/;

  it('status, history, undo, restart and scale', async () => {
    expect((await c.skiff(['apply', '-f', '-'], manifest('StatefulSet', 'db', IMG('db', 1), 'first', 2))).code).toBe(0);
    await rolledOut('sts/db', done, waiting);
    expect((await c.skiff(['apply', '-f', '-'], manifest('StatefulSet', 'db', IMG('db', 2), 'second', 2))).code).toBe(0);
    await eventually(async () => ((await c.rest.get(apps(NS, 'statefulsets', 'db'))) as Obj).status?.updatedReplicas === 2, 'the update');
    await rolledOut('statefulset/db', done, waiting);
    expect(await sameHistoryAsKubectl('sts/db', [1, 2])).toMatch(/^statefulset\.apps\/db \nREVISION  CHANGE-CAUSE\n1         \S+\n2         \S+\n\n$/);

    expect((await c.skiff(['rollout', 'undo', 'sts/db', '-n', NS])).stdout).toBe('statefulset.apps/db rolled back\n');
    await eventually(async () => ((await c.rest.get(apps(NS, 'statefulsets', 'db'))) as Obj).spec.template.spec.containers[0].image === IMG('db', 1), 'the old image');
    await rolledOut('sts/db', done, waiting);
    expect((await c.skiff(['rollout', 'restart', 'sts/db', '-n', NS])).stdout).toBe('statefulset.apps/db restarted\n');
    await rolledOut('sts/db', done, waiting);
    expect((await c.skiff(['scale', 'sts/db', '--replicas=3', '--timeout=120s', '-n', NS])).stdout).toBe('statefulset.apps/db scaled\n');
    await rolledOut('sts/db', /^partitioned roll out complete: 3 new pods have been updated\.\.\.$/, waiting);
  }, 300_000);
});
