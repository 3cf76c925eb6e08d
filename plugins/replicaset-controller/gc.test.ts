// Deleting a ReplicaSet with the garbage collector running: its pods (controller, blockOwnerDeletion
// references) go with it in the background and in the foreground; with Orphan they stay, released.
// A ReplicaSet being deleted creates no replacement for the pods the collector deletes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLICA_SETS, type ReplicaSet } from '@skiff/api';
import gc from '@skiff/plugin-garbage-collector';
import { eventually, sleep, startControllers, type ControllerTestEnv } from '../../client/testing.ts';
import controller from './plugin.ts';
import { allPods, createRS, NS, podsOf } from './testing.ts';

let env: ControllerTestEnv;
beforeAll(async () => {
  env = await startControllers([{ descriptor: controller }, { descriptor: gc, config: { resyncSeconds: 1 } }]);
});
afterAll(() => env?.stop());

const k = () => env.t.kernel;
const exists = (name: string) => k().get(REPLICA_SETS, NS, name).then(() => true, () => false);
const labelled = async (app: string) => (await allPods(k())).filter((p) => p.metadata.labels?.app === app);

async function withPods(name: string, replicas: number): Promise<ReplicaSet> {
  const rs = await createRS(k(), name, { replicas });
  await eventually(async () => (await podsOf(k(), rs)).length === replicas, 10_000, `${replicas} pods of ${name}`);
  return rs;
}

describe('replicaset-controller with the garbage collector', () => {
  it('background deletion removes the pods', async () => {
    await withPods('bg', 5);
    await k().delete(REPLICA_SETS, NS, 'bg', { propagationPolicy: 'Background' });
    await eventually(async () => (await labelled('bg')).length === 0, 10_000, 'pods collected');
    expect(await exists('bg')).toBe(false);
  });

  it('foreground deletion removes the pods first, creating no replacements meanwhile', async () => {
    await withPods('fg', 5);
    await k().delete(REPLICA_SETS, NS, 'fg', { propagationPolicy: 'Foreground' });
    const marked = (await k().get(REPLICA_SETS, NS, 'fg')) as ReplicaSet;
    expect(marked.metadata.finalizers).toContain('foregroundDeletion');
    await eventually(async () => !(await exists('fg')), 10_000, 'the ReplicaSet gone after its pods');
    await sleep(300);
    expect(await labelled('fg')).toEqual([]);
  });

  it('orphan deletion keeps the pods, without their reference', async () => {
    await withPods('orph', 3);
    await k().delete(REPLICA_SETS, NS, 'orph', { propagationPolicy: 'Orphan' });
    await eventually(async () => !(await exists('orph')), 10_000);
    const pods = await eventually(async () => {
      const ps = await labelled('orph');
      return ps.every((p) => !p.metadata.ownerReferences?.length) ? ps : undefined;
    });
    expect(pods).toHaveLength(3);
    expect(pods.every((p) => !p.metadata.deletionTimestamp)).toBe(true);
  });

  it('warned about nothing', () => {
    expect(env.warnings).toEqual([]);
  });
});
