import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestKernel, type TestKernel } from './testing.ts';
import type { KObject, WatchEvent, Watch } from './types.ts';
import { StatusError } from './status.ts';

const CM = { group: '', version: 'v1', resource: 'configmaps' };
const PODS = { group: '', version: 'v1', resource: 'pods' };
const NS = { group: '', version: 'v1', resource: 'namespaces' };
const SECRETS = { group: '', version: 'v1', resource: 'secrets' };
const DEPLOY = { group: 'apps', version: 'v1', resource: 'deployments' };

const cm = (name: string, data: Record<string, string> = { a: '1' }, labels?: Record<string, string>): KObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default', ...(labels ? { labels } : {}) },
  data,
});

async function statusOf(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error('expected a StatusError');
}

async function take(w: Watch, n: number, timeoutMs = 5000): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  const it = w[Symbol.asyncIterator]();
  const deadline = Date.now() + timeoutMs;
  while (out.length < n) {
    const r = await Promise.race([it.next(), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), Math.max(1, deadline - Date.now())))]);
    if (r === 'timeout' || r.done) break;
    out.push(r.value);
  }
  return out;
}

describe('kernel on JetStream', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel({ eventsPerResource: 50 });
  });
  afterAll(async () => t?.stop());

  it('creates with system metadata and reads it back at the same resourceVersion', async () => {
    const c = await t.kernel.create(CM, cm('one'));
    expect(c.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(c.metadata.generation).toBe(1);
    expect(Number(c.metadata.resourceVersion)).toBeGreaterThan(0);
    const g = await t.kernel.get(CM, 'default', 'one');
    expect(g).toEqual(c);
  });

  it('answers 409 AlreadyExists on a duplicate create and 409 Conflict on a stale update', async () => {
    const c = await t.kernel.create(CM, cm('two'));
    expect((await statusOf(t.kernel.create(CM, cm('two')))).status).toMatchObject({ code: 409, reason: 'AlreadyExists' });
    const u = await t.kernel.update(CM, { ...c, data: { a: '2' } });
    expect(Number(u.metadata.resourceVersion)).toBeGreaterThan(Number(c.metadata.resourceVersion));
    const stale = await statusOf(t.kernel.update(CM, { ...c, data: { a: '3' } }));
    expect(stale.status).toMatchObject({ code: 409, reason: 'Conflict' });
    expect((await t.kernel.get(CM, 'default', 'two')).data).toEqual({ a: '2' });
  });

  it('keeps the stored creationTimestamp when an update sends it in another form or changed (as kube-apiserver)', async () => {
    const c = await t.kernel.create(CM, cm('created-at'));
    const ts = c.metadata.creationTimestamp!;
    // client-node parses it as a Date and sends back "...:07.000Z"
    const same = await t.kernel.update(CM, { ...c, metadata: { ...c.metadata, creationTimestamp: new Date(ts).toISOString() } });
    expect(same.metadata.resourceVersion).toBe(c.metadata.resourceVersion);
    expect(same.metadata.creationTimestamp).toBe(ts);
    const u = await t.kernel.update(CM, { ...c, metadata: { ...c.metadata, creationTimestamp: '2001-01-01T00:00:00Z' }, data: { a: '2' } });
    expect(u.metadata.creationTimestamp).toBe(ts);
    expect(u.data).toEqual({ a: '2' });
  });

  it('a no-op update writes nothing and keeps the resourceVersion', async () => {
    const c = await t.kernel.create(CM, cm('noop'));
    const u = await t.kernel.update(CM, c);
    expect(u.metadata.resourceVersion).toBe(c.metadata.resourceVersion);
  });

  it('bumps generation on spec changes only', async () => {
    const d: KObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    };
    const c = await t.kernel.create(DEPLOY, d);
    expect(c.metadata.generation).toBe(1);
    const l = await t.kernel.patch(DEPLOY, 'default', 'web', 'merge', { metadata: { labels: { x: 'y' } } });
    expect(l.metadata.generation).toBe(1);
    const s = await t.kernel.patch(DEPLOY, 'default', 'web', 'merge', { spec: { replicas: 3 } });
    expect(s.metadata.generation).toBe(2);
    const st = await t.kernel.update(DEPLOY, { ...s, status: { replicas: 3 } }, { subresource: 'status' });
    expect(st.metadata.generation).toBe(2);
    expect(st.status).toEqual({ replicas: 3 });
    // status changes through the main resource are ignored
    const m = await t.kernel.update(DEPLOY, { ...st, status: { replicas: 99 } });
    expect(m.status).toEqual({ replicas: 3 });
  });

  it('rejects invalid objects with 422 and causes naming the field, storing nothing', async () => {
    const bad: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bad', namespace: 'default' }, spec: { containers: [{ name: 'c' }] } };
    const e = await statusOf(t.kernel.create(PODS, bad));
    expect(e.status.code).toBe(422);
    expect(e.status.details?.causes).toContainEqual(expect.objectContaining({ field: 'spec.containers[0].image', reason: 'FieldValueRequired' }));
    expect((await statusOf(t.kernel.get(PODS, 'default', 'bad'))).status.code).toBe(404);
  });

  it('rejects objects in a namespace that does not exist', async () => {
    const e = await statusOf(t.kernel.create(CM, { ...cm('x'), metadata: { name: 'x', namespace: 'nope' } }));
    expect(e.status).toMatchObject({ code: 404, reason: 'NotFound' });
  });

  it('filters lists by label and field selectors', async () => {
    await t.kernel.create(CM, cm('sel-a', {}, { tier: 'web', env: 'prod' }));
    await t.kernel.create(CM, cm('sel-b', {}, { tier: 'db', env: 'prod' }));
    await t.kernel.create(CM, cm('sel-c', {}, { tier: 'web' }));
    const names = async (labelSelector?: string, fieldSelector?: string) =>
      (await t.kernel.list(CM, { namespace: 'default', labelSelector, fieldSelector })).items.map((o) => o.metadata.name).filter((n) => n!.startsWith('sel-'));
    expect(await names('tier=web')).toEqual(['sel-a', 'sel-c']);
    expect(await names('tier!=web')).toEqual(['sel-b']);
    expect(await names('tier in (db,web),env')).toEqual(['sel-a', 'sel-b']);
    expect(await names('tier notin (web)')).toEqual(['sel-b']);
    expect(await names('!env')).toEqual(['sel-c']);
    expect(await names(undefined, 'metadata.name=sel-b')).toEqual(['sel-b']);
    expect((await statusOf(names('tier in (web'))).status.code).toBe(400);
    expect((await statusOf(names(undefined, 'spec.bogus=1'))).status.code).toBe(400);
  });

  it('pages a list consistently with limit and continue', async () => {
    for (let i = 0; i < 7; i++) await t.kernel.create(CM, { ...cm(`page-${i}`), metadata: { name: `page-${i}`, namespace: 'default', labels: { page: 'yes' } } });
    const p1 = await t.kernel.list(CM, { namespace: 'default', labelSelector: 'page=yes', limit: 3 });
    expect(p1.items).toHaveLength(3);
    expect(p1.metadata.remainingItemCount).toBe(4);
    await t.kernel.delete(CM, 'default', 'page-5');
    const same = { namespace: 'default', labelSelector: 'page=yes', limit: 3 };
    // a token serves only the list it came from (kube binds it to the key range it listed)
    for (const other of [{ namespace: 'kube-system' }, {}, { namespace: 'default', labelSelector: 'page=no' }, { namespace: 'default', labelSelector: 'page=yes', fieldSelector: 'metadata.name=page-1' }]) {
      const e = await statusOf(t.kernel.list(CM, { ...other, limit: 3, continue: p1.metadata.continue }));
      expect(e.status.code).toBe(400);
      expect(e.status.message).toMatch(/continue key is not valid/);
    }
    expect((await statusOf(t.kernel.list(SECRETS, { ...same, continue: p1.metadata.continue }))).status.code).toBe(400);
    const p2 = await t.kernel.list(CM, { ...same, continue: p1.metadata.continue });
    const p3 = await t.kernel.list(CM, { ...same, continue: p2.metadata.continue });
    expect([...p1.items, ...p2.items, ...p3.items].map((o) => o.metadata.name)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `page-${i}`));
    expect(p3.metadata.continue).toBeUndefined();
    expect(p2.metadata.resourceVersion).toBe(p1.metadata.resourceVersion);
    expect((await statusOf(t.kernel.list(CM, { continue: 'garbage' }))).status.code).toBe(400);
  });

  it('lists a past revision exactly (resourceVersionMatch=Exact), rolled back through the event ring', async () => {
    const sel = { namespace: 'default', labelSelector: 'exact=yes' };
    const a = await t.kernel.create(CM, cm('exact-a', { v: '1' }, { exact: 'yes' }));
    const b = await t.kernel.create(CM, cm('exact-b', { v: '1' }, { exact: 'yes' }));
    const at = b.metadata.resourceVersion;
    await t.kernel.update(CM, { ...a, data: { v: '2' } });
    await t.kernel.delete(CM, 'default', 'exact-b');
    await t.kernel.create(CM, cm('exact-c', { v: '1' }, { exact: 'yes' }));
    // a label change that takes an object out of the selector is rolled back too
    const c2 = await t.kernel.get(CM, 'default', 'exact-c');
    await t.kernel.update(CM, { ...c2, metadata: { ...c2.metadata, labels: { exact: 'no' } } });
    const now = await t.kernel.list(CM, sel);
    expect(now.items.map((o) => [o.metadata.name, (o.data as Record<string, string>).v])).toEqual([['exact-a', '2']]);
    const then = await t.kernel.list(CM, { ...sel, resourceVersion: at, resourceVersionMatch: 'Exact' });
    expect(then.metadata.resourceVersion).toBe(at);
    expect(then.items.map((o) => [o.metadata.name, (o.data as Record<string, string>).v])).toEqual([['exact-a', '1'], ['exact-b', '1']]);
    expect(then.items[1]).toEqual(b);
    // NotOlderThan (and no match) give the current state
    const notOlder = await t.kernel.list(CM, { ...sel, resourceVersion: at, resourceVersionMatch: 'NotOlderThan' });
    expect(notOlder.items.map((o) => o.metadata.name)).toEqual(['exact-a']);
    expect(Number(notOlder.metadata.resourceVersion)).toBeGreaterThan(Number(at));
    // paged, the pages come from that revision too
    const p1 = await t.kernel.list(CM, { ...sel, resourceVersion: at, resourceVersionMatch: 'Exact', limit: 1 });
    const p2 = await t.kernel.list(CM, { ...sel, limit: 1, continue: p1.metadata.continue });
    expect([...p1.items, ...p2.items].map((o) => o.metadata.name)).toEqual(['exact-a', 'exact-b']);
    // once the ring (50 events per resource here) no longer reaches back to it: 410
    let x = await t.kernel.get(CM, 'default', 'exact-a');
    for (let i = 0; i < 55; i++) x = await t.kernel.update(CM, { ...x, data: { v: `n${i}` } });
    expect((await statusOf(t.kernel.list(CM, { ...sel, resourceVersion: at, resourceVersionMatch: 'Exact' }))).status.code).toBe(410);
  });

  it('a watch from a revision the cache has not reached yet never replays the write that made it', async () => {
    // a revision ahead of the cache: the watch opens once the cache gets there, and delivers only what follows
    const rev = Number((await t.kernel.create(CM, cm('ahead-0'))).metadata.resourceVersion);
    const pending = t.kernel.watch(CM, { namespace: 'default', resourceVersion: String(rev + 2), fieldSelector: 'metadata.name=ahead-1' });
    await t.kernel.create(CM, cm('ahead-x')); // rev + 1
    await t.kernel.create(CM, cm('ahead-1')); // rev + 2: produced the watched revision, so not an event
    const c1 = await t.kernel.get(CM, 'default', 'ahead-1');
    expect(Number(c1.metadata.resourceVersion)).toBe(rev + 2);
    await t.kernel.update(CM, { ...c1, data: { b: '2' } });
    const evs = await take(pending, 2, 1500);
    pending.stop();
    expect(evs.map((e) => [e.type, e.object.metadata.name, (e.object.data as Record<string, string> | undefined)?.b])).toEqual([['MODIFIED', 'ahead-1', '2']]);
    // one far ahead delivers nothing of what comes below it
    const far = t.kernel.watch(CM, { namespace: 'default', resourceVersion: String(rev + 1_000_000) });
    await t.kernel.create(CM, cm('ahead-2'));
    expect(await take(far, 1, 500)).toEqual([]);
    far.stop();
  });

  it('watches from a resourceVersion exactly, with no synthetic events', async () => {
    const c = await t.kernel.create(CM, cm('w1'));
    const w = t.kernel.watch(CM, { namespace: 'default', resourceVersion: c.metadata.resourceVersion, fieldSelector: 'metadata.name=w1' });
    const u = await t.kernel.patch(CM, 'default', 'w1', 'merge', { data: { a: 'changed' } });
    const d = await t.kernel.delete(CM, 'default', 'w1');
    const evs = await take(w, 2);
    w.stop();
    expect(evs.map((e) => e.type)).toEqual(['MODIFIED', 'DELETED']);
    expect(evs[0]!.object.metadata.resourceVersion).toBe(u.metadata.resourceVersion);
    expect(evs[1]!.object.metadata.resourceVersion).toBe(d.metadata.resourceVersion);
    expect(evs[1]!.object.data).toEqual({ a: 'changed' });
  });

  it('watch from "" sends the current state as ADDED, then live events', async () => {
    await t.kernel.create(CM, cm('live-1', {}, { live: 'x' }));
    const w = t.kernel.watch(CM, { namespace: 'default', labelSelector: 'live=x' });
    const first = await take(w, 1);
    expect(first.map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'live-1']]);
    await t.kernel.create(CM, cm('live-2', {}, { live: 'x' }));
    // leaving the selector is a DELETED for this watcher
    await t.kernel.patch(CM, 'default', 'live-1', 'merge', { metadata: { labels: { live: null } } });
    const next = await take(w, 2);
    w.stop();
    expect(next.map((e) => [e.type, e.object.metadata.name])).toEqual([['ADDED', 'live-2'], ['DELETED', 'live-1']]);
  });

  it('answers 410 Gone for a watch below the compaction floor', async () => {
    const first = await t.kernel.create(CM, cm('floor-0'));
    for (let i = 1; i <= 60; i++) await t.kernel.create(CM, cm(`floor-${i}`));
    const w = t.kernel.watch(CM, { namespace: 'default', resourceVersion: first.metadata.resourceVersion });
    const [ev] = await take(w, 1);
    expect(ev!.type).toBe('ERROR');
    expect(ev!.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });

  it('sends bookmarks when asked', async () => {
    const k = await t.restart({ bookmarkIntervalMs: 50 });
    const l = await k.list(CM, { namespace: 'default' });
    const w = k.watch(CM, { namespace: 'default', resourceVersion: l.metadata.resourceVersion, allowWatchBookmarks: true });
    const [ev] = await take(w, 1);
    w.stop();
    expect(ev!.type).toBe('BOOKMARK');
    expect(Number(ev!.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(l.metadata.resourceVersion));
  });

  it('a restarted kernel serves the same objects and revisions, and 410 for revisions before it started', async () => {
    const c = await t.kernel.create(CM, cm('persist'));
    const k2 = await t.restart();
    expect(await k2.get(CM, 'default', 'persist')).toEqual(c);
    const w = k2.watch(CM, { namespace: 'default', resourceVersion: String(Number(c.metadata.resourceVersion) - 1) });
    const [ev] = await take(w, 1);
    expect(ev!.type).toBe('ERROR');
  });

  it('keeps objects with finalizers until the finalizers are removed', async () => {
    await t.kernel.create(CM, { ...cm('fin'), metadata: { name: 'fin', namespace: 'default', finalizers: ['example.com/hold'] } });
    const marked = await t.kernel.delete(CM, 'default', 'fin');
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    expect((await t.kernel.get(CM, 'default', 'fin')).metadata.deletionTimestamp).toBeDefined();
    await t.kernel.patch(CM, 'default', 'fin', 'merge', { metadata: { finalizers: null } });
    expect((await statusOf(t.kernel.get(CM, 'default', 'fin'))).status.code).toBe(404);
  });

  it('stores Secrets encrypted at rest', async () => {
    await t.kernel.create(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, stringData: { password: 'hunter2-plaintext' } });
    const raw = await t.kernel.backend.get('_.secrets.default.s');
    expect(Buffer.from(raw!.value).toString('latin1')).not.toContain('hunter2');
    expect(Buffer.from(raw!.value).toString('latin1')).not.toContain(Buffer.from('hunter2-plaintext').toString('base64'));
    const s = await t.kernel.get(SECRETS, 'default', 's');
    expect(Buffer.from((s.data as Record<string, string>).password!, 'base64').toString()).toBe('hunter2-plaintext');
  });

  it('deleting a namespace marks it Terminating and forbids new content', async () => {
    await t.kernel.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
    const d = await t.kernel.delete(NS, undefined, 'doomed');
    expect(d.status).toMatchObject({ phase: 'Terminating' });
    const e = await statusOf(t.kernel.create(CM, { ...cm('late'), metadata: { name: 'late', namespace: 'doomed' } }));
    expect(e.status.code).toBe(403);
    expect(e.status.details?.causes?.[0]).toMatchObject({ reason: 'NamespaceTerminating', field: 'metadata.namespace' });
  });

  it('stores an object up to 1.5 MiB encoded and answers 413 past it, storing nothing', async () => {
    const big = await t.kernel.create(CM, { ...cm('mib'), data: { v: 'x'.repeat(1024 * 1024) } });
    expect((await t.kernel.get(CM, 'default', 'mib')).metadata.resourceVersion).toBe(big.metadata.resourceVersion);
    // a ConfigMap is held to 1 MiB of data by validation (422); a ControllerRevision's data is not
    const CR = { group: 'apps', version: 'v1', resource: 'controllerrevisions' };
    const rev = { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'too-big', namespace: 'default' }, revision: 1, data: { v: 'x'.repeat(1600 * 1024) } };
    const e = await statusOf(t.kernel.create(CR, rev));
    expect(e.status).toMatchObject({ code: 413, reason: 'RequestEntityTooLarge' });
    expect(e.status.message).toContain(`the limit is ${1.5 * 1024 * 1024} bytes`);
    expect((await statusOf(t.kernel.get(CR, 'default', 'too-big'))).status.code).toBe(404);
  });

  it('refuses to delete default, kube-system and kube-public (403), as kube-apiserver does', async () => {
    for (const name of ['kube-system', 'kube-public']) await t.kernel.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    for (const name of ['default', 'kube-system', 'kube-public']) {
      const e = await statusOf(t.kernel.delete(NS, undefined, name));
      expect(e.status).toMatchObject({ code: 403, reason: 'Forbidden', message: `namespaces "${name}" is forbidden: this namespace may not be deleted` });
      expect((await t.kernel.get(NS, undefined, name)).metadata.deletionTimestamp).toBeUndefined();
    }
  });

  it('generates names from generateName: the prefix cut to 58 characters, a taken name tried again', async () => {
    const long = 'x'.repeat(70);
    const a = await t.kernel.create(CM, { ...cm('ignored'), metadata: { generateName: long, namespace: 'default' } });
    expect(a.metadata.name).toMatch(/^x{58}[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    // the random part repeats: the second create's first name is taken, and it tries another
    const rnd = vi.spyOn(Math, 'random');
    try {
      rnd.mockReturnValue(0); // always "bbbbb"
      const first = await t.kernel.create(CM, { ...cm('ignored'), metadata: { generateName: 'g-', namespace: 'default' } });
      expect(first.metadata.name).toBe('g-bbbbb');
      let calls = 0;
      rnd.mockImplementation(() => (calls++ < 5 ? 0 : 0.5)); // "bbbbb" again, then something else
      const second = await t.kernel.create(CM, { ...cm('ignored'), metadata: { generateName: 'g-', namespace: 'default' } });
      expect(second.metadata.name).not.toBe('g-bbbbb');
      expect(second.metadata.name).toMatch(/^g-[a-z0-9]{5}$/);
      // a name the client chose is never replaced
      rnd.mockReturnValue(0);
      expect((await statusOf(t.kernel.create(CM, { ...cm('g-bbbbb') }))).status.reason).toBe('AlreadyExists');
    } finally {
      rnd.mockRestore();
    }
  });

  it('keeps the status a Node is created with (kube lets nodes post it on create)', async () => {
    const n = await t.kernel.create({ group: '', version: 'v1', resource: 'nodes' }, {
      apiVersion: 'v1', kind: 'Node', metadata: { name: 'with-status' }, status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
    expect((n.status as { conditions: unknown[] }).conditions).toEqual([{ type: 'Ready', status: 'True' }]);
  });

  it('runs admission handlers in order, honouring failurePolicy and timeouts', async () => {
    const d1 = t.kernel.registerAdmission({
      name: 'add-label',
      phase: 'mutating',
      match: (r) => r.kind.resource === 'configmaps',
      handle: (r) => ({ ...r.object, metadata: { ...r.object.metadata, labels: { ...(r.object.metadata.labels ?? {}), mutated: 'yes' } } }),
    });
    const d2 = t.kernel.registerAdmission({
      name: 'deny-forbidden',
      phase: 'validating',
      match: (r) => r.kind.resource === 'configmaps',
      handle: (r) => {
        if (r.object.metadata.name === 'forbidden') throw new StatusError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'no', reason: 'Forbidden', code: 403 });
      },
    });
    const d3 = t.kernel.registerAdmission({ name: 'slow-ignored', phase: 'validating', timeoutMs: 20, failurePolicy: 'Ignore', handle: () => new Promise((r) => setTimeout(r, 1000)) });
    try {
      const c = await t.kernel.create(CM, cm('admitted'));
      expect(c.metadata.labels).toEqual({ mutated: 'yes' });
      expect((await statusOf(t.kernel.create(CM, cm('forbidden')))).status.code).toBe(403);
      const d4 = t.kernel.registerAdmission({ name: 'slow-fail', phase: 'validating', timeoutMs: 20, handle: () => new Promise((r) => setTimeout(r, 1000)) });
      const e = await statusOf(t.kernel.create(CM, cm('timeout')));
      d4.dispose();
      expect(e.status.code).toBe(500);
      expect(e.status.message).toContain('slow-fail');
    } finally {
      d1.dispose();
      d2.dispose();
      d3.dispose();
    }
  });
});

describe('store housekeeping', () => {
  it('purges old delete markers and can create the name again', async () => {
    const t = await startTestKernel();
    try {
      const CMS = { group: '', version: 'v1', resource: 'configmaps' };
      await t.kernel.create(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gone', namespace: 'default' } });
      await t.kernel.delete(CMS, 'default', 'gone');
      expect((await t.kernel.backend.get('_.configmaps.default.gone'))?.deleted).toBe(true);
      // a marker replaced by a newer value is never purged with it
      await t.kernel.create(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'back', namespace: 'default' } });
      await t.kernel.delete(CMS, 'default', 'back');
      await t.kernel.create(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'back', namespace: 'default' }, data: { v: '2' } });
      // writes under way while the markers are purged are not touched either
      await t.kernel.cache.sync(); // the markers as the cache knows them
      const writes = Array.from({ length: 50 }, (_, i) => t.kernel.create(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `busy-${i}`, namespace: 'default' } }));
      expect(await t.kernel.purgeDeleteMarkers(0)).toBe(1);
      await Promise.all(writes);
      expect(await t.kernel.backend.get('_.configmaps.default.gone')).toBeNull();
      expect((await t.kernel.get(CMS, 'default', 'back')).data).toEqual({ v: '2' });
      expect((await t.kernel.list(CMS, { namespace: 'default' })).items.filter((o) => o.metadata.name!.startsWith('busy-'))).toHaveLength(50);
      // a marker not yet old enough stays
      await t.kernel.delete(CMS, 'default', 'busy-0');
      await t.kernel.cache.sync();
      expect(await t.kernel.purgeDeleteMarkers(60_000)).toBe(0);
      expect((await t.kernel.backend.get('_.configmaps.default.busy-0'))?.deleted).toBe(true);
      const again = await t.kernel.create(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gone', namespace: 'default' } });
      expect(again.metadata.name).toBe('gone');
    } finally {
      await t.stop();
    }
  });
});

describe('deletion strategies of kinds', () => {
  it('a pod on a node ends gracefully; grace 0 deletes it; an unbound pod goes at once', async () => {
    const t = await startTestKernel();
    try {
      const P = { group: '', version: 'v1', resource: 'pods' };
      const pod = (name: string, nodeName?: string) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default' },
        spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'busybox' }] },
      });
      await t.kernel.create(P, pod('bound', 'node-1'));
      const marked = await t.kernel.delete(P, 'default', 'bound');
      expect(marked.metadata.deletionTimestamp).toBeDefined();
      expect(marked.metadata.deletionGracePeriodSeconds).toBe(30);
      expect((await t.kernel.get(P, 'default', 'bound')).metadata.deletionTimestamp).toBeDefined();
      await t.kernel.delete(P, 'default', 'bound', { gracePeriodSeconds: 0 });
      expect((await statusOf(t.kernel.get(P, 'default', 'bound'))).status.code).toBe(404);
      await t.kernel.create(P, pod('unbound'));
      await t.kernel.delete(P, 'default', 'unbound');
      expect((await statusOf(t.kernel.get(P, 'default', 'unbound'))).status.code).toBe(404);
    } finally {
      await t.stop();
    }
  });

  it('namespaces/finalize removes spec.finalizers and lets a terminating namespace go', async () => {
    const t = await startTestKernel();
    try {
      const NSR = { group: '', version: 'v1', resource: 'namespaces' };
      await t.kernel.create(NSR, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fin' } });
      const marked = await t.kernel.delete(NSR, undefined, 'fin');
      expect(marked.status).toMatchObject({ phase: 'Terminating' });
      expect(marked.spec).toEqual({ finalizers: ['kubernetes'] });
      await t.kernel.update(NSR, { ...marked, spec: { finalizers: [] } }, { subresource: 'finalize' });
      expect((await statusOf(t.kernel.get(NSR, undefined, 'fin'))).status.code).toBe(404);
      const CMS = { group: '', version: 'v1', resource: 'configmaps' };
      await t.kernel.create(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' } });
      const e = await statusOf(t.kernel.update(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' } }, { subresource: 'finalize' }));
      expect(e.status.code).toBe(404);
    } finally {
      await t.stop();
    }
  });
});
