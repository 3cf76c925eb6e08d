// The claim half of kube's PV controller (syncClaim): an unbound claim gets the smallest fitting
// volume (a volume pre-bound to it first), or is handed to its class's provisioner; a bound claim is
// checked against its volume (Lost when the volume is gone or bound elsewhere). A claim being
// deleted loses its kubernetes.io/pvc-protection finalizer once no running pod uses it.
import {
  ANN_BETA_STORAGE_CLASS, ANN_BETA_STORAGE_PROVISIONER, ANN_BIND_COMPLETED, defaultStorageClass, ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER, claimClassName,
  findMatchingVolume, isNotFound, isVolumeBoundToClaim, NO_PROVISIONER, PVC_PROTECTION_FINALIZER, PVCS, podClaimNames,
  type PersistentVolume, type PersistentVolumeClaim, type Pod, type StorageClass,
} from '@skiff/api';
import type { EventRecorder, Lister } from '@skiff/client';
import type { Kernel } from '@skiff/kernel';
import { Volumes } from './volumes.ts';

export interface Listers {
  claims: Lister<PersistentVolumeClaim>;
  volumes: Lister<PersistentVolume>;
  classes: Lister<StorageClass>;
  pods: Lister<Pod>;
}

/** How long a claim waiting for a volume or a provisioner waits before it is looked at again. */
export const PENDING_RESYNC_MS = 15_000;

export class Claims {
  constructor(
    private readonly kernel: Kernel,
    private readonly l: Listers,
    private readonly recorder: EventRecorder,
    private readonly volumes: Volumes,
  ) {}

  /** Reconcile one claim; returns ms after which to look again (pending claims), if any. */
  async sync(ns: string, name: string): Promise<number | undefined> {
    const claim = this.l.claims.get(ns, name);
    if (!claim) return undefined;
    if (claim.metadata.deletionTimestamp) {
      await this.releaseProtection(claim);
      return undefined;
    }
    if (!(claim.metadata.finalizers ?? []).includes(PVC_PROTECTION_FINALIZER)) {
      // made without the admission plugin: add it as kube's pvc-protection controller does (the update brings it back)
      await this.kernel.update(PVCS, { ...claim, metadata: { ...claim.metadata, finalizers: [...(claim.metadata.finalizers ?? []), PVC_PROTECTION_FINALIZER] } });
      return undefined;
    }
    if (claim.metadata.annotations?.[ANN_BIND_COMPLETED] === undefined) {
      if (await this.assignDefaultClass(claim)) return undefined; // its update brings it back
      return this.syncUnbound(claim);
    }
    await this.syncBound(claim);
    return undefined;
  }

  /** Is a scheduled, not yet finished pod using the claim? */
  inUse(claim: PersistentVolumeClaim): boolean {
    return this.l.pods.list(claim.metadata.namespace).some(
      (p) => !!p.spec?.nodeName && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && podClaimNames(p).includes(claim.metadata.name ?? ''),
    );
  }

  private async releaseProtection(claim: PersistentVolumeClaim): Promise<void> {
    const fins = claim.metadata.finalizers ?? [];
    if (!fins.includes(PVC_PROTECTION_FINALIZER) || this.inUse(claim)) return;
    await this.kernel.update(PVCS, { ...claim, metadata: { ...claim.metadata, finalizers: fins.filter((f) => f !== PVC_PROTECTION_FINALIZER) } }).catch((e) => {
      if (!isNotFound(e)) throw e;
    });
  }

  /**
   * assignDefaultStorageClass (kube's retroactive default): an unbound claim made before any class
   * was the default (storageClassName absent; "" is an explicit none) gets today's default.
   */
  private async assignDefaultClass(claim: PersistentVolumeClaim): Promise<boolean> {
    if (claim.spec?.volumeName || (claim.spec?.storageClassName !== undefined && claim.spec?.storageClassName !== null)) return false;
    if (claim.metadata.annotations?.[ANN_BETA_STORAGE_CLASS] !== undefined) return false;
    const d = defaultStorageClass(this.l.classes.list());
    if (!d) return false;
    await this.kernel.update(PVCS, { ...claim, spec: { ...claim.spec, storageClassName: d.metadata.name } });
    return true;
  }

  private classOf(claim: PersistentVolumeClaim): StorageClass | undefined {
    const cls = claimClassName(claim);
    return cls ? this.l.classes.get(undefined, cls) : undefined;
  }

  private async syncUnbound(claim: PersistentVolumeClaim): Promise<number | undefined> {
    const volumeName = claim.spec?.volumeName;
    if (!volumeName) {
      const cls = this.classOf(claim);
      const delay = cls?.volumeBindingMode === 'WaitForFirstConsumer';
      const pv = findMatchingVolume(claim, this.l.volumes.list(), { delayBinding: delay });
      if (pv) {
        await this.volumes.bind(pv, claim);
        return undefined;
      }
      const clsName = claimClassName(claim);
      if (delay && !claim.metadata.annotations?.[ANN_SELECTED_NODE]) {
        await this.pending(claim);
        this.recorder.record(claim, { type: 'Normal', reason: 'WaitForFirstConsumer', message: 'waiting for first consumer to be created before binding' });
        return undefined; // the scheduler's selected-node annotation brings it back
      }
      if (clsName === '') {
        await this.pending(claim);
        this.recorder.record(claim, { type: 'Normal', reason: 'FailedBinding', message: 'no persistent volumes available for this claim and no storage class is set' });
        return PENDING_RESYNC_MS;
      }
      if (!cls) {
        await this.pending(claim);
        this.recorder.record(claim, { type: 'Warning', reason: 'ProvisioningFailed', message: `storageclass.storage.k8s.io "${clsName}" not found` });
        return PENDING_RESYNC_MS;
      }
      if (cls.provisioner === NO_PROVISIONER) {
        await this.pending(claim);
        this.recorder.record(claim, { type: 'Normal', reason: 'WaitForPodScheduled', message: 'waiting for pod to be scheduled' });
        return PENDING_RESYNC_MS;
      }
      await this.provision(claim, cls);
      return PENDING_RESYNC_MS;
    }
    // the user (or the scheduler) named the volume
    const pv = this.l.volumes.get(undefined, volumeName);
    if (!pv) {
      await this.pending(claim);
      this.recorder.record(claim, { type: 'Normal', reason: 'FailedBinding', message: `volume "${volumeName}" not found` });
      return PENDING_RESYNC_MS;
    }
    if (!pv.spec?.claimRef || isVolumeBoundToClaim(pv, claim)) {
      await this.volumes.bind(pv, claim);
      return undefined;
    }
    await this.pending(claim);
    this.recorder.record(claim, { type: 'Warning', reason: 'FailedBinding', message: `volume "${volumeName}" already bound to a different claim.` });
    return PENDING_RESYNC_MS;
  }

  /** Hand the claim to its class's provisioner (kube's provisionClaim for an out-of-tree provisioner). */
  private async provision(claim: PersistentVolumeClaim, cls: StorageClass): Promise<void> {
    const ann = claim.metadata.annotations ?? {};
    let cur = claim;
    if (ann[ANN_STORAGE_PROVISIONER] !== cls.provisioner || ann[ANN_BETA_STORAGE_PROVISIONER] !== cls.provisioner) {
      cur = (await this.kernel.update(PVCS, {
        ...claim,
        metadata: { ...claim.metadata, annotations: { ...ann, [ANN_STORAGE_PROVISIONER]: cls.provisioner, [ANN_BETA_STORAGE_PROVISIONER]: cls.provisioner } },
      })) as PersistentVolumeClaim;
    }
    await this.pending(cur);
    this.recorder.record(cur, {
      type: 'Normal',
      reason: 'ExternalProvisioning',
      message: `Waiting for a volume to be created either by the external provisioner '${cls.provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
    });
  }

  private async pending(claim: PersistentVolumeClaim): Promise<void> {
    if (claim.status?.phase === 'Pending') return;
    await this.kernel.update(PVCS, { ...claim, status: { ...claim.status, phase: 'Pending' } }, { subresource: 'status' });
  }

  private async syncBound(claim: PersistentVolumeClaim): Promise<void> {
    const volumeName = claim.spec?.volumeName;
    if (!volumeName) return this.lost(claim, 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!');
    const pv = this.l.volumes.get(undefined, volumeName);
    if (!pv) return this.lost(claim, 'Bound claim has lost its PersistentVolume. Data on the volume is lost!');
    if (!pv.spec?.claimRef) {
      // the volume forgot its claim (an old controller crashed mid-way): bind it again
      await this.volumes.bind(pv, claim);
      return;
    }
    if (pv.spec.claimRef.uid === claim.metadata.uid) {
      await this.volumes.bind(pv, claim); // idempotent: fixes whichever half is not done
      return;
    }
    return this.lost(claim, 'Two claims are bound to the same volume, this one is bound incorrectly');
  }

  private async lost(claim: PersistentVolumeClaim, message: string): Promise<void> {
    if (claim.status?.phase === 'Lost') return;
    await this.kernel.update(PVCS, { ...claim, status: { ...claim.status, phase: 'Lost' } }, { subresource: 'status' });
    this.recorder.record(claim, { type: 'Warning', reason: 'ClaimLost', message });
  }
}

