// What a pod's persistentVolumeClaim, ephemeral and csi volumes stand for, before anything is
// mounted (kubelet's desired-state populator and the csi plugin's spec reading): the claim must
// exist, not be being deleted, and be Bound to a PV; an ephemeral volume's claim `<pod>-<volume>`
// must be owned by the pod; the PV is a CSI volume (driver, handle, attributes, secrets) or a
// hostPath / local path. Errors carry kube's messages (FailedMount shows them).
import type { csi } from '@skiff/node-api';
import { sha256 } from './csi-paths.ts';

type AccessMode = csi.AccessMode;
type StringMap = csi.StringMap;
import type { Pod, Volume } from './types.ts';

/** The objects volumes refer to; undefined when the object (or its kind) does not exist. */
export interface VolumeObjects {
  get(resource: 'persistentvolumeclaims' | 'persistentvolumes' | 'csidrivers' | 'volumeattachments' | 'secrets', namespace: string | undefined, name: string): Promise<Obj | undefined>;
}

export type Obj = { metadata: { name?: string; namespace?: string; uid?: string; deletionTimestamp?: string; ownerReferences?: { uid?: string; controller?: boolean }[]; [k: string]: unknown }; spec?: any; status?: any; [k: string]: unknown };

export interface SecretRef {
  namespace: string;
  name: string;
}

export interface CsiSource {
  kind: 'csi';
  /** the directory name under kubernetes.io~csi: the PV's name, or the inline volume's */
  specName: string;
  driver: string;
  volumeHandle: string;
  readOnly: boolean;
  fsType: string;
  mountOptions: string[];
  accessMode: AccessMode;
  /** PV accessModes (fsGroupPolicy ReadWriteOnceWithFSType looks at them) */
  pvAccessModes: string[];
  volumeAttributes: StringMap;
  nodeStageSecretRef?: SecretRef;
  nodePublishSecretRef?: SecretRef;
  nodeExpandSecretRef?: SecretRef;
  ephemeral: boolean;
  claim?: { namespace: string; name: string };
  /** the claim's status says FileSystemResizePending (the node grows the file system) */
  resizePending?: boolean;
}

export interface PathSource {
  kind: 'path';
  /** hostPath (used as is) or local (bind-mounted into the pod's directory) */
  type: 'hostPath' | 'local';
  specName: string;
  path: string;
  hostPathType?: string;
  readOnly: boolean;
  claim: { namespace: string; name: string };
}

export type PvSource = CsiSource | PathSource;

/** kube's asCSIAccessModeV1 (without the SINGLE_NODE_MULTI_WRITER capability). */
export function csiAccessMode(modes: readonly string[] | undefined): AccessMode {
  switch (modes?.[0]) {
    case 'ReadOnlyMany':
      return 'MULTI_NODE_READER_ONLY';
    case 'ReadWriteMany':
      return 'MULTI_NODE_MULTI_WRITER';
    case 'ReadWriteOncePod':
    case 'ReadWriteOnce':
    default:
      return 'SINGLE_NODE_WRITER';
  }
}

/** kube's makeVolumeHandle for an inline (ephemeral) CSI volume. */
export const ephemeralVolumeHandle = (podUid: string, volumeName: string) => `csi-${sha256(podUid + volumeName)}`;

const ref = (r: { name?: string; namespace?: string } | undefined, ns?: string): SecretRef | undefined =>
  r?.name ? { name: r.name, namespace: r.namespace ?? ns ?? 'default' } : undefined;

export function isPvVolume(v: Volume): boolean {
  return v.persistentVolumeClaim != null || v.ephemeral != null || v.csi != null;
}

/** What `v` (a persistentVolumeClaim, ephemeral or csi volume of `pod`) is. Throws kube's messages while it cannot be used. */
export async function resolvePvSource(pod: Pod, v: Volume, objects: VolumeObjects): Promise<PvSource> {
  const ns = pod.metadata.namespace ?? 'default';
  if (v.csi != null) {
    const c = v.csi as { driver?: string; readOnly?: boolean; fsType?: string; volumeAttributes?: StringMap; nodePublishSecretRef?: { name?: string } };
    if (!c.driver) throw new Error('csi volume has no driver');
    return {
      kind: 'csi',
      specName: v.name,
      driver: c.driver,
      volumeHandle: ephemeralVolumeHandle(pod.metadata.uid ?? '', v.name),
      readOnly: c.readOnly === true,
      fsType: c.fsType ?? '',
      mountOptions: [],
      accessMode: 'SINGLE_NODE_WRITER',
      pvAccessModes: [],
      volumeAttributes: { ...(c.volumeAttributes ?? {}) },
      nodePublishSecretRef: ref(c.nodePublishSecretRef, ns),
      ephemeral: true,
    };
  }
  let claimName: string;
  let readOnly = false;
  if (v.ephemeral != null) {
    claimName = `${pod.metadata.name}-${v.name}`;
  } else {
    const p = v.persistentVolumeClaim as { claimName?: string; readOnly?: boolean };
    claimName = p.claimName ?? '';
    readOnly = p.readOnly === true;
  }
  const pvc = await objects.get('persistentvolumeclaims', ns, claimName);
  if (!pvc) throw new Error(`error processing PVC ${ns}/${claimName}: failed to fetch PVC from API server: persistentvolumeclaims "${claimName}" not found`);
  if (v.ephemeral != null && !(pvc.metadata.ownerReferences ?? []).some((o) => o.uid === pod.metadata.uid && o.controller === true))
    throw new Error(`error processing PVC ${ns}/${claimName}: PVC ${ns}/${claimName} was not created for pod ${ns}/${pod.metadata.name} (pod is not owner)`);
  if (pvc.metadata.deletionTimestamp) throw new Error(`error processing PVC ${ns}/${claimName}: can't start pod because PVC ${ns}/${claimName} is being deleted`);
  const phase = pvc.status?.phase ?? '';
  const volumeName = pvc.spec?.volumeName ?? '';
  if (phase !== 'Bound' || !volumeName)
    throw new Error(`error processing PVC ${ns}/${claimName}: PVC ${ns}/${claimName} has non-bound phase ("${phase}") or empty pvc.Spec.VolumeName ("${volumeName}")`);
  const pv = await objects.get('persistentvolumes', undefined, volumeName);
  if (!pv) throw new Error(`error processing PVC ${ns}/${claimName}: failed to fetch PV "${volumeName}" from API server: persistentvolumes "${volumeName}" not found`);
  const claimRef = pv.spec?.claimRef as { uid?: string; name?: string; namespace?: string } | undefined;
  if (claimRef?.uid && claimRef.uid !== pvc.metadata.uid)
    throw new Error(`error processing PVC ${ns}/${claimName}: found PV object "${volumeName}" but it has a ClaimRef that is bound to a different PVC: expected ${pvc.metadata.uid}, got ${claimRef.uid}`);
  const claim = { namespace: ns, name: claimName };
  const spec = pv.spec ?? {};
  const mountOptions: string[] = spec.mountOptions ?? [];
  if (spec.csi) {
    const c = spec.csi as {
      driver?: string; volumeHandle?: string; readOnly?: boolean; fsType?: string; volumeAttributes?: StringMap;
      nodeStageSecretRef?: SecretRef; nodePublishSecretRef?: SecretRef; nodeExpandSecretRef?: SecretRef;
    };
    if (!c.driver || !c.volumeHandle) throw new Error(`PV ${volumeName} has no csi driver or volumeHandle`);
    return {
      kind: 'csi',
      specName: volumeName,
      driver: c.driver,
      volumeHandle: c.volumeHandle,
      readOnly: readOnly || c.readOnly === true,
      fsType: c.fsType ?? '',
      mountOptions,
      accessMode: csiAccessMode(spec.accessModes),
      pvAccessModes: spec.accessModes ?? [],
      volumeAttributes: { ...(c.volumeAttributes ?? {}) },
      nodeStageSecretRef: ref(c.nodeStageSecretRef),
      nodePublishSecretRef: ref(c.nodePublishSecretRef),
      nodeExpandSecretRef: ref(c.nodeExpandSecretRef),
      ephemeral: false,
      claim,
      resizePending: ((pvc.status?.conditions ?? []) as { type?: string; status?: string }[]).some((c) => c.type === 'FileSystemResizePending' && (c.status ?? 'True') === 'True'),
    };
  }
  if (spec.hostPath) return { kind: 'path', type: 'hostPath', specName: volumeName, path: spec.hostPath.path, hostPathType: spec.hostPath.type, readOnly, claim };
  if (spec.local) return { kind: 'path', type: 'local', specName: volumeName, path: spec.local.path, readOnly, claim };
  const src = Object.keys(spec).find((k) => !['capacity', 'accessModes', 'claimRef', 'persistentVolumeReclaimPolicy', 'storageClassName', 'volumeMode', 'nodeAffinity', 'mountOptions', 'volumeAttributesClassName'].includes(k));
  throw new Error(`PV ${volumeName}: volume source ${src ?? 'none'} is not supported on this node`);
}

/** The data of a Secret a volume refers to, decoded (kube's getCredentialsFromSecret). */
export async function secretData(objects: VolumeObjects, r: SecretRef | undefined, what: string): Promise<StringMap> {
  if (!r) return {};
  const s = await objects.get('secrets', r.namespace, r.name);
  if (!s) throw new Error(`fetching ${what} ${r.namespace}/${r.name} failed: secrets "${r.name}" not found`);
  const data = (s.data ?? {}) as Record<string, string>;
  return Object.fromEntries(Object.entries(data).map(([k, b]) => [k, Buffer.from(b, 'base64').toString('utf8')]));
}
