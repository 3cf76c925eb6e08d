// The volume half of kube's PV controller (syncVolume, bind, reclaim): a volume's phase follows its
// claim (Available, Bound, Released), reclaim Retain keeps a released volume, Delete leaves it to
// the provisioner that made it (pv.kubernetes.io/provisioned-by) or fails it with kube's message
// when nobody did, Recycle has no recycler here. A volume being deleted loses its
// kubernetes.io/pv-protection finalizer once it is not Bound.
import {
  ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, ANN_PROVISIONED_BY, isNotFound, isVolumeBoundToClaim, PV_PROTECTION_FINALIZER, PVCS, PVS,
  type PersistentVolume, type PersistentVolumeClaim,
} from '@skiff/api';
import type { EventRecorder, Lister } from '@skiff/client';
import { now, type Kernel } from '@skiff/kernel';

type Phase = NonNullable<NonNullable<PersistentVolume['status']>['phase']>;

export class Volumes {
  constructor(
    private readonly kernel: Kernel,
    private readonly volumes: Lister<PersistentVolume>,
    private readonly claims: Lister<PersistentVolumeClaim>,
    private readonly recorder: EventRecorder,
    /** enqueue a claim ("ns/name") */
    private readonly enqueueClaim: (key: string) => void,
  ) {}

  /**
   * Bind volume and claim, each write only when needed (so a retry after a conflict resumes where
   * it stopped): the volume's claimRef, its phase, the claim's volumeName and annotations, its status.
   */
  async bind(pv: PersistentVolume, claim: PersistentVolumeClaim): Promise<void> {
    let vol = pv;
    const ref = vol.spec?.claimRef;
    if (!ref || ref.uid !== claim.metadata.uid || ref.name !== claim.metadata.name || ref.namespace !== claim.metadata.namespace) {
      const ann = { ...vol.metadata.annotations };
      if (!isVolumeBoundToClaim(vol, claim)) ann[ANN_BOUND_BY_CONTROLLER] = 'yes';
      const claimRef = { kind: 'PersistentVolumeClaim', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid, apiVersion: 'v1', resourceVersion: claim.metadata.resourceVersion };
      vol = (await this.kernel.update(PVS, { ...vol, metadata: { ...vol.metadata, annotations: ann }, spec: { ...vol.spec, claimRef } })) as PersistentVolume;
    }
    vol = await this.setPhase(vol, 'Bound');

    let c = claim;
    const cAnn = c.metadata.annotations ?? {};
    if (c.spec?.volumeName !== vol.metadata.name || cAnn[ANN_BIND_COMPLETED] !== 'yes') {
      const annotations: Record<string, string> = { ...cAnn, [ANN_BIND_COMPLETED]: 'yes' };
      if (c.spec?.volumeName !== vol.metadata.name) annotations[ANN_BOUND_BY_CONTROLLER] = 'yes';
      c = (await this.kernel.update(PVCS, { ...c, metadata: { ...c.metadata, annotations }, spec: { ...c.spec, volumeName: vol.metadata.name } })) as PersistentVolumeClaim;
    }
    const st = c.status ?? {};
    if (st.phase !== 'Bound' || !st.capacity?.storage || JSON.stringify(st.accessModes ?? []) !== JSON.stringify(vol.spec?.accessModes ?? [])) {
      const capacity = st.phase === 'Bound' && st.capacity?.storage ? st.capacity : { ...vol.spec?.capacity };
      await this.kernel.update(PVCS, { ...c, status: { ...st, phase: 'Bound', accessModes: vol.spec?.accessModes, capacity } }, { subresource: 'status' });
    }
  }

  private async setPhase(pv: PersistentVolume, phase: Phase, message?: string): Promise<PersistentVolume> {
    const st = pv.status ?? {};
    if (st.phase === phase && (message === undefined || st.message === message)) return pv;
    const status = { ...st, phase, lastPhaseTransitionTime: now() };
    if (message !== undefined) status.message = message;
    else delete status.message;
    return (await this.kernel.update(PVS, { ...pv, status }, { subresource: 'status' })) as PersistentVolume;
  }

  /** The claim of a claimRef: the informer's copy, else the store's (an informer may lag). */
  private async claimOf(ns: string, name: string): Promise<PersistentVolumeClaim | undefined> {
    const c = this.claims.get(ns, name);
    if (c) return c;
    try {
      return (await this.kernel.get(PVCS, ns, name)) as PersistentVolumeClaim;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async sync(name: string): Promise<void> {
    const pv = this.volumes.get(undefined, name);
    if (!pv) return;
    if (pv.metadata.deletionTimestamp && pv.status?.phase !== 'Bound') {
      const fins = pv.metadata.finalizers ?? [];
      if (fins.includes(PV_PROTECTION_FINALIZER)) {
        await this.kernel.update(PVS, { ...pv, metadata: { ...pv.metadata, finalizers: fins.filter((f) => f !== PV_PROTECTION_FINALIZER) } }).catch((e) => {
          if (!isNotFound(e)) throw e;
        });
      }
      return;
    }
    // (a Bound volume being deleted is synced as usual: once released, its update brings it back here)
    if (!pv.metadata.deletionTimestamp && !(pv.metadata.finalizers ?? []).includes(PV_PROTECTION_FINALIZER)) {
      // made without the admission plugin: as kube's pv-protection controller (the update brings it back)
      await this.kernel.update(PVS, { ...pv, metadata: { ...pv.metadata, finalizers: [...(pv.metadata.finalizers ?? []), PV_PROTECTION_FINALIZER] } });
      return;
    }
    const ref = pv.spec?.claimRef;
    if (!ref || !ref.uid) {
      // free, or pre-bound by the user to a claim that has not come yet
      await this.setPhase(pv, 'Available');
      if (ref?.name) this.enqueueClaim(`${ref.namespace ?? ''}/${ref.name}`);
      return;
    }
    let claim = await this.claimOf(ref.namespace ?? '', ref.name ?? '');
    if (claim && claim.metadata.uid !== ref.uid) claim = undefined; // deleted, and another made with its name
    if (!claim) {
      await this.release(pv);
      return;
    }
    const claimKey = `${claim.metadata.namespace}/${claim.metadata.name}`;
    if (!claim.spec?.volumeName) {
      this.enqueueClaim(claimKey); // the claim side finishes the binding
      return;
    }
    if (claim.spec.volumeName === pv.metadata.name) {
      await this.setPhase(pv, 'Bound');
      return;
    }
    // the claim is bound to another volume: let this one go
    const byController = pv.metadata.annotations?.[ANN_BOUND_BY_CONTROLLER] !== undefined;
    const annotations = { ...pv.metadata.annotations };
    delete annotations[ANN_BOUND_BY_CONTROLLER];
    const spec = { ...pv.spec };
    if (byController) delete spec.claimRef;
    else spec.claimRef = { ...ref, uid: undefined };
    const freed = (await this.kernel.update(PVS, { ...pv, metadata: { ...pv.metadata, annotations }, spec })) as PersistentVolume;
    await this.setPhase(freed, 'Available');
  }

  /** The claim is gone: Released, then the reclaim policy. */
  private async release(pv: PersistentVolume): Promise<void> {
    let vol = pv;
    if (vol.status?.phase === 'Failed') return;
    if (vol.status?.phase !== 'Released') vol = await this.setPhase(vol, 'Released');
    switch (vol.spec?.persistentVolumeReclaimPolicy ?? 'Retain') {
      case 'Retain':
        return; // stays Released until an administrator frees it
      case 'Delete':
        // a provisioner's volume is its provisioner's to delete (csi's node provisioner does it)
        if (vol.metadata.annotations?.[ANN_PROVISIONED_BY]) return;
        return this.fail(vol, 'VolumeFailedDelete', `error getting deleter volume plugin for volume "${vol.metadata.name}": no deletable volume plugin matched`);
      case 'Recycle':
        return this.fail(vol, 'VolumeFailedRecycle', 'No recycler plugin found for the volume!');
    }
  }

  private async fail(pv: PersistentVolume, reason: string, message: string): Promise<void> {
    const v = await this.setPhase(pv, 'Failed', message);
    this.recorder.record(v, { type: 'Warning', reason, message });
  }
}
