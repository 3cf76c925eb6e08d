// The gRPC API against a real kernel (NATS JetStream), through a client built from proto/ only
// (integration/grpc-client.ts): CRUD, list pages and selectors, watch with resume and bookmarks,
// OUT_OF_RANGE below the compaction floor, the error mapping with the Status in the details,
// authentication and authorization, discovery, health and reflection.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import type { RequestAttributes } from '@skiff/client/api-frontend';
import { connectSkiff, failure, type CallError, type SkiffGrpcClient, type WatchEvent } from '../../integration/grpc-client.ts';
import { createGrpcApi, type GrpcApi } from './server.ts';
import { findProtoDir } from './proto.ts';

const PROTO = findProtoDir();
const HEALTH_PROTO = join(import.meta.dirname, '..', '..', 'node_modules', 'grpc-health-check', 'proto');
const CM = { version: 'v1', resource: 'configmaps' };
const cm = (name: string, labels: Record<string, string> = {}, data: Record<string, string> = { a: '1' }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bob = { name: 'bob', groups: ['system:authenticated'] };

let t: TestKernel;
let api: GrpcApi;
let address: string;
let c: SkiffGrpcClient;
const seen: RequestAttributes[] = [];

beforeAll(async () => {
  t = await startTestKernel({ eventsPerResource: 30, bookmarkIntervalMs: 300 });
  api = await createGrpcApi({
    kernel: t.kernel,
    tokens: ['admin-token', { token: 'bob-token', user: bob }],
    authorizer: {
      authorize(a) {
        seen.push(a);
        return a.user.name === 'bob' && a.verb !== 'get' ? { allowed: false, reason: 'bob only reads' } : { allowed: true };
      },
    },
    readiness: async () => [{ name: 'store', ok: true }],
  });
  address = `127.0.0.1:${await api.listen('127.0.0.1', 0)}`;
  c = connectSkiff({ address, token: 'admin-token', protoDir: PROTO, healthProto: HEALTH_PROTO });
});
afterAll(async () => {
  c?.close();
  await api?.stop();
  await t?.stop();
});

describe('gRPC Objects', () => {
  it('creates, gets, updates, patches and deletes, with Kubernetes JSON in and out', async () => {
    const created = await c.create({ ...CM, namespace: 'default' }, cm('one'));
    expect(created.metadata).toMatchObject({ name: 'one', namespace: 'default', uid: expect.any(String), resourceVersion: expect.any(String) });
    expect(await c.get({ ...CM, namespace: 'default', name: 'one' })).toEqual(created);
    // the namespace may come from the object instead of the ref
    expect((await c.create(CM, { ...cm('two'), metadata: { name: 'two', namespace: 'default' } })).metadata.namespace).toBe('default');
    const updated = await c.update({ ...CM, namespace: 'default', name: 'one' }, { ...created, data: { a: '2' } });
    expect(updated.data).toEqual({ a: '2' });
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    const merged = await c.patch({ ...CM, namespace: 'default', name: 'one' }, 'application/merge-patch+json', { data: { b: '3' } });
    expect(merged.data).toEqual({ a: '2', b: '3' });
    const jsonPatched = await c.patch({ ...CM, namespace: 'default', name: 'one' }, 'application/json-patch+json', [{ op: 'remove', path: '/data/a' }]);
    expect(jsonPatched.data).toEqual({ b: '3' });
    const strategic = await c.patch({ ...CM, namespace: 'default', name: 'one' }, 'application/strategic-merge-patch+json', { metadata: { labels: { s: 'y' } } });
    expect(strategic.metadata.labels).toEqual({ s: 'y' });
    const applied = await c.patch({ ...CM, namespace: 'default', name: 'applied' }, 'application/apply-patch+yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  k: v\n', { fieldManager: 'test' });
    expect(applied.data).toEqual({ k: 'v' });
    expect(applied.metadata.managedFields).toContainEqual(expect.objectContaining({ manager: 'test', operation: 'Apply' }));
    // another manager's apply of the same field conflicts (409 → ABORTED) unless forced
    const other = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  k: w\n';
    const conflicted = await failure(c.patch({ ...CM, namespace: 'default', name: 'applied' }, 'application/apply-patch+yaml', other, { fieldManager: 'other' }));
    expect(conflicted.status).toMatchObject({ code: 409, reason: 'Conflict' });
    const forced = await c.patch({ ...CM, namespace: 'default', name: 'applied' }, 'application/apply-patch+yaml', other, { fieldManager: 'other', force: true });
    expect(forced.data).toEqual({ k: 'w' });
    const deleted = await c.delete({ ...CM, namespace: 'default', name: 'one' }, { gracePeriodSeconds: 0, preconditions: { uid: created.metadata.uid } });
    expect(deleted.metadata.name).toBe('one');
    expect((await failure(c.get({ ...CM, namespace: 'default', name: 'one' }))).code).toBe(grpc.status.NOT_FOUND);
    // subresources: a Deployment's scale
    const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } } };
    const DEP = { group: 'apps', version: 'v1', resource: 'deployments', namespace: 'default' };
    await c.create(DEP, dep);
    expect(await c.get({ ...DEP, name: 'web', subresource: 'scale' })).toMatchObject({ kind: 'Scale', spec: { replicas: 1 } });
    await c.patch({ ...DEP, name: 'web', subresource: 'scale' }, 'application/merge-patch+json', { spec: { replicas: 3 } });
    expect((await c.get({ ...DEP, name: 'web' })).spec.replicas).toBe(3);
  });

  it("maps Statuses to gRPC codes and carries the Status, with the invalid object's field causes, in the details", async () => {
    await c.create({ ...CM, namespace: 'default' }, cm('taken'));
    const exists = await failure(c.create({ ...CM, namespace: 'default' }, cm('taken')));
    expect(exists.code).toBe(grpc.status.ALREADY_EXISTS);
    expect(exists.status).toMatchObject({ code: 409, reason: 'AlreadyExists' });
    const cur = await c.get({ ...CM, namespace: 'default', name: 'taken' });
    await c.update({ ...CM, namespace: 'default', name: 'taken' }, { ...cur, data: { x: '1' } });
    const stale = await failure(c.update({ ...CM, namespace: 'default', name: 'taken' }, { ...cur, data: { x: '2' } }));
    expect(stale.code).toBe(grpc.status.ABORTED);
    expect(stale.status).toMatchObject({ code: 409, reason: 'Conflict' });
    // an invalid object: the kernel's 422 with causes naming the fields
    const invalid = await failure(c.create({ version: 'v1', resource: 'pods', namespace: 'default' }, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'Bad_Name' }, spec: { containers: [{ name: 'c' }] } }));
    expect(invalid.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(invalid.status!.code).toBe(422);
    expect(invalid.status!.causes.map((x) => x.field)).toEqual(expect.arrayContaining(['metadata.name', 'spec.containers[0].image']));
    expect(invalid.details).toContain('spec.containers[0].image');
    // requests that do not say enough: INVALID_ARGUMENT naming the request's fields
    const noName = await failure(c.get({ ...CM, namespace: 'default' }));
    expect(noName.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(noName.status!.causes).toEqual([{ reason: 'FieldValueRequired', field: 'ref.name', message: 'Required value' }]);
    const noNs = await failure(c.create(CM, cm('nowhere')));
    expect(noNs.status!.causes[0]!.field).toBe('ref.namespace');
    const clusterNs = await failure(c.get({ version: 'v1', resource: 'nodes', namespace: 'default', name: 'n' }));
    expect(clusterNs.status!.causes[0]).toMatchObject({ field: 'ref.namespace', reason: 'FieldValueForbidden' });
    const notJson = await failure(c.create({ ...CM, namespace: 'default' }, '{"metadata": '));
    expect(notJson.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(notJson.status!.causes[0]!.field).toBe('object.json');
    const badPatch = await failure(c.patch({ ...CM, namespace: 'default', name: 'taken' }, 'text/plain', {}));
    expect(badPatch.status!.causes[0]!.field).toBe('patch_type');
    expect((await failure(c.get({ version: 'v1', resource: 'widgets', namespace: 'default', name: 'x' }))).code).toBe(grpc.status.NOT_FOUND);
    expect((await failure(c.list({ ...CM, namespace: 'default' }, { labelSelector: 'a in (' }))).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((await failure(c.get({ ...CM, namespace: 'default', name: 'taken', subresource: 'scale' }))).code).toBe(grpc.status.NOT_FOUND);
  });

  it('lists with label and field selectors, in pages that neither repeat nor skip', async () => {
    const ns = 'default';
    for (let i = 0; i < 25; i++) await c.create({ ...CM, namespace: ns }, cm(`page-${String(i).padStart(2, '0')}`, { set: 'pages', parity: i % 2 ? 'odd' : 'even' }));
    const odd = await c.list({ ...CM, namespace: ns }, { labelSelector: 'set=pages,parity=odd' });
    expect(odd.items.map((o) => o.metadata.name)).toEqual(Array.from({ length: 12 }, (_, i) => `page-${String(2 * i + 1).padStart(2, '0')}`));
    expect(Number(odd.resourceVersion)).toBeGreaterThan(0);
    const one = await c.list({ ...CM, namespace: ns }, { fieldSelector: 'metadata.name=page-07' });
    expect(one.items.map((o) => o.metadata.name)).toEqual(['page-07']);
    const names: string[] = [];
    let cont = '';
    let pages = 0;
    do {
      const page = await c.list({ ...CM, namespace: ns }, { labelSelector: 'set=pages', limit: 10, continue: cont });
      names.push(...page.items.map((o) => o.metadata.name));
      if (page.continue) expect(page.remainingItemCount).toBe(25 - names.length);
      cont = page.continue;
      pages++;
    } while (cont);
    expect(pages).toBe(3);
    expect(names).toEqual(Array.from({ length: 25 }, (_, i) => `page-${String(i).padStart(2, '0')}`));
    // across all namespaces
    expect((await c.list(CM, { labelSelector: 'set=pages' })).items).toHaveLength(25);
  });

  it('watches, and resumes a dropped stream from the last resource version with no event missed or repeated', async () => {
    const ns = 'default';
    const start = await c.list({ ...CM, namespace: ns }, { limit: 1 });
    const got: WatchEvent[] = [];
    const first = c.watch({ ...CM, namespace: ns }, { resourceVersion: start.resourceVersion, labelSelector: 'w=1' }, (e) => got.push(e));
    const writer = (async () => {
      for (let i = 0; i < 40; i++) {
        const name = `w-${i}`;
        await c.create({ ...CM, namespace: ns }, cm(name, { w: '1' }));
        if (i % 3 === 0) await c.patch({ ...CM, namespace: ns, name }, 'application/merge-patch+json', { data: { i: String(i) } });
        if (i % 5 === 0) await c.delete({ ...CM, namespace: ns, name });
        if (i % 7 === 0) await sleep(5);
      }
    })();
    // drop the stream part-way, resume from the last event seen
    while (got.length < 15) await sleep(5);
    first.cancel();
    await first.done;
    const last = got[got.length - 1]!.object.metadata.resourceVersion;
    const second = c.watch({ ...CM, namespace: ns }, { resourceVersion: last, labelSelector: 'w=1' }, (e) => got.push(e));
    await writer;
    const expected = 40 + 14 + 8; // creates, patches (i % 3), deletes (i % 5)
    while (got.length < expected) await sleep(10);
    await sleep(200);
    second.cancel();
    await second.done;
    const key = (e: WatchEvent) => `${e.type}/${e.object.metadata.name}/${e.object.metadata.resourceVersion}`;
    expect(new Set(got.map(key)).size).toBe(got.length);
    expect(got).toHaveLength(expected);
    const rvs = got.map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
    expect(got.filter((e) => e.type === 'ADDED')).toHaveLength(40);
    expect(got.filter((e) => e.type === 'MODIFIED')).toHaveLength(14);
    expect(got.filter((e) => e.type === 'DELETED')).toHaveLength(8);
  });

  it('sends the current objects first from resource version "", and bookmarks when asked', async () => {
    await c.create({ ...CM, namespace: 'default' }, cm('bm-1', { bm: '1' }));
    const got: WatchEvent[] = [];
    const w = c.watch({ ...CM, namespace: 'default' }, { resourceVersion: '', labelSelector: 'bm=1', allowBookmarks: true }, (e) => got.push(e));
    while (!got.some((e) => e.type === 'BOOKMARK')) await sleep(20);
    w.cancel();
    await w.done;
    expect(got[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'bm-1' } } });
    const bm = got.find((e) => e.type === 'BOOKMARK')!;
    expect(Number(bm.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(got[0]!.object.metadata.resourceVersion));
    expect(bm.object.kind).toBe('ConfigMap');
  });

  it('ends a watch from below the compaction floor with OUT_OF_RANGE, and a timed one with OK', async () => {
    const old = (await c.list({ ...CM, namespace: 'default' })).resourceVersion;
    for (let i = 0; i < 40; i++) await c.create({ ...CM, namespace: 'default' }, cm(`floor-${i}`)); // eventsPerResource is 30
    const w = c.watch({ ...CM, namespace: 'default' }, { resourceVersion: old }, () => {});
    const e = await w.done.then(() => undefined, (x: CallError) => x);
    expect(e?.code).toBe(grpc.status.OUT_OF_RANGE);
    expect(e?.status).toMatchObject({ code: 410, reason: 'Expired' });
    const timed = c.watch({ ...CM, namespace: 'default' }, { resourceVersion: (await c.list(CM, { limit: 1 })).resourceVersion, timeoutSeconds: 1 }, () => {});
    await expect(timed.done).resolves.toBeUndefined();
  });
});

describe('gRPC authentication, authorization and the services beside Objects', () => {
  it('answers UNAUTHENTICATED to a missing or wrong token, before anything else is looked at', async () => {
    for (const token of [undefined, 'wrong', '']) {
      const anon = connectSkiff({ address, token, protoDir: PROTO });
      try {
        const e = await failure(anon.create({ version: 'v1', resource: 'widgets' }, '{not json'));
        expect(e.code).toBe(grpc.status.UNAUTHENTICATED);
        expect(e.status).toMatchObject({ code: 401, reason: 'Unauthorized' });
        expect((await failure(anon.listKinds())).code).toBe(grpc.status.UNAUTHENTICATED);
        const w = anon.watch(CM, {}, () => {});
        expect((await w.done.catch((x) => x)).code).toBe(grpc.status.UNAUTHENTICATED);
      } finally {
        anon.close();
      }
    }
  });

  it('asks the authorizer with kube attributes; a refusal is PERMISSION_DENIED and nothing is stored', async () => {
    const asBob = connectSkiff({ address, token: 'bob-token', protoDir: PROTO });
    try {
      seen.length = 0;
      await c.create({ ...CM, namespace: 'default' }, cm('for-bob'));
      expect((await asBob.get({ ...CM, namespace: 'default', name: 'for-bob' })).metadata.name).toBe('for-bob');
      const e = await failure(asBob.create({ ...CM, namespace: 'default' }, cm('by-bob')));
      expect(e.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(e.details).toBe('configmaps is forbidden: User "bob" cannot create resource "configmaps" in API group "" in the namespace "default": bob only reads');
      expect((await failure(asBob.watch({ group: 'apps', version: 'v1', resource: 'deployments' }, {}, () => {}).done)).code).toBe(grpc.status.PERMISSION_DENIED);
      expect((await failure(c.get({ ...CM, namespace: 'default', name: 'by-bob' }))).code).toBe(grpc.status.NOT_FOUND);
      expect(seen.map((a) => [a.user.name, a.verb, a.apiGroup, a.resource, a.namespace, a.name])).toEqual([
        ['skiff-admin', 'create', '', 'configmaps', 'default', ''],
        ['bob', 'get', '', 'configmaps', 'default', 'for-bob'],
        ['bob', 'create', '', 'configmaps', 'default', ''],
        ['bob', 'watch', 'apps', 'deployments', '', ''],
        ['skiff-admin', 'get', '', 'configmaps', 'default', 'by-bob'],
      ]);
    } finally {
      asBob.close();
    }
  });

  it('lists the kinds, reports health, and answers server reflection', async () => {
    const kinds = await c.listKinds();
    expect(kinds).toContainEqual(expect.objectContaining({ group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespaced: true, shortNames: ['po'], subresources: expect.arrayContaining(['status']) }));
    expect(kinds).toContainEqual(expect.objectContaining({ group: 'apps', kind: 'Deployment', verbs: expect.arrayContaining(['watch', 'patch']) }));
    expect(await c.health('')).toBe('SERVING');
    expect(await c.health('skiff.v1.Objects')).toBe('SERVING');
    // reflection v1: the services, and the file that defines skiff.v1.Objects
    const reflDir = join(import.meta.dirname, '..', '..', 'node_modules', '@grpc', 'reflection', 'build', 'proto');
    const refl = grpc.loadPackageDefinition(protoLoader.loadSync('grpc/reflection/v1/reflection.proto', { includeDirs: [reflDir], keepCase: true, defaults: true })) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    const client = new refl.grpc.reflection.v1.ServerReflection(address, grpc.credentials.createInsecure());
    try {
      const ask = (req: object) =>
        new Promise<any>((resolve, reject) => { // eslint-disable-line @typescript-eslint/no-explicit-any
          const s = client.ServerReflectionInfo();
          s.on('data', (d: unknown) => {
            resolve(d);
            s.end();
          });
          s.on('error', reject);
          s.write(req);
        });
      const services = await ask({ list_services: '' });
      expect(services.list_services_response.service.map((s: { name: string }) => s.name)).toEqual(expect.arrayContaining(['skiff.v1.Objects', 'skiff.v1.Discovery', 'grpc.health.v1.Health']));
      const file = await ask({ file_containing_symbol: 'skiff.v1.Objects' });
      expect(file.file_descriptor_response.file_descriptor_proto.length).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  });
});
