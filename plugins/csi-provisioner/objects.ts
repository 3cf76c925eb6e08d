// The storage objects the node provisioner reads and writes, as far as it reads them, and the
// annotations, finalizer and conversions of kube's external-provisioner / external-resizer that
// the rest of Skiff (the PV controller, the scheduler, the kubelet) agrees on.
import { ANN_BETA_STORAGE_PROVISIONER, ANN_STORAGE_PROVISIONER, type KObject, type StorageClass } from '@skiff/api';
import type { csi } from '@skiff/node-api';

// (the annotations and the StorageClass type are @skiff/api's, shared with the PV controller and the
// scheduler; re-exported here for this plugin's modules)
export { ANN_BETA_STORAGE_PROVISIONER, ANN_PROVISIONED_BY, ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER } from '@skiff/api';
export type { StorageClass } from '@skiff/api';
export const PROVISIONER_FINALIZER = 'external-provisioner.volume.kubernetes.io/finalizer';
/** StorageClass parameters with this prefix are for the provisioner, not the driver */
export const CSI_PARAMETER_PREFIX = 'csi.storage.k8s.io/';
export const FSTYPE_PARAMETER = 'csi.storage.k8s.io/fstype';
export const FS_RESIZE_PENDING = 'FileSystemResizePending';

export interface PvcCondition {
  type: string;
  status: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface Pvc extends KObject {
  spec: {
    accessModes?: string[];
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    volumeName?: string;
    storageClassName?: string;
    volumeMode?: string;
    dataSource?: unknown;
  };
  status?: { phase?: string; capacity?: Record<string, string>; conditions?: PvcCondition[]; allocatedResources?: Record<string, string>; [k: string]: unknown };
}

export interface NodeSelectorTerm {
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface Pv extends KObject {
  spec: {
    capacity?: Record<string, string>;
    accessModes?: string[];
    claimRef?: { kind?: string; apiVersion?: string; namespace?: string; name?: string; uid?: string; resourceVersion?: string };
    persistentVolumeReclaimPolicy?: string;
    storageClassName?: string;
    volumeMode?: string;
    mountOptions?: string[];
    csi?: { driver: string; volumeHandle: string; fsType?: string; volumeAttributes?: Record<string, string> };
    nodeAffinity?: { required?: { nodeSelectorTerms: NodeSelectorTerm[] } };
  };
  status?: { phase?: string; [k: string]: unknown };
}

/** The driver a PVC is to be provisioned by (the PV controller's annotation, GA or beta). */
export function provisionerOf(pvc: KObject): string | undefined {
  const a = pvc.metadata.annotations ?? {};
  return a[ANN_STORAGE_PROVISIONER] || a[ANN_BETA_STORAGE_PROVISIONER] || undefined;
}

/** external-provisioner's names: "pvc-<claim uid>" for the volume and its PV. */
export const pvNameFor = (pvc: KObject) => `pvc-${pvc.metadata.uid}`;

const MODE: Record<string, csi.AccessMode> = {
  ReadWriteOnce: 'SINGLE_NODE_WRITER',
  ReadWriteOncePod: 'SINGLE_NODE_SINGLE_WRITER',
  ReadOnlyMany: 'MULTI_NODE_READER_ONLY',
  ReadWriteMany: 'MULTI_NODE_MULTI_WRITER',
};

/** One CSI volume capability per access mode, as external-provisioner asks them. */
export function volumeCapabilities(accessModes: readonly string[], fsType: string, mountFlags: readonly string[], block: boolean): csi.Input<csi.VolumeCapability>[] {
  return accessModes.map((m) => ({
    ...(block ? { block: {} } : { mount: { fsType, mountFlags: [...mountFlags] } }),
    accessMode: { mode: MODE[m] ?? 'UNKNOWN' },
  }));
}

const UNITS: [string, number][] = [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]];

/** Bytes as a quantity in the largest binary unit dividing it ("1Gi", "300Mi", "1234"). */
export function bytesQuantity(n: number): string {
  for (const [unit, size] of UNITS) if (n >= size && n % size === 0) return `${n / size}${unit}`;
  return String(n);
}

/** The driver's parameters of a class: every parameter but the csi.storage.k8s.io/ ones. */
export function driverParameters(sc: StorageClass): Record<string, string> {
  return Object.fromEntries(Object.entries(sc.parameters ?? {}).filter(([k]) => !k.startsWith(CSI_PARAMETER_PREFIX)));
}

/** The PV's node affinity for a volume's accessible topology (each segment map one term). */
export function nodeAffinityFor(topology: readonly csi.Topology[]): Pv['spec']['nodeAffinity'] {
  const terms = topology
    .filter((t) => Object.keys(t.segments ?? {}).length)
    .map((t) => ({ matchExpressions: Object.entries(t.segments).sort(([a], [b]) => a.localeCompare(b)).map(([key, v]) => ({ key, operator: 'In', values: [v] })) }));
  return terms.length ? { required: { nodeSelectorTerms: terms } } : undefined;
}
