// What the PV controller, the scheduler's volume policies and the kubelet say alike about
// PersistentVolumes and claims: kube's annotations, a claim's class, which volume fits a claim
// (pkg/controller/volume/persistentvolume/util: FindMatchingVolume, CheckVolumeModeMismatches), the
// claims a pod uses (generic ephemeral volumes included) and a PV's node affinity.
import { selectorMatches } from './label-selector.ts';
import { nodeSelectorTermsMatch, type NodeSelectorTarget } from './node-selector.ts';
import { tryParseQuantity } from './quantity.ts';
import type { PersistentVolume, PersistentVolumeClaim } from './types/core.ts';
import type { Pod } from './types/core-pod.ts';
import type { KObject } from './types/meta.ts';
import type { StorageClass } from './types/storage.ts';

/** The PV controller finished binding the claim (on PVCs). */
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
/** The controller (not the user) bound it (on PVs and PVCs). */
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
/** The provisioner that made the PV (on PVs). */
export const ANN_PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
/** The provisioner asked to make a volume for the claim (on PVCs), GA and beta spelling. */
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
/** WaitForFirstConsumer: the node the scheduler chose (on PVCs). */
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
/** The class of a PV or PVC, before spec.storageClassName existed. */
export const ANN_BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';
/** A class's provisioner that never provisions (static local volumes). */
export const NO_PROVISIONER = 'kubernetes.io/no-provisioner';
export const ANN_IS_DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
export const ANN_BETA_IS_DEFAULT_CLASS = 'storageclass.beta.kubernetes.io/is-default-class';
export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

/** GetPersistentVolumeClaimClass: the beta annotation, else spec.storageClassName, else "". */
export function claimClassName(pvc: PersistentVolumeClaim): string {
  const beta = pvc.metadata.annotations?.[ANN_BETA_STORAGE_CLASS];
  return beta ?? pvc.spec?.storageClassName ?? '';
}

/** GetPersistentVolumeClass */
export function volumeClassName(pv: PersistentVolume): string {
  const beta = pv.metadata.annotations?.[ANN_BETA_STORAGE_CLASS];
  return beta ?? pv.spec?.storageClassName ?? '';
}

/** Bytes of a claim's storage request (0 when missing or malformed). */
export const claimRequest = (pvc: PersistentVolumeClaim): number => tryParseQuantity(pvc.spec?.resources?.requests?.storage) ?? 0;
/** Bytes of a PV's capacity (0 when missing or malformed). */
export const volumeCapacity = (pv: PersistentVolume): number => tryParseQuantity(pv.spec?.capacity?.storage) ?? 0;

/** Does the volume offer every access mode the claim asks for? */
export function accessModesContain(offered: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  const have = new Set(offered ?? []);
  return (wanted ?? []).every((m) => have.has(m));
}

/** Is the volume's claimRef this claim (by namespace and name; and by uid when the ref has one)? */
export function isVolumeBoundToClaim(pv: PersistentVolume, pvc: PersistentVolumeClaim): boolean {
  const ref = pv.spec?.claimRef;
  if (!ref || ref.name !== pvc.metadata.name || (ref.namespace ?? '') !== (pvc.metadata.namespace ?? '')) return false;
  return !ref.uid || ref.uid === pvc.metadata.uid;
}

/**
 * FindMatchingVolume: the smallest volume that fits the claim (class, volume mode, access modes,
 * capacity, selector), a volume pre-bound to the claim first. With `delayBinding`
 * (WaitForFirstConsumer) only pre-bound volumes are taken here: free ones wait for the scheduler.
 * `node`: only volumes whose node affinity admits it (the scheduler's check).
 */
export function findMatchingVolume(
  pvc: PersistentVolumeClaim,
  volumes: Iterable<PersistentVolume>,
  opts: { delayBinding?: boolean; node?: NodeSelectorTarget; exclude?: ReadonlySet<string> } = {},
): PersistentVolume | undefined {
  const want = claimRequest(pvc);
  const cls = claimClassName(pvc);
  const mode = pvc.spec?.volumeMode ?? 'Filesystem';
  const selector = pvc.spec?.selector;
  let best: PersistentVolume | undefined;
  for (const pv of volumes) {
    if (opts.exclude?.has(pv.metadata.name ?? '')) continue;
    if ((pv.spec?.volumeMode ?? 'Filesystem') !== mode) continue;
    if (pv.metadata.deletionTimestamp) continue;
    const size = volumeCapacity(pv);
    if (size < want) continue;
    if (opts.node && !volumeNodeAffinityMatches(pv, opts.node)) continue;
    if (isVolumeBoundToClaim(pv, pvc)) {
      // pre-bound to this claim: taken if it can serve it at all
      if (volumeClassName(pv) === cls && accessModesContain(pv.spec?.accessModes, pvc.spec?.accessModes)) return pv;
      continue;
    }
    if (pv.spec?.claimRef) continue; // someone else's
    if (opts.delayBinding) continue;
    if (pv.status?.phase === 'Released' || pv.status?.phase === 'Failed') continue;
    if (volumeClassName(pv) !== cls) continue;
    if (selector && !selectorMatches(selector, pv.metadata.labels ?? {})) continue;
    if (!accessModesContain(pv.spec?.accessModes, pvc.spec?.accessModes)) continue;
    if (!best || size < volumeCapacity(best)) best = pv;
  }
  return best;
}

/** Does the PV's nodeAffinity (required terms) admit the node? No affinity admits every node. */
export function volumeNodeAffinityMatches(pv: PersistentVolume, node: NodeSelectorTarget): boolean {
  const terms = pv.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms || terms.length === 0) return true;
  return nodeSelectorTermsMatch(terms, node);
}

/** IsDefaultAnnotation: the GA or the beta annotation says "true". */
export const isDefaultStorageClass = (sc: KObject): boolean =>
  sc.metadata.annotations?.[ANN_IS_DEFAULT_CLASS] === 'true' || sc.metadata.annotations?.[ANN_BETA_IS_DEFAULT_CLASS] === 'true';

/** GetDefaultClass: of the classes marked default, the newest (then by name, as kube sorts). */
export function defaultStorageClass(classes: readonly StorageClass[]): StorageClass | undefined {
  const defaults = classes.filter(isDefaultStorageClass);
  defaults.sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  return defaults[0];
}

/** The claim a generic ephemeral volume gets: `<pod>-<volume>`. */
export const ephemeralClaimName = (podName: string, volumeName: string) => `${podName}-${volumeName}`;

/** The names of the claims a pod's volumes use (persistentVolumeClaim and ephemeral). */
export function podClaimNames(pod: Pod): string[] {
  const out: string[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim?.claimName) out.push(v.persistentVolumeClaim.claimName);
    else if (v.ephemeral) out.push(ephemeralClaimName(pod.metadata.name ?? '', v.name));
  }
  return out;
}
