// kube's storage admission plugins, over a lister of StorageClasses:
// - DefaultStorageClass: a new PVC that names no class (storageClassName absent; "" is an explicit
//   "none") gets the default class, the newest one when several say they are the default.
// - StorageObjectInUseProtection: new PVCs and PVs get the protection finalizers the PV controller
//   removes once nothing uses them.
// - PersistentVolumeClaimResize: a PVC's storage request may grow only when its class allows
//   volume expansion (403 otherwise, kube's message).
import {
  ANN_BETA_STORAGE_CLASS, claimClassName, defaultStorageClass, parseQuantity, PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER, STORAGE_CLASSES,
  type PersistentVolumeClaim, type StorageClass,
} from '@skiff/api';
import type { Lister } from '@skiff/client';
import { errors, StatusError, type AdmissionRequest, type Kernel, type KObject } from '@skiff/kernel';

export const RESIZE_FORBIDDEN = 'only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize';
export { defaultStorageClass as defaultClass, isDefaultStorageClass as isDefaultClass } from '@skiff/api';

const claimClass = (pvc: KObject) => claimClassName(pvc as PersistentVolumeClaim);

const storageOf = (o: KObject): number | undefined => {
  const v = (o as PersistentVolumeClaim).spec?.resources?.requests?.storage;
  try {
    return v === undefined ? undefined : parseQuantity(v);
  } catch {
    return undefined;
  }
};

export class StorageAdmission {
  constructor(
    private readonly kernel: Kernel,
    private readonly classes: Lister<StorageClass>,
  ) {}

  private async lookup(name: string): Promise<StorageClass | undefined> {
    const cached = this.classes.get(undefined, name);
    if (cached) return cached;
    try {
      return (await this.kernel.get(STORAGE_CLASSES, undefined, name)) as StorageClass;
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) return undefined;
      throw e;
    }
  }

  /** Mutating, PVC CREATE: the default class and the protection finalizer. */
  admitClaimCreate(req: AdmissionRequest): KObject {
    const pvc = req.object;
    const spec = (pvc.spec ?? {}) as Record<string, unknown>;
    const hasClass = pvc.metadata.annotations?.[ANN_BETA_STORAGE_CLASS] !== undefined || (spec.storageClassName !== undefined && spec.storageClassName !== null);
    if (!hasClass && typeof pvc.spec === 'object' && pvc.spec !== null) {
      const d = defaultStorageClass(this.classes.list());
      if (d) spec.storageClassName = d.metadata.name;
    }
    addFinalizer(pvc, PVC_PROTECTION_FINALIZER);
    return pvc;
  }

  /** Mutating, PV CREATE: the protection finalizer. */
  admitVolumeCreate(req: AdmissionRequest): KObject {
    addFinalizer(req.object, PV_PROTECTION_FINALIZER);
    return req.object;
  }

  /** Validating, PVC UPDATE: growing the request needs a class that allows expansion. */
  async validateClaimResize(req: AdmissionRequest): Promise<void> {
    const pvc = req.object;
    const old = req.oldObject;
    if (!old) return;
    const nw = storageOf(pvc);
    const ol = storageOf(old);
    if (nw === undefined || ol === undefined || nw <= ol) return;
    const cls = claimClass(pvc);
    if (cls !== '' && claimClass(old) === cls && (await this.lookup(cls))?.allowVolumeExpansion === true) return;
    const name = pvc.metadata.name;
    throw errors.forbidden(`persistentvolumeclaims "${name}" is forbidden: ${RESIZE_FORBIDDEN}`, { name, kind: 'persistentvolumeclaims' });
  }
}

function addFinalizer(o: KObject, f: string): void {
  const list = o.metadata.finalizers ?? [];
  if (!list.includes(f)) o.metadata.finalizers = [...list, f];
}
