// volumeClaimTemplates end to end in the control plane: the claims the controller makes bind through
// the PV controller, from the default class (a test provisioner playing the node provisioner's
// part, issue 14's contract) or from a static pool; a deleted replica comes back to its own claim,
// still bound to the same volume.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PODS, PVCS, PVS, STORAGE_CLASSES, type PersistentVolumeClaim } from '@skiff/api';
import { startControllers, type ControllerTestEnv } from '../../client/testing.ts';
import pvController from '../persistentvolume-controller/plugin.ts';
import { startTestProvisioner, type TestProvisioner } from '../persistentvolume-controller/testing.ts';
import storageAdmission from '../storage-admission/plugin.ts';
import descriptor from './plugin.ts';
import { autoReady, createNamespace, createSet, eventually, getPod, listClaims, statefulSet } from './testing.ts';

let env: ControllerTestEnv;
let prov: TestProvisioner;
const k = () => env.t.kernel;
const DRIVER = 'hostpath.csi.skiff.io';

beforeAll(async () => {
  env = await startControllers([{ descriptor }, { descriptor: pvController }]);
  await env.host.load([{ descriptor: storageAdmission }]);
  prov = startTestProvisioner(env.t.kernel, { driver: DRIVER });
});
afterAll(async () => {
  prov?.stop();
  await env?.stop();
});

const allBound = (ns: string, n: number) =>
  eventually(async () => {
    const claims = await listClaims(k(), ns);
    return claims.length === n && claims.every((c) => c.status?.phase === 'Bound') ? claims : undefined;
  }, 30_000, `${n} claims Bound in ${ns}`); // OrderedReady: one pod (and its claim) after the other

describe('StatefulSet claims bind', () => {
  it('3 replicas of a set whose template names no class: 3 claims of the default class, provisioned and Bound', async () => {
    await k().create(STORAGE_CLASSES, {
      apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: DRIVER,
    });
    const ns = 'dyn';
    await createNamespace(k(), ns);
    const ready = autoReady(k(), ns);
    await createSet(k(), statefulSet(ns, 'db', {
      replicas: 3,
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    }));
    const claims = await allBound(ns, 3);
    expect(claims.map((c) => c.metadata.name).sort()).toEqual(['data-db-0', 'data-db-1', 'data-db-2']);
    expect(claims.map((c) => c.spec?.storageClassName)).toEqual(['standard', 'standard', 'standard']);
    expect(new Set(claims.map((c) => c.spec?.volumeName)).size).toBe(3);
    for (const c of claims) expect(c.spec?.volumeName).toBe(`pvc-${c.metadata.uid}`);

    // a deleted replica comes back to its own claim and volume
    const before = claims.find((c) => c.metadata.name === 'data-db-1')!;
    const pod1 = (await getPod(k(), ns, 'db-1'))!;
    await k().delete(PODS, ns, 'db-1', { gracePeriodSeconds: 0 });
    const again = await eventually(async () => { const p = await getPod(k(), ns, 'db-1'); return p && p.metadata.uid !== pod1.metadata.uid ? p : undefined; }, 15_000, 'db-1 again');
    expect(again.spec?.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'data-db-1' } }]);
    const after = (await k().get(PVCS, ns, 'data-db-1')) as PersistentVolumeClaim;
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.spec?.volumeName).toBe(before.spec?.volumeName);
    ready.stop();
  });

  it('a static pool: each claim gets its own volume', async () => {
    for (let i = 0; i < 3; i++) {
      await k().create(PVS, {
        apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: `pool-${i}` },
        spec: { capacity: { storage: '2Gi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'pool', hostPath: { path: `/tmp/pool-${i}` } },
      });
    }
    const ns = 'pool';
    await createNamespace(k(), ns);
    const ready = autoReady(k(), ns);
    await createSet(k(), statefulSet(ns, 'web', {
      replicas: 3,
      volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'pool', resources: { requests: { storage: '1Gi' } } } }],
    }));
    const claims = await allBound(ns, 3);
    expect(claims.map((c) => c.spec?.volumeName).sort()).toEqual(['pool-0', 'pool-1', 'pool-2']);
    ready.stop();
  });
});
