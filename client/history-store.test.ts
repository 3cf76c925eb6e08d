import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROLLER_REVISIONS, type ControllerRevision, type KObject } from '@skiff/api';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { hashControllerRevision, newControllerRevision, revisionDataJson, templatePatch } from './history.ts';
import { createControllerRevision, updateControllerRevision } from './history-store.ts';

let t: TestKernel;
beforeAll(async () => {
  t = await startTestKernel();
});
afterAll(() => t?.stop());

const parent = (name: string): KObject => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name, namespace: 'default', uid: `uid-${name}` } });
const ref = (name: string) => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', name, uid: `uid-${name}`, controller: true });
const revisionOf = (name: string, image: string, n = 1) =>
  newControllerRevision(parent(name), ref(name), { app: name }, templatePatch({ spec: { containers: [{ name: 'c', image }] } }), n, 0);

describe('createControllerRevision', () => {
  it('creates under the hash name, and returns the stored one when the same data is there already', async () => {
    const r = revisionOf('one', 'a');
    const first = await createControllerRevision(t.kernel, parent('one'), r, 0);
    expect(first.collisionCount).toBe(0);
    expect(first.rev.metadata.name).toBe(r.metadata.name);
    expect(first.rev.metadata.uid).toBeDefined();
    const again = await createControllerRevision(t.kernel, parent('one'), revisionOf('one', 'a', 5), 0);
    expect(again.rev.metadata.uid).toBe(first.rev.metadata.uid);
    expect(again.rev.revision).toBe(1);
  });

  it('raises the collision count past names held by other data', async () => {
    const r = revisionOf('two', 'b');
    const json = revisionDataJson(r);
    // squat the names of counts 0 and 1 with other data
    for (const n of [0, 1]) {
      await t.kernel.create(CONTROLLER_REVISIONS, {
        apiVersion: 'apps/v1', kind: 'ControllerRevision',
        metadata: { name: `two-${hashControllerRevision(json, n)}`, namespace: 'default' }, data: { other: n }, revision: 1,
      } as ControllerRevision);
    }
    const made = await createControllerRevision(t.kernel, parent('two'), r, 0);
    expect(made.collisionCount).toBe(2);
    expect(made.rev.metadata.name).toBe(`two-${hashControllerRevision(json, 2)}`);
    expect(revisionDataJson(made.rev)).toBe(json);
  });
});

describe('updateControllerRevision', () => {
  it('re-numbers, retrying on a conflict with the stored version', async () => {
    const { rev } = await createControllerRevision(t.kernel, parent('three'), revisionOf('three', 'c'), 0);
    // someone else writes first: our copy is stale
    await t.kernel.patch(CONTROLLER_REVISIONS, 'default', rev.metadata.name!, 'merge', { metadata: { labels: { touched: 'yes' } } });
    const updated = await updateControllerRevision(t.kernel, rev, 4);
    expect(updated.revision).toBe(4);
    expect(updated.metadata.labels?.touched).toBe('yes');
    expect(await updateControllerRevision(t.kernel, updated, 4)).toBe(updated); // nothing to do
  });
});
