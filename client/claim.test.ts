import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newControllerRef, selectorMatches, type KObject, type OwnerReference } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { ControllerRefManager, recheckDeletionTimestamp } from './claim.ts';

// ConfigMaps stand in for both the controller and the objects it claims: the manager is generic
const CM = { group: '', version: 'v1', resource: 'configmaps' };

let t: TestKernel;
beforeAll(async () => {
  t = await startTestKernel();
  await t.kernel.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
});
afterAll(() => t?.stop());

const make = (name: string, labels: Record<string, string>, ownerReferences?: OwnerReference[], namespace = 'default', finalizers?: string[]) =>
  t.kernel.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels, ownerReferences, finalizers } });
const get = (name: string, namespace = 'default') => t.kernel.get(CM, namespace, name);

function manager(owner: KObject, kernel: Kernel = t.kernel) {
  return new ControllerRefManager({
    kernel, ref: CM, owner, controllerRef: newControllerRef(owner, 'v1', 'ConfigMap'),
    match: (o) => selectorMatches({ matchLabels: { app: 'x' } }, o.metadata.labels ?? {}),
    canAdopt: recheckDeletionTimestamp(kernel, CM, owner),
  });
}

/** A kernel that counts gets of one object (to see the recheck run once). */
function counting(name: string) {
  let gets = 0;
  const kernel = new Proxy(t.kernel, {
    get(target, prop, receiver) {
      if (prop === 'get') return (ref: typeof CM, ns: string, n: string) => (n === name && gets++, target.get(ref, ns, n));
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { kernel, gets: () => gets };
}

describe('ControllerRefManager', () => {
  it('keeps its matching objects, adopts matching orphans of its namespace, releases what no longer matches', async () => {
    const owner = await make('a-owner', {});
    const other = await make('a-other', {});
    const ref = newControllerRef(owner, 'v1', 'ConfigMap');
    const objs = [
      await make('a-mine', { app: 'x' }, [ref]),
      await make('a-orphan', { app: 'x' }),
      await make('a-orphan-nomatch', { app: 'y' }),
      await make('a-theirs', { app: 'x' }, [newControllerRef(other, 'v1', 'ConfigMap')]),
      await make('a-mine-nomatch', { app: 'y' }, [ref, { apiVersion: 'v1', kind: 'ConfigMap', name: 'a-other', uid: other.metadata.uid! }]),
      await make('a-orphan-elsewhere', { app: 'x' }, undefined, 'other'),
      await make('a-orphan-with-owner', { app: 'x' }, [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'a-other', uid: other.metadata.uid! }]),
    ];
    const { kernel, gets } = counting('a-owner');
    const claimed = await manager(owner, kernel).claim(objs);
    expect(claimed.map((o) => o.metadata.name)).toEqual(['a-mine', 'a-orphan', 'a-orphan-with-owner']);
    expect(gets()).toBe(1); // one recheck for two adoptions
    expect((await get('a-orphan')).metadata.ownerReferences).toEqual([ref]);
    expect(claimed[1].metadata.ownerReferences).toEqual([ref]); // the adopted object as written
    // kube's strategic merge puts the patch's new reference before the live ones (as kube's adoption patch does)
    expect((await get('a-orphan-with-owner')).metadata.ownerReferences?.map((r) => r.uid)).toEqual([owner.metadata.uid, other.metadata.uid]);
    // released: only its own reference goes
    expect((await get('a-mine-nomatch')).metadata.ownerReferences?.map((r) => r.uid)).toEqual([other.metadata.uid]);
    expect((await get('a-orphan-nomatch')).metadata.ownerReferences).toBeUndefined();
    expect((await get('a-orphan-elsewhere', 'other')).metadata.ownerReferences).toBeUndefined();
    expect((await get('a-theirs')).metadata.ownerReferences?.[0].uid).toBe(other.metadata.uid);
  });

  it('a controller being deleted neither adopts nor releases, and keeps claiming what it has', async () => {
    const owner = await make('b-owner', {}, undefined, 'default', ['example.com/hold']);
    const ref = newControllerRef(owner, 'v1', 'ConfigMap');
    const objs = [await make('b-mine', { app: 'x' }, [ref]), await make('b-orphan', { app: 'x' }), await make('b-mine-nomatch', { app: 'y' }, [ref])];
    const deleting = await t.kernel.delete(CM, 'default', 'b-owner');
    expect(deleting.metadata.deletionTimestamp).toBeDefined();
    const claimed = await manager(deleting).claim(objs);
    expect(claimed.map((o) => o.metadata.name)).toEqual(['b-mine']);
    expect((await get('b-orphan')).metadata.ownerReferences).toBeUndefined();
    expect((await get('b-mine-nomatch')).metadata.ownerReferences).toEqual([ref]);
  });

  it('does not adopt for a controller deleted since it was read, or replaced by another of the same name', async () => {
    const held = await make('c-owner', {});
    const orphan = await make('c-orphan', { app: 'x' });
    // the store's c-owner is being deleted
    await t.kernel.patch(CM, 'default', 'c-owner', 'merge', { metadata: { finalizers: ['example.com/hold'] } });
    await t.kernel.delete(CM, 'default', 'c-owner');
    await expect(manager(held).claim([orphan])).rejects.toThrow(/^can't adopt ConfigMap default\/c-orphan \(.+\): default\/c-owner has just been deleted at /);
    // and now it is another object
    await t.kernel.patch(CM, 'default', 'c-owner', 'merge', { metadata: { finalizers: null } });
    const replaced = await make('c-owner', {});
    await expect(manager(held).claim([orphan])).rejects.toThrow(
      `can't adopt ConfigMap default/c-orphan (${orphan.metadata.uid}): can't recheck DeletionTimestamp: original ConfigMap default/c-owner is gone: got uid ${replaced.metadata.uid}, wanted ${held.metadata.uid}`,
    );
    expect((await get('c-orphan')).metadata.ownerReferences).toBeUndefined();
  });

  it('release returns the object as written, and nothing when there was nothing to write', async () => {
    const owner = await make('e-owner', {});
    const ref = newControllerRef(owner, 'v1', 'ConfigMap');
    const mine = await make('e-mine', { app: 'y' }, [ref]);
    const m = manager(owner);
    const out = await m.release(mine);
    expect(out?.metadata.uid).toBe(mine.metadata.uid);
    expect(out?.metadata.ownerReferences ?? []).toEqual([]);
    expect(Number(out?.metadata.resourceVersion)).toBeGreaterThan(Number(mine.metadata.resourceVersion));
    expect(out?.metadata.resourceVersion).toBe((await get('e-mine')).metadata.resourceVersion);
    await t.kernel.delete(CM, 'default', 'e-mine');
    expect(await m.release(mine)).toBeUndefined(); // gone
    await make('e-mine', { app: 'y' }, [ref]);
    expect(await m.release(mine)).toBeUndefined(); // another object of that name
    expect((await get('e-mine')).metadata.ownerReferences).toEqual([ref]);
  });

  it('claim writes through adopt and release, so a subclass hears of every write', async () => {
    const owner = await make('f-owner', {});
    const ref = newControllerRef(owner, 'v1', 'ConfigMap');
    const written: string[] = [];
    class Observed extends ControllerRefManager {
      override async adopt(o: KObject) {
        const out = await super.adopt(o);
        written.push(`adopted ${out.metadata.name}@${out.metadata.resourceVersion}`);
        return out;
      }
      override async release(o: KObject) {
        const out = await super.release(o);
        if (out) written.push(`released ${out.metadata.name}@${out.metadata.resourceVersion}`);
        return out;
      }
    }
    const objs = [await make('f-orphan', { app: 'x' }), await make('f-mine-nomatch', { app: 'y' }, [ref]), await make('f-mine', { app: 'x' }, [ref])];
    const m = new Observed({
      kernel: t.kernel, ref: CM, owner, controllerRef: ref,
      match: (o) => o.metadata.labels?.app === 'x', canAdopt: recheckDeletionTimestamp(t.kernel, CM, owner),
    });
    expect((await m.claim(objs)).map((o) => o.metadata.name)).toEqual(['f-orphan', 'f-mine']);
    expect(written.sort()).toEqual([
      `adopted f-orphan@${(await get('f-orphan')).metadata.resourceVersion}`,
      `released f-mine-nomatch@${(await get('f-mine-nomatch')).metadata.resourceVersion}`,
    ]);
  });

  it('skips an orphan gone meanwhile, and a released object re-created under its name; other failures come together', async () => {
    const owner = await make('d-owner', {});
    const ref = newControllerRef(owner, 'v1', 'ConfigMap');
    const gone = await make('d-gone', { app: 'x' });
    await t.kernel.delete(CM, 'default', 'd-gone');
    const stale = await make('d-stale', { app: 'y' }, [ref]);
    await t.kernel.delete(CM, 'default', 'd-stale');
    const recreated = await make('d-stale', { app: 'y' }, [ref]);
    expect(await manager(owner).claim([gone, stale])).toEqual([]);
    expect((await get('d-stale')).metadata.ownerReferences).toEqual([ref]); // the new one is not touched
    expect(recreated.metadata.uid).not.toBe(stale.metadata.uid);
    // two orphans whose adoption fails (re-created: the uid in the patch no longer matches)
    const a = await make('d-a', { app: 'x' });
    const b = await make('d-b', { app: 'x' });
    await t.kernel.delete(CM, 'default', 'd-a');
    await t.kernel.delete(CM, 'default', 'd-b');
    await make('d-a', { app: 'x' });
    await make('d-b', { app: 'x' });
    await expect(manager(owner).claim([a, b])).rejects.toThrow(/^\[.+, .+\]$/);
  });
});
