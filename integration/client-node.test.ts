// @kubernetes/client-node (1.x) against a real `skiff server`, as an application drives it, from the
// kubeconfig the server writes (cluster CA + bearer token): CoreV1Api and AppsV1Api CRUD, label
// selectors and paging, the four patch types (client-node sets the Content-Type through
// setHeaderOptions + PatchStrategy), errors as ApiException with the Status body; the generic
// KubernetesObjectApi on a YAML bundle; scale, status and deleteCollection; objects with times
// (Events in both groups, a Lease's MicroTime) and Health; informers, whose
// watches the server ends (the rest-api's minRequestTimeoutSeconds, kube's --min-request-timeout) and
// whose watch from a compacted resourceVersion gets 410 Gone (a proxy of the test's own cuts the
// connection and holds the reconnect while more changes than the watch cache keeps are written).
// The pod streams (log, exec, port-forward) against a real node are in client-node-pod.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiException,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  EventsV1Api,
  Health,
  KubeConfig,
  KubernetesObjectApi,
  ListWatch,
  PatchStrategy,
  V1MicroTime,
  Watch,
  loadAllYaml,
  makeInformer,
  setHeaderOptions,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Deployment,
} from '@kubernetes/client-node';
import { CutProxy } from './cut-proxy.ts';
import { defaultDistribution } from './distribution-file.ts';
import { until } from './kubectl-client.ts';
import { startSkiff, type SkiffProcess } from './skiff-process.ts';

/**
 * events the watch cache keeps per resource (`skiff server --watch-cache-events`): small, so the 410
 * test outruns it with a few dozen writes; large enough that a restarted watch in the other tests
 * never falls behind it on a loaded machine
 */
const RING = 60;

let home: string;
let skiff: SkiffProcess;
let kc: KubeConfig;
let core: CoreV1Api;
let apps: AppsV1Api;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'skiff-client-node-'));
  // watches without timeoutSeconds (an informer's) end after 1-2 s, so the test sees several server ends
  const dist = defaultDistribution(home, { config: { 'rest-api': { minRequestTimeoutSeconds: 1 } } });
  skiff = await startSkiff(home, ['--distribution', dist, '--watch-cache-events', String(RING)]);
  kc = new KubeConfig();
  kc.loadFromFile(skiff.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  for (const name of ['cn-api', 'cn-apps', 'cn-obj', 'cn-inf', 'cn-end', 'cn-gone']) await core.createNamespace({ body: { metadata: { name } } });
});
afterAll(async () => {
  await skiff?.kill('SIGTERM');
  if (home) rmSync(home, { recursive: true, force: true });
});

/** What a rejected call reached the caller as: the ApiException's code and its Status body. */
async function failure(p: Promise<unknown>): Promise<{ code: number; status: any }> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ApiException);
    const ex = e as ApiException<string>;
    return { code: ex.code, status: JSON.parse(ex.body) };
  }
  throw new Error('the call succeeded');
}

const cm = (namespace: string, name: string, data: Record<string, string>, labels?: Record<string, string>): V1ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace, labels },
  data,
});

describe('client-node CoreV1Api', () => {
  const namespace = 'cn-api';

  it('creates, gets, replaces and deletes; 404, 409 and 422 arrive as ApiException with the Status', async () => {
    const created = await core.createNamespacedConfigMap({ namespace, body: cm(namespace, 'a', { k: 'v' }, { app: 'a' }) });
    expect(created.metadata?.uid).toBeTruthy();
    const got = await core.readNamespacedConfigMap({ namespace, name: 'a' });
    expect(got.data).toEqual({ k: 'v' });
    expect(got.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);

    const missing = await failure(core.readNamespacedConfigMap({ namespace, name: 'missing' }));
    expect(missing).toMatchObject({ code: 404, status: { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, details: { name: 'missing', kind: 'configmaps' } } });

    const exists = await failure(core.createNamespacedConfigMap({ namespace, body: cm(namespace, 'a', {}) }));
    expect(exists).toMatchObject({ code: 409, status: { kind: 'Status', reason: 'AlreadyExists', code: 409, details: { name: 'a' } } });

    const invalid = await failure(core.createNamespacedConfigMap({ namespace, body: cm(namespace, 'Not_A_Name', {}) }));
    expect(invalid.code).toBe(422);
    expect(invalid.status).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
    expect(invalid.status.details.causes.map((c: { field: string }) => c.field)).toContain('metadata.name');

    // replace: with the current resourceVersion it lands; with the old one again it is a 409 Conflict
    const replaced = await core.replaceNamespacedConfigMap({ namespace, name: 'a', body: { ...got, data: { k: 'w' } } });
    expect(replaced.data).toEqual({ k: 'w' });
    expect(replaced.metadata?.resourceVersion).not.toBe(got.metadata?.resourceVersion);
    const stale = await failure(core.replaceNamespacedConfigMap({ namespace, name: 'a', body: { ...got, data: { k: 'x' } } }));
    expect(stale).toMatchObject({ code: 409, status: { reason: 'Conflict' } });

    await core.deleteNamespacedConfigMap({ namespace, name: 'a' });
    expect((await failure(core.readNamespacedConfigMap({ namespace, name: 'a' }))).code).toBe(404);
  });

  it('lists with a label selector, a page at a time (limit and continue)', async () => {
    for (let i = 0; i < 7; i++) await core.createNamespacedConfigMap({ namespace, body: cm(namespace, `page-${i}`, {}, { tier: 'paged' }) });
    for (let i = 0; i < 2; i++) await core.createNamespacedConfigMap({ namespace, body: cm(namespace, `other-${i}`, {}, { tier: 'other' }) });
    const pages: string[][] = [];
    let cont: string | undefined;
    do {
      const page = await core.listNamespacedConfigMap({ namespace, labelSelector: 'tier=paged', limit: 3, _continue: cont });
      pages.push(page.items.map((o) => o.metadata!.name!));
      cont = page.metadata?._continue || undefined;
      if (cont) expect(page.metadata?.remainingItemCount).toBeGreaterThan(0);
    } while (cont && pages.length < 10);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat().sort()).toEqual(Array.from({ length: 7 }, (_, i) => `page-${i}`));
    const sel = await core.listNamespacedConfigMap({ namespace, labelSelector: 'tier in (other)' });
    expect(sel.items.map((o) => o.metadata!.name).sort()).toEqual(['other-0', 'other-1']);
    const notPaged = await core.listNamespacedConfigMap({ namespace, labelSelector: 'tier,tier!=paged' });
    expect(notPaged.items.map((o) => o.metadata!.name).sort()).toEqual(['other-0', 'other-1']);
  });

  it('patches with each PatchStrategy (the Content-Type through setHeaderOptions)', async () => {
    const name = 'patched';
    await core.createNamespacedConfigMap({ namespace, body: cm(namespace, name, { a: '1', b: '2' }, { keep: 'yes' }) });
    const merge = await core.patchNamespacedConfigMap(
      { namespace, name, body: { data: { b: null, c: '3' }, metadata: { labels: { added: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(merge.data).toEqual({ a: '1', c: '3' });
    expect(merge.metadata?.labels).toEqual({ keep: 'yes', added: 'yes' });

    const json = await core.patchNamespacedConfigMap(
      {
        namespace,
        name,
        body: [
          { op: 'test', path: '/data/a', value: '1' },
          { op: 'replace', path: '/data/a', value: 'one' },
          { op: 'remove', path: '/metadata/labels/added' },
        ],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    expect(json.data).toEqual({ a: 'one', c: '3' });
    expect(json.metadata?.labels).toEqual({ keep: 'yes' });
    // a JSON patch whose test fails is refused, not applied
    const failed = await failure(
      core.patchNamespacedConfigMap({ namespace, name, body: [{ op: 'test', path: '/data/a', value: 'nope' }] }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch)),
    );
    expect(failed.code).toBeGreaterThanOrEqual(400);
    expect(failed.code).toBeLessThan(500);
    expect(failed.status.kind).toBe('Status');

    const smp = await core.patchNamespacedConfigMap({ namespace, name, body: { data: { d: '4' } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
    expect(smp.data).toEqual({ a: 'one', c: '3', d: '4' });

    const applied = await core.patchNamespacedConfigMap(
      { namespace, name: 'applied', fieldManager: 'client-node-test', body: cm(namespace, 'applied', { e: '5' }) },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
    expect(applied.data).toEqual({ e: '5' });
    expect(applied.metadata?.managedFields?.map((m) => [m.manager, m.operation])).toContainEqual(['client-node-test', 'Apply']);
  });
});

describe('client-node AppsV1Api', () => {
  const namespace = 'cn-apps';
  const deployment = (name: string, replicas: number): V1Deployment => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name, team: 'x' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            { name: 'main', image: 'busybox', env: [{ name: 'A', value: 'a' }] },
            { name: 'side', image: 'busybox' },
          ],
        },
      },
    },
  });

  it('creates, lists by label, patches (strategic merge by container name, apply with conflicts), replaces and deletes', async () => {
    await apps.createNamespacedDeployment({ namespace, body: deployment('web', 1) });
    await apps.createNamespacedDeployment({ namespace, body: { ...deployment('db', 1), metadata: { name: 'db', namespace, labels: { app: 'db', team: 'y' } } } });
    const teamX = await apps.listNamespacedDeployment({ namespace, labelSelector: 'team=x' });
    expect(teamX.items.map((d) => d.metadata!.name)).toEqual(['web']);

    // strategic merge: containers merge by name, env by name (a merge patch would replace both lists)
    const smp = await apps.patchNamespacedDeployment(
      { namespace, name: 'web', body: { spec: { template: { spec: { containers: [{ name: 'main', env: [{ name: 'B', value: 'b' }] }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const containers = smp.spec!.template.spec!.containers;
    expect(containers.map((c) => c.name)).toEqual(['main', 'side']);
    expect(containers[0]!.env).toEqual([
      { name: 'B', value: 'b' },
      { name: 'A', value: 'a' },
    ]);

    // server-side apply: a second manager changing a field the first owns is a 409 naming it, unless forced
    const ssa = (manager: string, replicas: number, force?: boolean) =>
      apps.patchNamespacedDeployment(
        { namespace, name: 'web', fieldManager: manager, force, body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace }, spec: { replicas } } },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );
    // the creator (client-node's default manager, from its User-Agent) owns spec.replicas: owner-a takes it over
    expect((await ssa('owner-a', 2, true)).spec?.replicas).toBe(2);
    const conflict = await failure(ssa('owner-b', 3));
    expect(conflict.code).toBe(409);
    expect(conflict.status.reason).toBe('Conflict');
    expect(JSON.stringify(conflict.status)).toContain('owner-a');
    expect(JSON.stringify(conflict.status)).toContain('.spec.replicas');
    expect((await ssa('owner-b', 3, true)).spec?.replicas).toBe(3);

    // replace: read, change, write back; the deployment controller writes too, so a 409 means read again (as apps do)
    const replaced = await until(async () => {
      const cur = await apps.readNamespacedDeployment({ namespace, name: 'web' });
      try {
        return await apps.replaceNamespacedDeployment({ namespace, name: 'web', body: { ...cur, metadata: { ...cur.metadata, labels: { app: 'web', team: 'z' } } } });
      } catch (e) {
        if (e instanceof ApiException && e.code === 409) return undefined;
        throw e;
      }
    }, 'a replace without a conflict');
    expect(replaced.metadata?.labels).toEqual({ app: 'web', team: 'z' });
    expect((await apps.listNamespacedDeployment({ namespace, labelSelector: 'team=x' })).items).toEqual([]);

    // an invalid spec is a 422 naming the field
    const bad = await failure(apps.createNamespacedDeployment({ namespace, body: { ...deployment('bad', 1), spec: { ...deployment('bad', 1).spec!, replicas: -1 } } }));
    expect(bad.code).toBe(422);
    expect(bad.status.details.causes.map((c: { field: string }) => c.field)).toContain('spec.replicas');

    await apps.deleteNamespacedDeployment({ namespace, name: 'web', propagationPolicy: 'Foreground' });
    await apps.deleteNamespacedDeployment({ namespace, name: 'db' });
    await until(async () => (await apps.listNamespacedDeployment({ namespace })).items.length === 0, 'the deployments to be gone');
  });
});

describe('client-node KubernetesObjectApi (kinds found through discovery) and Health', () => {
  const namespace = 'cn-obj';
  const manifests = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: ${namespace}
  labels: {bundle: one}
data:
  mode: fast
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
  namespace: ${namespace}
  labels: {bundle: one}
spec:
  replicas: 0
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers: [{name: main, image: busybox}]
---
apiVersion: v1
kind: Service
metadata:
  name: front
  namespace: ${namespace}
  labels: {bundle: one}
spec:
  selector: {app: worker}
  ports: [{port: 80, targetPort: 8080}]
`;

  it('creates a YAML bundle of several kinds, reads, lists, patches, replaces and deletes them', async () => {
    const client = KubernetesObjectApi.makeApiClient(kc);
    const specs = loadAllYaml(manifests) as KubernetesObject[];
    for (const spec of specs) {
      const created = await client.create(spec);
      expect(created.metadata?.uid).toBeTruthy();
    }
    const svc = await client.read<KubernetesObject & { spec?: { clusterIP?: string } }>({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'front', namespace } });
    expect(svc.spec?.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const deployments = await client.list('apps/v1', 'Deployment', namespace, undefined, undefined, undefined, undefined, 'bundle=one');
    expect(deployments.items.map((d) => d.metadata?.name)).toEqual(['worker']);

    // patches through the generic client: its patchStrategy argument sets the Content-Type
    const merged = await client.patch<KubernetesObject & { data?: Record<string, string> }>(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace }, data: { extra: 'yes' } } as KubernetesObject,
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    );
    expect(merged.data).toEqual({ mode: 'fast', extra: 'yes' });
    const applied = await client.patch<KubernetesObject & { data?: Record<string, string> }>(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace }, data: { mode: 'slow' } } as KubernetesObject,
      undefined,
      undefined,
      'bundle-applier',
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(applied.data).toEqual({ mode: 'slow', extra: 'yes' });

    const cur = await client.read<KubernetesObject & { data?: Record<string, string> }>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace } });
    const replaced = await client.replace<KubernetesObject & { data?: Record<string, string> }>({ ...cur, data: { only: 'this' } } as KubernetesObject);
    expect(replaced.data).toEqual({ only: 'this' });

    // a kind the server does not serve: client-node's discovery says so before any request for it
    await expect(client.read({ apiVersion: 'example.com/v1', kind: 'Nothing', metadata: { name: 'x', namespace } })).rejects.toThrow();

    for (const spec of specs) await client.delete(spec);
    const gone = await failure(client.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace } }));
    expect(gone.code).toBe(404);
  });

  it('Health: readyz and livez', async () => {
    const h = new Health(kc);
    expect(await h.readyz({})).toBe(true);
    expect(await h.livez({})).toBe(true);
  });
});

describe('client-node: subresources, collections and objects with times', () => {
  const namespace = 'cn-api';

  it('scale and status subresources, and deleteCollection by label', async () => {
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'scaled', namespace },
        spec: { replicas: 1, selector: { matchLabels: { app: 'scaled' } }, template: { metadata: { labels: { app: 'scaled' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
      },
    });
    const scale = await apps.readNamespacedDeploymentScale({ namespace, name: 'scaled' });
    expect(scale.spec?.replicas).toBe(1);
    const patched = await apps.patchNamespacedDeploymentScale({ namespace, name: 'scaled', body: { spec: { replicas: 2 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    expect(patched.spec?.replicas).toBe(2);
    expect((await apps.readNamespacedDeployment({ namespace, name: 'scaled' })).spec?.replicas).toBe(2);
    const st = await apps.readNamespacedDeploymentStatus({ namespace, name: 'scaled' });
    expect(st.metadata?.name).toBe('scaled');
    await apps.deleteNamespacedDeployment({ namespace, name: 'scaled' });

    for (let i = 0; i < 3; i++) await core.createNamespacedConfigMap({ namespace, body: cm(namespace, `coll-${i}`, {}, { batch: 'drop' }) });
    await core.createNamespacedConfigMap({ namespace, body: cm(namespace, 'coll-keep', {}, { batch: 'keep' }) });
    await core.deleteCollectionNamespacedConfigMap({ namespace, labelSelector: 'batch=drop' });
    const left = await core.listNamespacedConfigMap({ namespace, labelSelector: 'batch' });
    expect(left.items.map((o) => o.metadata!.name)).toEqual(['coll-keep']);
  });

  it('objects whose times client-node sends as Dates: core and events.k8s.io Events, a Lease (MicroTime)', async () => {
    const now = new Date();
    const ev = await core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { name: 'ev-core', namespace },
        involvedObject: { kind: 'ConfigMap', name: 'coll-keep', namespace, apiVersion: 'v1' },
        reason: 'Tested',
        message: 'from client-node',
        type: 'Normal',
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        source: { component: 'client-node-test' },
      },
    });
    expect(ev.lastTimestamp).toBeInstanceOf(Date);
    expect(Math.abs(ev.lastTimestamp!.getTime() - now.getTime())).toBeLessThan(1000);

    // leader election with client-node writes a Lease: renewTime and acquireTime are MicroTime (client-node
    // sends V1MicroTime as "...:05.123000Z" and hands it back as the string the server sent)
    const coord = kc.makeApiClient(CoordinationV1Api);
    const micro = (ms: number) => new V1MicroTime(ms);
    const lease = await coord.createNamespacedLease({ namespace, body: { metadata: { name: 'leader', namespace }, spec: { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: micro(now.getTime()), renewTime: micro(now.getTime()) } } });
    expect(Date.parse(String(lease.spec?.renewTime))).toBe(now.getTime());
    const renewed = await coord.replaceNamespacedLease({ namespace, name: 'leader', body: { ...lease, spec: { ...lease.spec, renewTime: micro(now.getTime() + 5000) } } });
    expect(Date.parse(String(renewed.spec?.renewTime))).toBe(now.getTime() + 5000);
    expect(renewed.spec?.acquireTime).toEqual(lease.spec?.acquireTime);

    // events.k8s.io/v1, as client-node's EventsV1Api writes it; kubectl reads it as a core v1 Event
    const events = kc.makeApiClient(EventsV1Api);
    const ev2 = await events.createNamespacedEvent({
      namespace,
      body: {
        metadata: { name: 'ev-new', namespace },
        eventTime: micro(now.getTime()),
        reason: 'Tested',
        action: 'Testing',
        note: 'from client-node',
        type: 'Normal',
        reportingController: 'example.com/test',
        reportingInstance: 'test-1',
        regarding: { kind: 'ConfigMap', name: 'coll-keep', namespace },
      },
    });
    expect(Date.parse(String(ev2.eventTime))).toBe(now.getTime());
    expect(ev2.note).toBe('from client-node');
    const asCore = await core.readNamespacedEvent({ namespace, name: 'ev-new' });
    expect(asCore).toMatchObject({ message: 'from client-node', reportingComponent: 'example.com/test', involvedObject: { name: 'coll-keep' } });
    const listed = await events.listNamespacedEvent({ namespace, fieldSelector: 'metadata.name=ev-core' });
    expect(listed.items.map((e) => [e.metadata?.name, e.note])).toEqual([['ev-core', 'from client-node']]);
  });
});

/** A Watch that tells the test what its informer's watches did: starts, events, ends and how. */
class RecordingWatch extends Watch {
  starts = 0;
  queries: Record<string, unknown>[] = [];
  errorEvents: any[] = [];
  ends: any[] = [];

  override watch(path: string, queryParams: Record<string, string | number | boolean | undefined>, callback: (phase: string, apiObj: any, watchObj?: any) => void, done: (err: any) => void) {
    this.starts++;
    this.queries.push({ ...queryParams });
    return super.watch(
      path,
      queryParams,
      (phase, obj, raw) => {
        if (phase === 'ERROR') this.errorEvents.push(obj);
        callback(phase, obj, raw);
      },
      (err) => {
        this.ends.push(err);
        done(err);
      },
    );
  }
}

type Informer = ListWatch<V1ConfigMap>;

/** The informer's cache as name -> resourceVersion. */
const cacheOf = (inf: Informer) => byName(inf.list());

/** name -> resourceVersion, in name order (so two of them compare as JSON) */
const byName = (items: readonly KubernetesObject[]) => Object.fromEntries(items.map((o) => [o.metadata!.name!, o.metadata!.resourceVersion!] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

async function serverState(namespace: string): Promise<Record<string, string>> {
  return byName((await core.listNamespacedConfigMap({ namespace })).items);
}

function recordEvents(inf: { on(verb: 'add' | 'update' | 'delete', cb: (o: KubernetesObject) => void): void }) {
  const events: string[] = [];
  for (const verb of ['add', 'update', 'delete'] as const) inf.on(verb, (o) => events.push(`${verb} ${o.metadata!.name} ${o.metadata!.resourceVersion}`));
  return events;
}

describe('client-node informers', () => {
  const informers: { stop(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const i of informers) await i.stop();
  });

  it('makeInformer: add, update and delete arrive', async () => {
    const namespace = 'cn-inf';
    const inf = makeInformer(kc, `/api/v1/namespaces/${namespace}/configmaps`, () => core.listNamespacedConfigMap({ namespace }), 'informed=yes');
    informers.push(inf);
    const events = recordEvents(inf);
    await inf.start();
    const a = await core.createNamespacedConfigMap({ namespace, body: cm(namespace, 'x', { v: '1' }, { informed: 'yes' }) });
    await core.createNamespacedConfigMap({ namespace, body: cm(namespace, 'ignored', {}, { informed: 'no' }) });
    const b = await core.patchNamespacedConfigMap({ namespace, name: 'x', body: { data: { v: '2' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    await core.deleteNamespacedConfigMap({ namespace, name: 'x' });
    await until(() => events.some((e) => e.startsWith('delete x')), 'the informer to see x deleted');
    expect(events).toEqual([`add x ${a.metadata!.resourceVersion}`, `update x ${b.metadata!.resourceVersion}`, expect.stringMatching(/^delete x /)]);
    expect(inf.list()).toEqual([]);
  });

  it('restarts watches the server ends, from where they were: no event lost, none repeated, no re-list', async () => {
    const namespace = 'cn-end';
    const watch = new RecordingWatch(kc);
    let lists = 0;
    const inf: Informer = new ListWatch(`/api/v1/namespaces/${namespace}/configmaps`, watch, () => (lists++, core.listNamespacedConfigMap({ namespace })), false);
    informers.push(inf);
    const errors: unknown[] = [];
    inf.on('error', (e) => errors.push(e));
    const events = recordEvents(inf);
    await inf.start();
    const expected: string[] = [];
    // write while the server ends the informer's watches (each lives 1-2 s), until three have ended
    for (let i = 0; watch.ends.length < 3; i++) {
      const c = await core.createNamespacedConfigMap({ namespace, body: cm(namespace, `c-${i}`, { v: '0' }) });
      expected.push(`add c-${i} ${c.metadata!.resourceVersion}`);
      const u = await core.patchNamespacedConfigMap({ namespace, name: `c-${i}`, body: { data: { v: '1' } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      expected.push(`update c-${i} ${u.metadata!.resourceVersion}`);
      if (i % 2 === 1) {
        await core.deleteNamespacedConfigMap({ namespace, name: `c-${i}` });
        expected.push(`delete c-${i}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(watch.ends.length).toBeGreaterThanOrEqual(3);
    // the ends were the server's (clean ends of the response), not errors
    expect(watch.ends.slice(0, 3)).toEqual([null, null, null]);
    const state = await serverState(namespace);
    await until(() => JSON.stringify(cacheOf(inf)) === JSON.stringify(state), 'the informer to catch up');
    const strip = (e: string) => (e.startsWith('delete') ? e.split(' ').slice(0, 2).join(' ') : e);
    expect(events.filter((e) => / c-/.test(e)).map(strip)).toEqual(expected);
    expect(lists).toBe(1);
    expect(errors).toEqual([]);
    // every restarted watch resumed from a resourceVersion (none started over)
    expect(watch.queries.slice(1).every((q) => typeof q.resourceVersion === 'string' && q.resourceVersion !== '')).toBe(true);
  }, 240_000);

  it('re-lists after 410 Gone (its resourceVersion compacted while the connection was cut) and ends equal to the list', async () => {
    const namespace = 'cn-gone';
    const url = new URL(skiff.url);
    const proxy = new CutProxy({ host: url.hostname, port: Number(url.port) });
    const port = await proxy.listen();
    try {
      // the informer's own kubeconfig: the same cluster CA and token, the server through the proxy
      const viaProxy = new KubeConfig();
      viaProxy.loadFromOptions({
        clusters: kc.clusters.map((c) => ({ ...c, server: `https://${url.hostname}:${port}` })),
        users: kc.users,
        contexts: kc.contexts,
        currentContext: kc.currentContext,
      });
      const proxiedCore = viaProxy.makeApiClient(CoreV1Api);
      const watch = new RecordingWatch(viaProxy);
      let lists = 0;
      const inf: Informer = new ListWatch(`/api/v1/namespaces/${namespace}/configmaps`, watch, () => (lists++, proxiedCore.listNamespacedConfigMap({ namespace })), false);
      informers.push(inf);
      // client-node's informer stops on an error (a cut connection); its documented answer is to start it again
      const errors: unknown[] = [];
      inf.on('error', (e) => {
        errors.push(e);
        setTimeout(() => void inf.start(), 50);
      });
      const events = recordEvents(inf);
      for (let i = 0; i < 5; i++) await core.createNamespacedConfigMap({ namespace, body: cm(namespace, `g-${i}`, { v: '0' }) });
      await inf.start();
      await until(() => Object.keys(cacheOf(inf)).filter((n) => n.startsWith('g-')).length === 5, 'the informer to list the first objects');
      expect(lists).toBe(1);

      // cut: the informer's watch breaks, and its next one waits in the proxy
      proxy.hold();
      const startsBefore = watch.starts;
      proxy.cut();
      await until(() => watch.starts > startsBefore && proxy.waiting() > 0, 'the informer to try to watch again');
      const staleFrom = watch.queries.at(-1)!.resourceVersion;
      expect(staleFrom).toBeTruthy();
      // more changes than the watch cache keeps for configmaps: the informer's resourceVersion is compacted
      for (let i = 0; i < RING + 5; i++) await core.patchNamespacedConfigMap({ namespace, name: 'g-0', body: { data: { v: String(i + 1) } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await core.deleteNamespacedConfigMap({ namespace, name: 'g-1' });
      await core.createNamespacedConfigMap({ namespace, body: cm(namespace, 'g-new', {}) });
      proxy.release();

      const state = await serverState(namespace);
      await until(() => JSON.stringify(cacheOf(inf)) === JSON.stringify(state), 'the informer to re-list to the server state');
      // the 410 was seen (a Status in the response, or an ERROR event), and it made the informer re-list
      const gone = [...watch.ends.filter((e) => e?.statusCode === 410), ...watch.errorEvents.filter((o) => o?.code === 410)];
      expect(gone.length).toBeGreaterThanOrEqual(1);
      expect(lists).toBe(2);
      expect(cacheOf(inf)).toEqual(state);
      expect(state['g-1']).toBeUndefined();
      // what the re-list changed reached the handlers: g-1's delete, g-new's add, g-0's last update
      expect(events).toContain(`add g-new ${state['g-new']}`);
      expect(events.some((e) => e.startsWith('delete g-1 '))).toBe(true);
      expect(events).toContain(`update g-0 ${state['g-0']}`);
    } finally {
      await proxy.close();
    }
  });
});
