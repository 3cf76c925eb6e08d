// A test stand-in for the node provisioner (the csi helper's, in the agent), following issue 14's
// contract: a claim annotated with our driver as its storage provisioner (and, for
// WaitForFirstConsumer, selected-node = our node) gets a PV `pvc-<claim uid>` pre-bound to it
// (claimRef with uid, provisioned-by, the provisioner's finalizer, reclaim policy from the class,
// node affinity to our node); a Released Delete PV of ours is deleted. It polls: tests only.
import {
  ANN_PROVISIONED_BY, ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER, claimClassName, PVCS, PVS, STORAGE_CLASSES,
  type PersistentVolume, type PersistentVolumeClaim, type StorageClass,
} from '@skiff/api';
import type { Kernel } from '@skiff/kernel';

export const PROVISIONER_FINALIZER = 'external-provisioner.volume.kubernetes.io/finalizer';

export interface TestProvisioner {
  /** PV names created so far */
  created: string[];
  deleted: string[];
  stop(): void;
}

export function startTestProvisioner(kernel: Kernel, opts: { driver: string; node?: string; topologyKey?: string; intervalMs?: number }): TestProvisioner {
  const created: string[] = [];
  const deleted: string[] = [];
  let stopped = false;
  const tick = async () => {
    const claims = (await kernel.list(PVCS)).items as PersistentVolumeClaim[];
    const volumes = new Map(((await kernel.list(PVS)).items as PersistentVolume[]).map((v) => [v.metadata.name, v]));
    for (const c of claims) {
      const ann = c.metadata.annotations ?? {};
      if (ann[ANN_STORAGE_PROVISIONER] !== opts.driver || c.spec?.volumeName || c.metadata.deletionTimestamp) continue;
      const selected = ann[ANN_SELECTED_NODE];
      if (selected && opts.node && selected !== opts.node) continue;
      const name = `pvc-${c.metadata.uid}`;
      if (volumes.has(name)) continue;
      const cls = (await kernel.get(STORAGE_CLASSES, undefined, claimClassName(c))) as StorageClass;
      const node = selected ?? opts.node;
      const pv: PersistentVolume = {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name, annotations: { [ANN_PROVISIONED_BY]: opts.driver }, finalizers: [PROVISIONER_FINALIZER] },
        spec: {
          capacity: { storage: c.spec?.resources?.requests?.storage ?? '1Gi' },
          accessModes: c.spec?.accessModes,
          persistentVolumeReclaimPolicy: cls.reclaimPolicy ?? 'Delete',
          storageClassName: cls.metadata.name,
          volumeMode: c.spec?.volumeMode ?? 'Filesystem',
          claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: c.metadata.namespace, name: c.metadata.name, uid: c.metadata.uid },
          csi: { driver: opts.driver, volumeHandle: `vol-${c.metadata.uid}` },
          ...(node && opts.topologyKey
            ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: opts.topologyKey, operator: 'In', values: [node] }] }] } } }
            : {}),
        },
      };
      await kernel.create(PVS, pv);
      created.push(name);
    }
    for (const v of volumes.values()) {
      if (v.metadata.annotations?.[ANN_PROVISIONED_BY] !== opts.driver || v.status?.phase !== 'Released' || v.spec?.persistentVolumeReclaimPolicy !== 'Delete') continue;
      if (v.metadata.finalizers?.includes(PROVISIONER_FINALIZER))
        await kernel.update(PVS, { ...v, metadata: { ...v.metadata, finalizers: v.metadata.finalizers.filter((f) => f !== PROVISIONER_FINALIZER) } });
      if (!v.metadata.deletionTimestamp) await kernel.delete(PVS, undefined, v.metadata.name!);
      deleted.push(v.metadata.name!);
    }
  };
  const loop = async () => {
    while (!stopped) {
      await tick().catch(() => undefined); // conflicts and races: the next round retries
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
    }
  };
  void loop();
  return {
    created,
    deleted,
    stop: () => void (stopped = true),
  };
}
