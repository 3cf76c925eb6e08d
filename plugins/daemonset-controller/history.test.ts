// History against a real kernel: revisions made, found again, renumbered, merged, adopted, and a hash
// collision resolved by collisionCount.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROLLER_REVISIONS, DAEMON_SETS, PODS, newControllerRef, type ControllerRevision, type DaemonSet, type Pod } from '@skiff/api';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { computeHash, revisionMatches } from '@skiff/client';
import { constructHistory, revisionData } from './history.ts';
import { REVISION_HASH_LABEL } from './pod-template.ts';
import { daemonSet, editDaemonSet } from './testing.ts';

let t: TestKernel;
beforeAll(async () => {
  t = await startTestKernel();
});
afterAll(() => t?.stop());

const get = async (name: string) => (await t.kernel.get(DAEMON_SETS, 'default', name)) as DaemonSet;
const revs = async (ds: DaemonSet) =>
  ((await t.kernel.list(CONTROLLER_REVISIONS, { namespace: 'default' })).items as ControllerRevision[])
    .filter((r) => r.metadata.ownerReferences?.some((o) => o.uid === ds.metadata.uid))
    .sort((a, b) => a.revision - b.revision);
async function history(ds: DaemonSet, pods: Pod[] = []) {
  const revisions = (await t.kernel.list(CONTROLLER_REVISIONS, { namespace: 'default' })).items as ControllerRevision[];
  return constructHistory({ kernel: t.kernel, ds, controllerRef: newControllerRef(ds, 'apps/v1', 'DaemonSet'), revisions, pods: async () => pods });
}

describe('constructHistory', () => {
  it('makes one revision per template, renumbers a template that comes back', async () => {
    await t.kernel.create(DAEMON_SETS, daemonSet('h1'));
    const h = await history(await get('h1'));
    expect(h.cur.metadata.name).toBe(`h1-${h.hash}`);
    expect(h.hash).toBe(computeHash((await get('h1')).spec!.template));
    expect(h.cur.revision).toBe(1);
    expect(h.cur.metadata.labels).toEqual({ app: 'h1', [REVISION_HASH_LABEL]: h.hash });
    expect(h.cur.data).toEqual(revisionData(await get('h1')));
    expect((await history(await get('h1'))).cur.metadata.uid).toBe(h.cur.metadata.uid);

    await editDaemonSet(t.kernel, 'default', 'h1', (d) => void (d.spec!.template.spec!.containers[0].image = 'v2'));
    const h2 = await history(await get('h1'));
    expect(h2.cur.revision).toBe(2);
    expect(h2.old.map((r) => r.metadata.name)).toEqual([h.cur.metadata.name]);
    await editDaemonSet(t.kernel, 'default', 'h1', (d) => void (d.spec!.template.spec!.containers[0].image = 'agent:1'));
    const h3 = await history(await get('h1'));
    expect(h3.cur.metadata.name).toBe(h.cur.metadata.name);
    expect((await revs(await get('h1'))).map((r) => [r.metadata.name, r.revision])).toEqual([[h2.cur.metadata.name, 2], [h.cur.metadata.name, 3]]);
  });

  it('merges duplicates of the current revision into the highest, relabelling pods', async () => {
    const ds = (await t.kernel.create(DAEMON_SETS, daemonSet('h2'))) as DaemonSet;
    const h = await history(ds);
    await t.kernel.create(CONTROLLER_REVISIONS, {
      ...h.cur, metadata: { name: 'h2-dup', namespace: 'default', labels: { app: 'h2', [REVISION_HASH_LABEL]: 'dup' }, ownerReferences: h.cur.metadata.ownerReferences }, revision: 7,
    } as ControllerRevision);
    const pod = (await t.kernel.create(PODS, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'h2-pod', namespace: 'default', labels: { app: 'h2', [REVISION_HASH_LABEL]: h.hash }, ownerReferences: [newControllerRef(ds, 'apps/v1', 'DaemonSet')] },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    })) as Pod;
    const merged = await history(ds, [pod]);
    expect(merged.cur.metadata.name).toBe('h2-dup');
    expect(merged.hash).toBe('dup');
    expect((await revs(ds)).map((r) => r.metadata.name)).toEqual(['h2-dup']);
    expect(((await t.kernel.get(PODS, 'default', 'h2-pod')) as Pod).metadata.labels?.[REVISION_HASH_LABEL]).toBe('dup');
  });

  it('adopts a matching orphan revision and labels it with its name when it lacks a hash', async () => {
    const ds = (await t.kernel.create(DAEMON_SETS, daemonSet('h3'))) as DaemonSet;
    await t.kernel.create(CONTROLLER_REVISIONS, {
      apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'h3-orphan', namespace: 'default', labels: { app: 'h3' } }, data: revisionData(ds), revision: 1,
    } as ControllerRevision);
    const h = await history(ds);
    expect(h.cur.metadata.name).toBe('h3-orphan');
    expect(h.hash).toBe('h3-orphan');
    const [r] = await revs(ds);
    expect(r.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'DaemonSet', name: 'h3', controller: true });
  });

  it('resolves a name collision with another template by bumping collisionCount', async () => {
    const ds = (await t.kernel.create(DAEMON_SETS, daemonSet('h4'))) as DaemonSet;
    const taken = `h4-${computeHash(ds.spec!.template)}`;
    await t.kernel.create(CONTROLLER_REVISIONS, {
      apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: taken, namespace: 'default', labels: { other: 'x' } }, data: { spec: { template: { other: true } } }, revision: 1,
    } as ControllerRevision);
    await expect(history(ds)).rejects.toMatchObject({ code: 409 });
    const bumped = await get('h4');
    expect(bumped.status?.collisionCount).toBe(1);
    // a stale count is not bumped twice
    await expect(history(ds)).rejects.toThrow(/stale collision count/);
    const h = await history(bumped);
    expect(h.hash).toBe(computeHash(ds.spec!.template, 1));
    expect(h.cur.metadata.name).not.toBe(taken);
    expect(revisionMatches(bumped, h.cur)).toBe(true);
  });
});
