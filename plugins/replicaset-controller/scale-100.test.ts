// 100 ReplicaSets × 100 replicas converge: 10,000 pods, each ReplicaSet's status at 100 replicas,
// no duplicates. The hot path of the 10,000-pod benchmark; the time is printed, not asserted
// (benchmarks report numbers; tests assert behaviour).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getControllerOf, REPLICA_SETS, type ReplicaSet } from '@skiff/api';
import { eventually, startControllers, type ControllerTestEnv } from '../../client/testing.ts';
import controller from './plugin.ts';
import { allPods, NS, replicaSet } from './testing.ts';

const SETS = 100;
const REPLICAS = 100;

let env: ControllerTestEnv;
beforeAll(async () => {
  env = await startControllers([{ descriptor: controller }]);
});
afterAll(() => env?.stop());

describe(`replicaset-controller: ${SETS} ReplicaSets × ${REPLICAS} replicas`, () => {
  it('converges to exactly spec.replicas pods each', { timeout: 180_000 }, async () => {
    const k = env.t.kernel;
    const t0 = performance.now();
    const sets = (await Promise.all(
      Array.from({ length: SETS }, (_, i) => k.create(REPLICA_SETS, replicaSet(`scale-${i}`, { replicas: REPLICAS }))),
    )) as ReplicaSet[];
    const created = performance.now();
    await eventually(
      async () => {
        const list = (await k.list(REPLICA_SETS, { namespace: NS })).items as ReplicaSet[];
        return list.filter((r) => r.metadata.name!.startsWith('scale-') && r.status?.replicas === REPLICAS && r.status.observedGeneration === 1).length === SETS;
      },
      150_000,
      'every status at 100 replicas',
      200,
    );
    const converged = performance.now();
    const pods = await allPods(k);
    const byOwner = new Map<string, number>();
    for (const p of pods) {
      const uid = getControllerOf(p)?.uid;
      if (uid) byOwner.set(uid, (byOwner.get(uid) ?? 0) + 1);
    }
    expect(pods.length).toBe(SETS * REPLICAS);
    expect(sets.every((r) => byOwner.get(r.metadata.uid!) === REPLICAS)).toBe(true);
    console.log(
      `[scale-100] ${SETS}×${REPLICAS}: ReplicaSets created in ${Math.round(created - t0)} ms; ` +
        `all ${SETS * REPLICAS} pods created and counted in status after ${Math.round(converged - t0)} ms`,
    );
    expect(env.warnings).toEqual([]);
  });
});
