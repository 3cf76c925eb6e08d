// `skiff rollout` on DaemonSets and StatefulSets, and `skiff scale`, against a real `skiff server`,
// compared with kubectl 1.32, on objects and histories this test writes itself: the server runs the
// default distribution without the workload controllers, and the test writes what they would
// (ControllerRevisions with data: the template the server stored, `$patch: replace`; statuses), so
// edge cases (partitions, timeouts, odd histories) are exact. rollout-cli-controllers.test.ts runs
// the same commands against the real controllers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apps, controllerRevision, daemonSet, deployment, eventually, spawnSkiff, startCluster, statefulSet, writeStatus, type Cluster } from './rollout-fixtures.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const NS = 'work';
const IMG = (n: number) => `registry.local/agent:${n}`;

/** the controllers that would take over what this test writes */
const WORKLOAD_CONTROLLERS = ['deployment-controller', 'replicaset-controller', 'replicationcontroller-controller', 'daemonset-controller', 'statefulset-controller'];

let c: Cluster;
let dir: string;
beforeAll(async () => {
  c = await startCluster({ without: WORKLOAD_CONTROLLERS });
  dir = mkdtempSync(join(tmpdir(), 'skiff-rollout-files-'));
  expect((await c.skiff(['apply', '-f', '-'], `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${NS}}\n`)).code).toBe(0);
});
afterAll(async () => {
  await c?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a DaemonSet (ControllerRevisions and status written by the test)', () => {
  const AGENT = apps(NS, 'daemonsets', 'agent');

  it('history, history --revision, status and undo', async () => {
    let ds = await c.rest.request('POST', apps(NS, 'daemonsets'), { body: daemonSet(NS, 'agent', IMG(1)) });
    const crs: Obj[] = [];
    for (let v = 1; v <= 2; v++) {
      if (v > 1) ds = await c.rest.request('PATCH', AGENT, { body: { spec: { template: { spec: { containers: [{ name: 'agent', image: IMG(v) }] } } } }, contentType: 'application/strategic-merge-patch+json' });
      const cr = controllerRevision(ds, v, IMG(v), v === 1 ? 'first' : undefined);
      cr.data = { spec: { template: { ...ds.spec.template, $patch: 'replace' } } };
      crs.push(await c.rest.request('POST', apps(NS, 'controllerrevisions'), { body: cr }));
    }
    const h = await c.skiff(['rollout', 'history', 'ds/agent', '-n', NS]);
    expect(h.stdout).toBe('daemonset.apps/agent \nREVISION  CHANGE-CAUSE\n1         first\n2         <none>\n\n');
    expect(c.kubectl('rollout', 'history', 'ds/agent', '-n', NS).out).toBe(h.stdout);
    const one = await c.skiff(['rollout', 'history', 'ds/agent', '-n', NS, '--revision=1']);
    expect(one.stdout).toContain('daemonset.apps/agent with revision #1\nPod Template:\n  Labels:\tapp=agent\n  Containers:\n   agent:\n    Image:\tregistry.local/agent:1\n');
    expect(c.kubectl('rollout', 'history', 'ds/agent', '-n', NS, '--revision=1').out).toBe(one.stdout);

    await writeStatus(c.rest, AGENT, { currentNumberScheduled: 2, numberMisscheduled: 0, desiredNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 1, numberAvailable: 1 });
    const st = await c.skiff(['rollout', 'status', 'daemonset/agent', '-n', NS, '--watch=false']);
    expect(st.stdout).toBe('Waiting for daemon set "agent" rollout to finish: 1 out of 2 new pods have been updated...\n');
    expect(c.kubectl('rollout', 'status', 'daemonset/agent', '-n', NS, '--watch=false').out).toBe(st.stdout);
    await writeStatus(c.rest, AGENT, { currentNumberScheduled: 2, numberMisscheduled: 0, desiredNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2, numberAvailable: 2 });
    expect((await c.skiff(['rollout', 'status', 'daemonset/agent', '-n', NS])).stdout).toBe('daemon set "agent" successfully rolled out\n');

    const undo = await c.skiff(['rollout', 'undo', 'ds/agent', '-n', NS]);
    expect([undo.code, undo.stdout]).toEqual([0, 'daemonset.apps/agent rolled back\n']);
    const after: Obj = await c.rest.get(AGENT);
    const { $patch: _, ...first } = crs[0]!.data.spec.template;
    expect(after.spec.template).toEqual(first);
    const skip = await c.skiff(['rollout', 'undo', 'ds/agent', '-n', NS, '--to-revision=1']);
    expect(skip.stdout).toBe('daemonset.apps/agent skipped rollback (current template already matches revision 1)\n');
    const none = await c.skiff(['rollout', 'undo', 'ds/agent', '-n', NS, '--to-revision=5']);
    expect([none.code, none.stderr]).toEqual([1, 'error: unable to find specified revision 5 in history\n']);
    expect(c.kubectl('rollout', 'undo', 'ds/agent', '-n', NS, '--to-revision=5').err).toBe(none.stderr);

    expect((await c.skiff(['rollout', 'restart', 'ds/agent', '-n', NS])).stdout).toBe('daemonset.apps/agent restarted\n');
    const pause = await c.skiff(['rollout', 'pause', 'ds/agent', '-n', NS]);
    expect(pause.stderr).toBe('error: daemonsets.apps "agent" pausing is not supported\n');
    expect(c.kubectl('rollout', 'pause', 'ds/agent', '-n', NS).err).toBe(pause.stderr);
  }, 120_000);
});

describe('a StatefulSet (status written by the test)', () => {
  it('status follows ready pods, then the partition', async () => {
    const DB = apps(NS, 'statefulsets', 'db');
    await c.rest.request('POST', apps(NS, 'statefulsets'), { body: statefulSet(NS, 'db', IMG(1), 3) });
    await writeStatus(c.rest, DB, { replicas: 3, readyReplicas: 1, availableReplicas: 1, currentReplicas: 3, updatedReplicas: 3 });
    const waiting = await c.skiff(['rollout', 'status', 'sts/db', '-n', NS, '--watch=false']);
    expect(waiting.stdout).toBe('Waiting for 2 pods to be ready...\n');
    expect(c.kubectl('rollout', 'status', 'sts/db', '-n', NS, '--watch=false').out).toBe(waiting.stdout);

    const w = spawnSkiff(c, ['rollout', 'status', 'statefulset/db', '-n', NS]);
    try {
      await eventually(async () => w.out() !== '', 'the first line');
      await writeStatus(c.rest, DB, { replicas: 3, readyReplicas: 3, availableReplicas: 3, currentReplicas: 3, updatedReplicas: 3 });
      expect(await w.done).toBe(0);
    } finally {
      w.kill();
    }
    expect(w.out()).toBe('Waiting for 2 pods to be ready...\npartitioned roll out complete: 3 new pods have been updated...\n');
    expect((await c.skiff(['rollout', 'restart', 'sts/db', '-n', NS])).stdout).toBe('statefulset.apps/db restarted\n');
  }, 120_000);
});

describe('skiff scale', () => {
  const SC = apps(NS, 'deployments', 'sc');

  it('patches the scale subresource; preconditions GET and PUT it, and fail as kubectl', async () => {
    await c.rest.request('POST', apps(NS, 'deployments'), { body: deployment(NS, 'sc', IMG(1), { replicas: 2 }) });
    const r = await c.skiff(['scale', 'deploy/sc', '--replicas=5', '-n', NS]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'deployment.apps/sc scaled\n', '']);
    expect(((await c.rest.get(SC)) as Obj).spec.replicas).toBe(5);
    expect(c.kubectl('scale', 'deploy/sc', '--replicas=4', '-n', NS).out).toBe(r.stdout);

    const wrong = await c.skiff(['scale', 'deployment', 'sc', '--current-replicas=3', '--replicas=1', '-n', NS]);
    expect([wrong.code, wrong.stderr]).toEqual([1, 'error: Expected replicas to be 3, was 4\n']);
    expect(c.kubectl('scale', 'deployment', 'sc', '--current-replicas=3', '--replicas=1', '-n', NS).err).toBe(wrong.stderr);
    expect(((await c.rest.get(SC)) as Obj).spec.replicas).toBe(4);

    const right = await c.skiff(['scale', 'deployment', 'sc', '--current-replicas', '4', '--replicas', '1', '-n', NS]);
    expect([right.code, right.stdout, right.stderr]).toEqual([0, 'deployment.apps/sc scaled\n', '']);
    expect(((await c.rest.get(SC)) as Obj).spec.replicas).toBe(1);

    const rv = ((await c.rest.get(`${SC}/scale`)) as Obj).metadata.resourceVersion;
    const stale = await c.skiff(['scale', 'deploy/sc', '--resource-version=1', '--replicas=2', '-n', NS]);
    expect([stale.code, stale.stderr]).toEqual([1, `error: Expected resource version to be 1, was ${rv}\n`]);
    expect(c.kubectl('scale', 'deploy/sc', '--resource-version=1', '--replicas=2', '-n', NS).err).toBe(stale.stderr);
    expect((await c.skiff(['scale', 'deploy/sc', `--resource-version=${rv}`, '--replicas=2', '-n', NS])).stdout).toBe('deployment.apps/sc scaled\n');

    const dry = await c.skiff(['scale', 'deploy/sc', '--replicas=7', '--dry-run=server', '-n', NS]);
    expect(dry.stdout).toBe('deployment.apps/sc scaled (server dry run)\n');
    expect(((await c.rest.get(SC)) as Obj).spec.replicas).toBe(2);
  }, 120_000);

  it('ReplicaSets, StatefulSets and ReplicationControllers; several at once; -f', async () => {
    const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'solo', namespace: NS }, spec: { replicas: 1, selector: { matchLabels: { app: 'solo' } }, template: { metadata: { labels: { app: 'solo' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } };
    const rc = { apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'old', namespace: NS }, spec: { replicas: 1, template: { metadata: { labels: { app: 'old' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } };
    await c.rest.request('POST', apps(NS, 'replicasets'), { body: rs });
    await c.rest.request('POST', `/api/v1/namespaces/${NS}/replicationcontrollers`, { body: rc });
    await c.rest.request('POST', apps(NS, 'statefulsets'), { body: statefulSet(NS, 'cache', IMG(1), 1) });
    const r = await c.skiff(['scale', 'rs/solo', 'statefulset/cache', 'rc/old', '--replicas=0', '-n', NS]);
    expect(r.stdout).toBe('replicaset.apps/solo scaled\nstatefulset.apps/cache scaled\nreplicationcontroller/old scaled\n');
    for (const p of [apps(NS, 'replicasets', 'solo'), apps(NS, 'statefulsets', 'cache'), `/api/v1/namespaces/${NS}/replicationcontrollers/old`]) expect(((await c.rest.get(p)) as Obj).spec.replicas).toBe(0);

    writeFileSync(join(dir, 'sc.yaml'), `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: sc, namespace: ${NS}}\n`);
    expect((await c.skiff(['scale', '-f', join(dir, 'sc.yaml'), '--replicas=3'])).stdout).toBe('deployment.apps/sc scaled\n');
    expect((await c.skiff(['rollout', 'restart', '-f', join(dir, 'sc.yaml')])).stdout).toBe('deployment.apps/sc restarted\n');
  }, 120_000);

  it('--timeout waits until the replicas are there', async () => {
    const w = spawnSkiff(c, ['scale', 'deploy/sc', '--replicas=4', '--timeout=60s', '-n', NS]);
    try {
      await eventually(async () => ((await c.rest.get(SC)) as Obj).spec.replicas === 4, 'the new size');
      // the Deployment controller's part (status.replicas)
      await writeStatus(c.rest, SC, { replicas: 4, updatedReplicas: 4 });
      expect(await w.done).toBe(0);
    } finally {
      w.kill();
    }
    expect(w.out()).toBe('deployment.apps/sc scaled\n');
  }, 120_000);

  it('--timeout fails when the replicas do not come', async () => {
    const r = await c.skiff(['scale', 'deploy/sc', '--replicas=6', '--timeout=1s', '-n', NS]);
    expect([r.code, r.stdout, r.stderr]).toEqual([1, '', 'error: timed out waiting for "sc" to be synced\n']);
  }, 120_000);

  it('usage errors read as kubectl’s', async () => {
    const noReplicas = await c.skiff(['scale', 'deploy/sc', '-n', NS]);
    expect([noReplicas.code, noReplicas.stderr]).toEqual([1, 'error: required flag(s) "replicas" not set\n']);
    const noName = await c.skiff(['scale', 'deploy', '--replicas=1', '-n', NS]);
    expect(noName.stderr).toBe('error: resource(s) were provided, but no name was specified\n');
    expect(c.kubectl('scale', 'deploy', '--replicas=1', '-n', NS).err).toBe(noName.stderr);
    const missing = await c.skiff(['scale', 'deploy/nope', '--replicas=1', '-n', NS]);
    expect([missing.code, missing.stderr]).toEqual([1, 'error: no objects passed to scale deployments.apps "nope" not found\n']);
    expect(c.kubectl('scale', 'deploy/nope', '--replicas=1', '-n', NS).err).toBe(missing.stderr);

    const viewer = await c.skiff(['rollout', 'status', 'rs/solo', '-n', NS]);
    expect(viewer.stderr).toBe('error: no status viewer has been implemented for ReplicaSet.apps\n');
    expect(c.kubectl('rollout', 'status', 'rs/solo', '-n', NS).err).toBe(viewer.stderr);
    const history = await c.skiff(['rollout', 'history', 'rc/old', '-n', NS]);
    expect(history.stderr).toBe('error: no history viewer has been implemented for "ReplicationController"\n');
    expect(c.kubectl('rollout', 'history', 'rc/old', '-n', NS).err).toBe(history.stderr);
    const required = await c.skiff(['rollout', 'undo', '-n', NS]);
    expect(required.stderr).toBe('error: required resource not specified\n');
  }, 120_000);
});
