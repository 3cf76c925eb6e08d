// Storage through `skiff server` and kubectl 1.32: the storage kinds' columns and short names, the
// default class marked "(default)" and given to claims without one, a static volume bound by the PV
// controller, and kube's refusals of a resize (403 when the class does not allow expansion, 422
// for a shrink) as kubectl shows them. The storage plugins are added to the default distribution.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlFor, until, type Kubectl } from './kubectl-client.ts';
import { startSkiff, type SkiffProcess } from './skiff-process.ts';

let home: string;
let server: SkiffProcess;
let kubectl: Kubectl;
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'skiff-storage-kubectl-'));
  // the default distribution has the storage plugins
  server = await startSkiff(home);
  kubectl = kubectlFor(server.kubeconfig, home);
}, 120_000);
afterAll(async () => {
  await server?.kill('SIGTERM');
  if (home) rmSync(home, { recursive: true, force: true });
});

const apply = (name: string, yaml: string) => {
  const f = join(home, `${name}.yaml`);
  writeFileSync(f, yaml);
  return kubectl('apply', '-f', f);
};

const CLASSES = `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: hostpath.csi.skiff.io
volumeBindingMode: WaitForFirstConsumer
allowVolumeExpansion: true
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: manual
provisioner: kubernetes.io/no-provisioner
reclaimPolicy: Retain
`;
const VOLUME = `apiVersion: v1
kind: PersistentVolume
metadata:
  name: disk1
spec:
  capacity: {storage: 2Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: manual
  hostPath: {path: /tmp/skiff-disk1}
`;
const CLAIMS = `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: manual
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: classless
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`;

describe('storage with kubectl', () => {
  it('get storageclass: kube\'s columns, "(default)", the short name sc', () => {
    expect(apply('classes', CLASSES)).toMatchObject({ code: 0 });
    const r = kubectl('get', 'sc');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE\n/);
    expect(r.out).toMatch(/\nmanual\s+kubernetes\.io\/no-provisioner\s+Retain\s+Immediate\s+false\s+\d+s\n/);
    expect(r.out).toMatch(/\nstandard \(default\)\s+hostpath\.csi\.skiff\.io\s+Delete\s+WaitForFirstConsumer\s+true\s+\d+s\n/);
  });

  it('a claim binds a static volume; a claim without a class gets the default; pv and pvc columns', async () => {
    expect(apply('volume', VOLUME)).toMatchObject({ code: 0 });
    expect(apply('claims', CLAIMS)).toMatchObject({ code: 0 });
    await until(() => kubectl.json('get', 'pvc', 'data').status?.phase === 'Bound', 'data Bound');
    expect(kubectl.json('get', 'pvc', 'classless').spec.storageClassName).toBe('standard');
    const pvc = kubectl('get', 'pvc', 'data', '-o', 'wide');
    expect(pvc.out).toMatch(/^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE\s+VOLUMEMODE\ndata\s+Bound\s+disk1\s+2Gi\s+RWO\s+manual\s+<unset>\s+\d+s\s+Filesystem\n$/);
    const pv = kubectl('get', 'pv');
    expect(pv.out).toMatch(/^NAME\s+CAPACITY\s+ACCESS MODES\s+RECLAIM POLICY\s+STATUS\s+CLAIM\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+REASON\s+AGE\ndisk1\s+2Gi\s+RWO\s+Retain\s+Bound\s+default\/data\s+manual\s+<unset>\s+\d+s\n$/);
    expect(kubectl.json('get', 'pvc', 'data').metadata.finalizers).toEqual(['kubernetes.io/pvc-protection']);
  });

  it('a resize the class does not allow is forbidden (403); a shrink is invalid (422)', () => {
    const grow = kubectl('patch', 'pvc', 'data', '--type=merge', '-p', '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}');
    expect(grow.code).not.toBe(0);
    expect(grow.err).toContain('persistentvolumeclaims "data" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize');
    const shrink = kubectl('patch', 'pvc', 'data', '--type=merge', '-p', '{"spec":{"resources":{"requests":{"storage":"500Mi"}}}}');
    expect(shrink.code).not.toBe(0);
    expect(shrink.err).toContain('The PersistentVolumeClaim "data" is invalid');
    expect(shrink.err).toContain('spec.resources.requests.storage: Forbidden: field can not be less than previous value');
  });
});
