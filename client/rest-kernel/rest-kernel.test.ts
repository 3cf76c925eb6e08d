// RestKernel against a real REST API server (the REST plugin's server over a test kernel): the
// Kernel's calls over HTTP, the server's Status errors as the kernel's StatusError, watches with
// resumption and 410s, and the client layer's informers running over it unchanged; typed through
// TypedKernel.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_MAPS, DEPLOYMENTS, isConflict, isInvalid, isNotFound, type ConfigMap, type Deployment } from '@skiff/api';
import { isStatusError, type WatchEvent } from '@skiff/kernel';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { createApiServer } from '../../plugins/rest-api/server.ts';
import { SharedInformer } from '../shared-informer.ts';
import { TypedKernel } from '../typed-kernel.ts';
import { RestKernel } from './rest-kernel.ts';

let t: TestKernel;
let app: FastifyInstance;
let rk: RestKernel;
let k: TypedKernel;

const cm = (name: string, data: Record<string, string> = { a: '1' }, labels?: Record<string, string>): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default', ...(labels ? { labels } : {}) },
  data,
});

beforeAll(async () => {
  t = await startTestKernel({ eventsPerResource: 20 });
  app = await createApiServer({ kernel: t.kernel, tokens: ['tok'] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  rk = await RestKernel.connect({ server: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, token: 'tok', fieldManager: 'rest-kernel-test' });
  k = new TypedKernel(rk);
});
afterAll(async () => {
  await rk?.close();
  await app?.close();
  await t?.stop();
});

describe('RestKernel', () => {
  it('knows the served kinds from discovery, subresources included', () => {
    expect(rk.kindFor(DEPLOYMENTS)).toMatchObject({ kind: 'Deployment', listKind: 'DeploymentList', namespaced: true, shortNames: ['deploy'], subresources: expect.arrayContaining(['status', 'scale']) });
    expect(rk.kinds().map((x) => x.resource)).toEqual(expect.arrayContaining(['pods', 'namespaces', 'deployments', 'selfsubjectaccessreviews']));
    expect(() => rk.kindFor({ group: 'x.io', version: 'v1', resource: 'nopes' })).toThrow(/could not find/);
  });

  it('creates, reads, lists with selectors and pages, updates, patches and deletes, typed', async () => {
    const created: ConfigMap = await k.create(CONFIG_MAPS, cm('rk-1', { a: '1' }, { app: 'rk' }));
    expect(created.metadata.uid).toBeTruthy();
    expect(created.metadata.managedFields?.[0]).toMatchObject({ manager: 'rest-kernel-test', operation: 'Update' });
    await k.create(CONFIG_MAPS, cm('rk-2', {}, { app: 'rk' }));
    await k.create(CONFIG_MAPS, cm('rk-3', {}, { app: 'other' }));
    expect((await k.get(CONFIG_MAPS, 'default', 'rk-1')).data).toEqual({ a: '1' });
    const labelled = await k.list(CONFIG_MAPS, { namespace: 'default', labelSelector: 'app=rk' });
    expect(labelled.items.map((o) => o.metadata.name)).toEqual(['rk-1', 'rk-2']);
    const page1 = await k.list(CONFIG_MAPS, { namespace: 'default', labelSelector: 'app', limit: 2 });
    expect(page1.items).toHaveLength(2);
    const page2 = await k.list(CONFIG_MAPS, { namespace: 'default', labelSelector: 'app', limit: 2, continue: page1.metadata.continue });
    expect([...page1.items, ...page2.items].map((o) => o.metadata.name)).toEqual(['rk-1', 'rk-2', 'rk-3']);
    const updated = await k.update(CONFIG_MAPS, { ...created, data: { a: '2' } });
    expect(updated.data).toEqual({ a: '2' });
    expect((await k.patch(CONFIG_MAPS, 'default', 'rk-1', 'merge', { data: { b: '3' } })).data).toEqual({ a: '2', b: '3' });
    expect((await k.patch(CONFIG_MAPS, 'default', 'rk-1', 'json', [{ op: 'remove', path: '/data/a' }])).data).toEqual({ b: '3' });
    // server-side apply: another manager's field conflicts unless forced
    const applied = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'rk-1' }, data: { b: 'mine' } };
    const conflict = await k.patch(CONFIG_MAPS, 'default', 'rk-1', 'apply', applied, { fieldManager: 'other' }).catch((e) => e);
    expect(isConflict(conflict)).toBe(true);
    expect((await k.patch(CONFIG_MAPS, 'default', 'rk-1', 'apply', applied, { fieldManager: 'other', force: true })).data).toEqual({ b: 'mine' });
    // a dry run stores nothing
    await k.create(CONFIG_MAPS, cm('rk-dry'), { dryRun: true });
    expect(isNotFound(await k.get(CONFIG_MAPS, 'default', 'rk-dry').catch((e) => e))).toBe(true);
    const deleted = await k.delete(CONFIG_MAPS, 'default', 'rk-2', { preconditions: { uid: (await k.get(CONFIG_MAPS, 'default', 'rk-2')).metadata.uid } });
    expect(deleted.metadata.name).toBe('rk-2');
  });

  it("answers the server's Status as the kernel's StatusError: 404, 409, 422 with causes, 405", async () => {
    const missing = await k.get(CONFIG_MAPS, 'default', 'nope').catch((e) => e);
    expect(isStatusError(missing)).toBe(true);
    expect(missing.status).toMatchObject({ code: 404, reason: 'NotFound', message: 'configmaps "nope" not found' });
    expect(isConflict(await k.create(CONFIG_MAPS, cm('rk-1')).catch((e) => e))).toBe(false); // AlreadyExists
    const stale = await k.update(CONFIG_MAPS, { ...cm('rk-1'), metadata: { ...cm('rk-1').metadata, resourceVersion: '1' } }).catch((e) => e);
    expect(isConflict(stale)).toBe(true);
    const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'bad', namespace: 'default' }, spec: { replicas: -1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [] } } } } as unknown as Deployment;
    const invalid = await k.create(DEPLOYMENTS, dep).catch((e) => e);
    expect(isInvalid(invalid)).toBe(true);
    expect(invalid.status.details.causes.map((c: { field: string }) => c.field)).toEqual(expect.arrayContaining(['spec.replicas']));
    expect(() => rk.registerKind()).toThrow(/not over REST/);
  });

  it('watches from a resourceVersion, in order, and reports a compacted one as an ERROR event with 410', async () => {
    const start = (await k.list(CONFIG_MAPS, { namespace: 'default' })).metadata.resourceVersion;
    const w = k.watch(CONFIG_MAPS, { namespace: 'default', resourceVersion: start, labelSelector: 'app=watched' });
    const seen: string[] = [];
    const done = (async () => {
      for await (const ev of w) {
        seen.push(`${ev.type} ${ev.object.metadata.name} ${JSON.stringify(ev.object.data ?? {})}`);
        if (ev.type === 'DELETED') break;
      }
    })();
    await k.create(CONFIG_MAPS, cm('rk-w', { v: '1' }, { app: 'watched' }));
    await k.patch(CONFIG_MAPS, 'default', 'rk-w', 'merge', { data: { v: '2' } });
    await k.delete(CONFIG_MAPS, 'default', 'rk-w');
    await done;
    w.stop();
    expect(seen).toEqual(['ADDED rk-w {"v":"1"}', 'MODIFIED rk-w {"v":"2"}', 'DELETED rk-w {"v":"2"}']);
    // 20 events per resource are kept: push the start out of the window
    for (let i = 0; i < 25; i++) await k.patch(CONFIG_MAPS, 'default', 'rk-1', 'merge', { data: { n: String(i) } });
    const old = rk.watch(CONFIG_MAPS, { namespace: 'default', resourceVersion: start });
    const first = (await old[Symbol.asyncIterator]().next()).value as WatchEvent;
    old.stop();
    expect(first.type).toBe('ERROR');
    expect(first.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('runs the client layer\'s informers unchanged', async () => {
    const inf = new SharedInformer<ConfigMap>(rk, CONFIG_MAPS, { namespace: 'default', labelSelector: 'app=inf' });
    const added: string[] = [];
    inf.addEventHandler({ onAdd: (o) => added.push(o.metadata.name!) });
    await k.create(CONFIG_MAPS, cm('inf-1', {}, { app: 'inf' }));
    await inf.start();
    await k.create(CONFIG_MAPS, cm('inf-2', {}, { app: 'inf' }));
    await eventually(() => inf.lister.list().length === 2, 5000, 'the informer to see both');
    inf.stop();
    expect(added.sort()).toEqual(['inf-1', 'inf-2']);
  });
});
