// `skiff rollout` on a Deployment against a real `skiff server`, compared with kubectl 1.32 on the same
// objects. The server runs the default distribution without the Deployment and ReplicaSet
// controllers, and this test writes what they would: the ReplicaSets of three revisions (templates
// as the server defaulted them, revision and change-cause annotations, controller references) and the
// statuses, so edge cases are exact; rollout-cli-controllers.test.ts runs the same commands against
// the real controllers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apps, CAUSE, REVISION, deployment, eventually, replicaSet, spawnSkiff, startCluster, writeStatus, type Cluster } from './rollout-fixtures.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const NS = 'roll';
const WEB = apps(NS, 'deployments', 'web');
const IMG = (n: number) => `registry.local/web:${n}`;

let c: Cluster;
let rs: Obj[] = [];

/** The Deployment at revision 3 and its ReplicaSets 1..3, each template as the server stored it. */
async function history(): Promise<void> {
  let d = await c.rest.request('POST', apps(NS, 'deployments'), { body: deployment(NS, 'web', IMG(1)) });
  for (let v = 1; v <= 3; v++) {
    if (v > 1) d = await c.rest.request('PATCH', WEB, { body: { spec: { template: { spec: { containers: [{ name: 'web', image: IMG(v) }] } } } }, contentType: 'application/strategic-merge-patch+json' });
    const r = replicaSet(d, `h${v}`, v, IMG(v), v === 3 ? 3 : 0, `v${v}`);
    r.spec.template = { ...structuredClone(d.spec.template), metadata: { ...d.spec.template.metadata, labels: { ...d.spec.template.metadata.labels, 'pod-template-hash': `h${v}` } } };
    rs.push(await c.rest.request('POST', apps(NS, 'replicasets'), { body: r }));
  }
  await c.rest.request('PATCH', WEB, { body: { metadata: { annotations: { [REVISION]: '3', [CAUSE]: 'v3' } } }, contentType: 'application/merge-patch+json' });
  // a ReplicaSet the Deployment selects but does not control is no revision of it
  const stray = replicaSet(d, 'zz', 9, IMG(9), 0, 'stray');
  stray.metadata.ownerReferences = [];
  await c.rest.request('POST', apps(NS, 'replicasets'), { body: stray });
}

describe('skiff rollout on a Deployment (ReplicaSets and statuses written by the test)', () => {
  beforeAll(async () => {
    c = await startCluster({ without: ['deployment-controller', 'replicaset-controller'] });
    expect((await c.skiff(['apply', '-f', '-'], `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${NS}}\n`)).stdout).toBe(`namespace/${NS} created\n`);
    await history();
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('history lists the controlled ReplicaSets’ revisions and change causes, byte for byte as kubectl', async () => {
    const r = await c.skiff(['rollout', 'history', 'deployment/web', '-n', NS]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         v1\n2         v2\n3         v3\n\n');
    expect(c.kubectl('rollout', 'history', 'deployment/web', '-n', NS).out).toBe(r.stdout);

    const two = await c.skiff(['rollout', 'history', 'deploy', 'web', '-n', NS, '--revision', '2']);
    expect(two.stdout).toMatch(/^deployment\.apps\/web with revision #2\nPod Template:\n  Labels:\tapp=web\n\tpod-template-hash=h2\n  Annotations:\tkubernetes\.io\/change-cause: v2\n  Containers:\n   web:\n    Image:\tregistry\.local\/web:2\n/);
    expect(c.kubectl('rollout', 'history', 'deploy', 'web', '-n', NS, '--revision=2').out).toBe(two.stdout);

    const missing = await c.skiff(['rollout', 'history', 'deploy/web', '-n', NS, '--revision=7']);
    expect([missing.code, missing.stderr]).toEqual([1, 'error: unable to find the specified revision\n']);
    expect(c.kubectl('rollout', 'history', 'deploy/web', '-n', NS, '--revision=7').err).toBe(missing.stderr);
  }, 120_000);

  it('status --watch=false prints where the rollout is; -w follows each status change until done', async () => {
    await writeStatus(c.rest, WEB, { replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 });
    const once = await c.skiff(['rollout', 'status', 'deploy/web', '-n', NS, '--watch=false']);
    expect([once.code, once.stdout]).toEqual([0, 'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...\n']);
    expect(c.kubectl('rollout', 'status', 'deploy/web', '-n', NS, '--watch=false').out).toBe(once.stdout);

    const w = spawnSkiff(c, ['rollout', 'status', 'deployment', 'web', '-n', NS]);
    const lines = () => w.out().split('\n').filter(Boolean);
    try {
      await eventually(async () => lines().length === 1, 'the first status line');
      await writeStatus(c.rest, WEB, { replicas: 4, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
      await eventually(async () => lines().length === 2, 'a second line');
      await writeStatus(c.rest, WEB, { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 });
      await eventually(async () => lines().length === 3, 'a third line');
      await writeStatus(c.rest, WEB, { replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
      expect(await w.done).toBe(0);
    } finally {
      w.kill();
    }
    expect(lines()).toEqual([
      'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...',
      'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...',
      'Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...',
      'deployment "web" successfully rolled out',
    ]);
    expect(w.err()).toBe('');
    const done = await c.skiff(['rollout', 'status', 'deploy/web', '-n', NS, '--revision=3']);
    expect([done.code, done.stdout]).toEqual([0, 'deployment "web" successfully rolled out\n']);
  }, 120_000);

  it('status fails on an exceeded progress deadline, a rolled-over revision and --timeout, as kubectl', async () => {
    await writeStatus(c.rest, WEB, { replicas: 3, updatedReplicas: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-h3" has timed out progressing.' }] });
    const failed = await c.skiff(['rollout', 'status', 'deploy/web', '-n', NS]);
    expect([failed.code, failed.stderr]).toEqual([1, 'error: deployment "web" exceeded its progress deadline\n']);
    expect(c.kubectl('rollout', 'status', 'deploy/web', '-n', NS).err).toBe(failed.stderr);

    const pinned = await c.skiff(['rollout', 'status', 'deploy/web', '-n', NS, '--revision=2']);
    expect([pinned.code, pinned.stderr]).toEqual([1, 'error: desired revision (2) is different from the running revision (3)\n']);

    await writeStatus(c.rest, WEB, { replicas: 3, updatedReplicas: 3, readyReplicas: 1, availableReplicas: 1 });
    const t0 = Date.now();
    const slow = await c.skiff(['rollout', 'status', 'deploy/web', '-n', NS, '--timeout=1s']);
    expect([slow.code, slow.stdout, slow.stderr]).toEqual([1, 'Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...\n', 'error: timed out waiting for the condition\n']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(c.kubectl('rollout', 'status', 'deploy/web', '-n', NS, '--timeout=1s').err).toBe(slow.stderr);
  }, 120_000);

  it('undo restores the previous ReplicaSet’s template and annotations; kubectl’s undo makes the same Deployment', async () => {
    const before: Obj = await c.rest.get(WEB);
    const r = await c.skiff(['rollout', 'undo', 'deployment/web', '-n', NS]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'deployment.apps/web rolled back\n', '']);
    const mine: Obj = await c.rest.get(WEB);
    expect(mine.spec.template.spec.containers[0].image).toBe(IMG(2));
    expect(mine.spec.template.metadata.labels).toEqual({ app: 'web' });
    // the Deployment keeps its revision; change-cause comes from the ReplicaSet; desired-replicas is never copied
    expect(mine.metadata.annotations).toEqual({ [REVISION]: '3', [CAUSE]: 'v2' });

    // the same undo by kubectl, from the same starting point
    await c.rest.request('PATCH', WEB, { body: [{ op: 'replace', path: '/spec/template', value: before.spec.template }, { op: 'replace', path: '/metadata/annotations', value: before.metadata.annotations }], contentType: 'application/json-patch+json' });
    expect(c.kubectl('rollout', 'undo', 'deployment/web', '-n', NS).out).toBe(r.stdout);
    const theirs: Obj = await c.rest.get(WEB);
    // kubectl's Go encoding adds creationTimestamp: null to the template's metadata: the same template
    expect(theirs.spec.template.metadata.creationTimestamp).toBeNull();
    delete theirs.spec.template.metadata.creationTimestamp;
    expect(theirs.spec.template).toEqual(mine.spec.template);
    expect(theirs.metadata.annotations).toEqual(mine.metadata.annotations);

    const skip = await c.skiff(['rollout', 'undo', 'deploy/web', '-n', NS, '--to-revision=2']);
    expect(skip.stdout).toBe('deployment.apps/web skipped rollback (current template already matches revision 2)\n');
    expect(c.kubectl('rollout', 'undo', 'deploy/web', '-n', NS, '--to-revision=2').out).toBe(skip.stdout);

    const none = await c.skiff(['rollout', 'undo', 'deploy/web', '-n', NS, '--to-revision=9']);
    expect([none.code, none.stderr]).toEqual([1, 'error: unable to find specified revision 9 in history\n']);
    expect(c.kubectl('rollout', 'undo', 'deploy/web', '-n', NS, '--to-revision=9').err).toBe(none.stderr);

    const dry = await c.skiff(['rollout', 'undo', 'deploy/web', '-n', NS, '--to-revision=1', '--dry-run=server']);
    expect(dry.stdout).toBe('deployment.apps/web rolled back (server dry run)\n');
    expect(((await c.rest.get(WEB)) as Obj).spec.template.spec.containers[0].image).toBe(IMG(2));
  }, 120_000);

  it('pause, resume and restart patch the Deployment; refusals read as kubectl’s', async () => {
    const paused = await c.skiff(['rollout', 'pause', 'deploy/web', '-n', NS]);
    expect(paused.stdout).toBe('deployment.apps/web paused\n');
    expect(((await c.rest.get(WEB)) as Obj).spec.paused).toBe(true);
    const again = await c.skiff(['rollout', 'pause', 'deploy/web', '-n', NS]);
    expect([again.code, again.stderr]).toEqual([1, 'error: deployments.apps "web" is already paused\n']);
    expect(c.kubectl('rollout', 'pause', 'deploy/web', '-n', NS).err).toBe(again.stderr);

    const undo = await c.skiff(['rollout', 'undo', 'deploy/web', '-n', NS]);
    expect(undo.stderr).toBe("error: you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again\n");
    const restart = await c.skiff(['rollout', 'restart', 'deploy/web', '-n', NS]);
    expect(restart.stderr).toBe(`error: deployments.apps "web" can't restart paused deployment (run rollout resume first)\n`);
    expect(c.kubectl('rollout', 'restart', 'deploy/web', '-n', NS).err).toBe(restart.stderr);

    expect((await c.skiff(['rollout', 'resume', 'deploy/web', '-n', NS])).stdout).toBe('deployment.apps/web resumed\n');
    expect(((await c.rest.get(WEB)) as Obj).spec.paused).toBeFalsy();
    const notPaused = await c.skiff(['rollout', 'resume', 'deploy/web', '-n', NS]);
    expect(notPaused.stderr).toBe('error: deployments.apps "web" is not paused\n');
    expect(c.kubectl('rollout', 'resume', 'deploy/web', '-n', NS).err).toBe(notPaused.stderr);

    const t0 = Math.floor(Date.now() / 1000) * 1000;
    expect((await c.skiff(['rollout', 'restart', 'deploy/web', '-n', NS])).stdout).toBe('deployment.apps/web restarted\n');
    const at = ((await c.rest.get(WEB)) as Obj).spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'];
    expect(at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    expect(Date.parse(at)).toBeGreaterThanOrEqual(t0);

    const unsupported = await c.skiff(['rollout', 'pause', 'rs/web-h1', '-n', NS]);
    expect(unsupported.stderr).toBe('error: replicasets.apps "web-h1" pausing is not supported\n');
    expect(c.kubectl('rollout', 'pause', 'rs/web-h1', '-n', NS).err).toBe(unsupported.stderr);
  }, 120_000);

  it('a TYPE alone acts on every object of it in the namespace; -l on those it selects', async () => {
    await c.rest.request('POST', apps(NS, 'deployments'), { body: { ...deployment(NS, 'api', IMG(1), { replicas: 1 }), metadata: { name: 'api', namespace: NS, labels: { tier: 'api' } } } });
    const all = await c.skiff(['rollout', 'pause', 'deployments', '-n', NS]);
    expect(all.stdout).toBe('deployment.apps/api paused\ndeployment.apps/web paused\n');
    const some = await c.skiff(['rollout', 'resume', 'deploy', '-l', 'tier=api', '-n', NS]);
    expect(some.stdout).toBe('deployment.apps/api resumed\n');
    const none = await c.skiff(['rollout', 'restart', 'deploy', '-l', 'tier=none', '-n', NS]);
    expect([none.code, none.stdout, none.stderr]).toEqual([0, '', `No resources found in ${NS} namespace.\n`]);
  }, 120_000);
});
