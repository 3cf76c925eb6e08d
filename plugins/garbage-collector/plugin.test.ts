import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KObject, OwnerReference } from '@skiff/kernel';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { SharedInformerFactory } from '@skiff/client';
import { deletable } from './monitors.ts';
import descriptor from './plugin.ts';

const CM = { group: '', version: 'v1', resource: 'configmaps' };
const NS = 'default';

let t: TestKernel;
let host: PluginHost;
const warnings: string[] = [];

beforeAll(async () => {
  t = await startTestKernel();
  const logger = createConsoleLogger({ level: 'warn', write: (line) => void warnings.push(line) });
  host = new PluginHost({ kernel: t.kernel, logger });
  await host.load([{ descriptor, config: { resyncSeconds: 1, leaderElection: false } }]);
});

afterAll(async () => {
  await host?.stop();
  await t?.stop();
});

const ownerRef = (o: KObject, extra: Partial<OwnerReference> = {}): OwnerReference => ({
  apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name!, uid: o.metadata.uid!, ...extra,
});

const create = (name: string, ownerReferences?: OwnerReference[], finalizers?: string[]) =>
  t.kernel.create(CM, {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name, namespace: NS, ...(ownerReferences ? { ownerReferences } : {}), ...(finalizers ? { finalizers } : {}) },
    data: { k: name },
  });

const get = async (name: string): Promise<KObject | undefined> => {
  try {
    return await t.kernel.get(CM, NS, name);
  } catch (e) {
    if ((e as { code?: number }).code === 404) return undefined;
    throw e;
  }
};

async function waitFor(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const gone = (...names: string[]) => async () => (await Promise.all(names.map(get))).every((o) => o === undefined);

/** Deletions of configmaps, in order, as a watch sees them. */
function recordDeletions(): { names: string[]; stop(): void } {
  const names: string[] = [];
  const w = t.kernel.watch(CM, { namespace: NS });
  void (async () => {
    for await (const ev of w) if (ev.type === 'DELETED') names.push(ev.object.metadata.name!);
  })();
  return { names, stop: () => w.stop() };
}

describe('garbage collector', () => {
  it('Background: deleting the owner deletes its dependents, and theirs', async () => {
    const owner = await create('bg-owner');
    const a = await create('bg-a', [ownerRef(owner, { controller: true })]);
    await create('bg-b', [ownerRef(owner)]);
    await create('bg-a-child', [ownerRef(a)]);
    const bystander = await create('bg-bystander');

    await t.kernel.delete(CM, NS, 'bg-owner', { propagationPolicy: 'Background' });
    expect(await get('bg-owner')).toBeUndefined(); // Background: the owner goes at once
    await waitFor('dependents to be collected', gone('bg-a', 'bg-b', 'bg-a-child'));
    expect((await get('bg-bystander'))?.metadata.uid).toBe(bystander.metadata.uid);
  });

  it('keeps a dependent that still has a live owner, dropping the reference to the deleted one', async () => {
    const o1 = await create('multi-o1');
    const o2 = await create('multi-o2');
    await create('multi-dep', [ownerRef(o1), ownerRef(o2)]);

    await t.kernel.delete(CM, NS, 'multi-o1');
    await waitFor('the reference to the deleted owner to be removed', async () => (await get('multi-dep'))?.metadata.ownerReferences?.length === 1);
    const dep = await get('multi-dep');
    expect(dep?.metadata.ownerReferences?.map((r) => r.uid)).toEqual([o2.metadata.uid]);

    await t.kernel.delete(CM, NS, 'multi-o2');
    await waitFor('the dependent to be collected with its last owner', gone('multi-dep'));
  });

  it('Orphan: the owner goes, the dependents stay without the owner reference', async () => {
    const owner = await create('orph-owner');
    const other = await create('orph-other');
    const a = await create('orph-a', [ownerRef(owner, { controller: true, blockOwnerDeletion: true })]);
    const b = await create('orph-b', [ownerRef(owner), ownerRef(other)]);

    const marked = await t.kernel.delete(CM, NS, 'orph-owner', { propagationPolicy: 'Orphan' });
    expect(marked.metadata.finalizers).toContain('orphan');
    await waitFor('the owner to be deleted', gone('orph-owner'));

    const a2 = await get('orph-a');
    const b2 = await get('orph-b');
    expect(a2?.metadata.uid).toBe(a.metadata.uid);
    expect(a2?.metadata.ownerReferences).toBeUndefined();
    expect(b2?.metadata.uid).toBe(b.metadata.uid);
    expect(b2?.metadata.ownerReferences?.map((r) => r.uid)).toEqual([other.metadata.uid]);
    // and they are not collected later on
    await new Promise((r) => setTimeout(r, 500));
    expect(await get('orph-a')).toBeDefined();
    expect(await get('orph-b')).toBeDefined();
  });

  it('Foreground: the dependents go first, then the owner', async () => {
    const rec = recordDeletions();
    const owner = await create('fg-owner');
    const blocker = await create('fg-blocker', [ownerRef(owner, { blockOwnerDeletion: true })], ['example.com/hold']);
    await create('fg-blocker-child', [ownerRef(blocker, { blockOwnerDeletion: true })]);
    await create('fg-plain', [ownerRef(owner)]);

    const marked = await t.kernel.delete(CM, NS, 'fg-owner', { propagationPolicy: 'Foreground' });
    expect(marked.metadata.finalizers).toContain('foregroundDeletion');
    expect(marked.metadata.deletionTimestamp).toBeDefined();

    // the blocking dependent is being deleted, but its own finalizer holds it: the owner waits
    await waitFor('the blocking dependent to be marked for deletion', async () => !!(await get('fg-blocker'))?.metadata.deletionTimestamp);
    await waitFor('the dependents without a hold to go', gone('fg-plain', 'fg-blocker-child'));
    await new Promise((r) => setTimeout(r, 300));
    const waiting = await get('fg-owner');
    expect(waiting?.metadata.deletionTimestamp).toBeDefined();
    expect(waiting?.metadata.finalizers).toEqual(['foregroundDeletion']);

    // release the hold: the blocker goes, then the owner
    await t.kernel.patch(CM, NS, 'fg-blocker', 'merge', { metadata: { finalizers: null } });
    await waitFor('the owner to be deleted', gone('fg-owner', 'fg-blocker'));
    await waitFor('the watch to see every deletion', () => rec.names.length >= 4);
    rec.stop();
    const at = (n: string) => rec.names.indexOf(n);
    expect(at('fg-owner')).toBe(rec.names.length - 1);
    expect(at('fg-blocker-child')).toBeLessThan(at('fg-blocker'));
    expect(at('fg-blocker')).toBeLessThan(at('fg-owner'));
    expect(at('fg-plain')).toBeLessThan(at('fg-owner'));
  });

  it('Foreground: an owner without blocking dependents does not wait for them', async () => {
    const owner = await create('fgnb-owner');
    await create('fgnb-dep', [ownerRef(owner)], ['example.com/hold']);

    await t.kernel.delete(CM, NS, 'fgnb-owner', { propagationPolicy: 'Foreground' });
    await waitFor('the owner to be deleted', gone('fgnb-owner'));
    expect((await get('fgnb-dep'))?.metadata.deletionTimestamp).toBeDefined(); // it got its delete
    await t.kernel.patch(CM, NS, 'fgnb-dep', 'merge', { metadata: { finalizers: null } });
    await waitFor('the dependent to go', gone('fgnb-dep'));
  });

  it('collects a dependent whose owner never existed, or is another object of the same name', async () => {
    const live = await create('dangling-live-owner');
    await create('dangling-uid', [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'no-such-owner', uid: randomUUID() }]);
    await create('dangling-same-name', [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'dangling-live-owner', uid: randomUUID() }]);
    const kept = await create('dangling-control', [ownerRef(live)]);

    await waitFor('dangling dependents to be collected', gone('dangling-uid', 'dangling-same-name'));
    await new Promise((r) => setTimeout(r, 300));
    expect((await get('dangling-control'))?.metadata.uid).toBe(kept.metadata.uid);
    expect(await get('dangling-live-owner')).toBeDefined();
  });

  it('collects dependents across kinds (a Secret owned by a ConfigMap)', async () => {
    const SECRET = { group: '', version: 'v1', resource: 'secrets' };
    const owner = await create('xkind-owner');
    await t.kernel.create(SECRET, {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'xkind-secret', namespace: NS, ownerReferences: [ownerRef(owner)] }, data: {},
    });
    await t.kernel.delete(CM, NS, 'xkind-owner');
    await waitFor('the secret to be collected', async () => {
      try {
        await t.kernel.get(SECRET, NS, 'xkind-secret');
        return false;
      } catch (e) {
        return (e as { code?: number }).code === 404;
      }
    });
  });

  it('leaves a cluster-scoped dependent naming a namespaced owner alone (an invalid reference)', async () => {
    const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };
    const owner = await create('invalid-owner');
    await t.kernel.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gc-invalid-ref', ownerReferences: [ownerRef(owner)] } });
    await new Promise((r) => setTimeout(r, 300));
    expect((await t.kernel.get(NAMESPACES, undefined, 'gc-invalid-ref')).metadata.deletionTimestamp).toBeUndefined();
  });

  it('catches up on start: collects what lost its owner while it was not running', async () => {
    await host.remove('garbage-collector');
    const owner = await create('restart-owner');
    await create('restart-dep', [ownerRef(owner)]);
    await t.kernel.delete(CM, NS, 'restart-owner');
    await new Promise((r) => setTimeout(r, 200));
    expect(await get('restart-dep')).toBeDefined(); // nobody collects it

    await host.load([{ descriptor, config: { resyncSeconds: 1, leaderElection: false } }]);
    await waitFor('the orphaned dependent to be collected', gone('restart-dep'));
  });

  it('follows every deletable kind through the process\'s shared informers: no second watch of a kind', async () => {
    const factory = SharedInformerFactory.for(t.kernel);
    const resources = new Set(t.kernel.kinds().filter(deletable).map((k) => `${k.group}/${k.resource}`));
    expect(resources.has('/pods')).toBe(true);
    expect(resources.has('/events')).toBe(false);
    expect(factory.size).toBe(resources.size);
    // a controller asking for pods gets the collector's informer, already listed
    const lease = factory.acquire({ group: '', version: 'v1', resource: 'pods' });
    expect(lease.informer.hasSynced).toBe(true);
    expect(factory.size).toBe(resources.size);
    lease.release();
    expect(host.runtime('garbage-collector')).toMatchObject({ leading: true, kinds: resources.size });
  });

  it('logged no warnings', () => {
    expect(warnings).toEqual([]);
  });
});
