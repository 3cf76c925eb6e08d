// The deleter and the resizer of the node provisioner.
//  - A PV this node provisioned (its driver registered here, its node affinity this node's) that is
//    Released with reclaim Delete, or deleted by someone while it carries the provisioner's
//    finalizer: DeleteVolume, then the finalizer comes off and the PV is deleted.
//  - A bound PVC asking for more than its PV has: ControllerExpandVolume, the PV's capacity, and,
//    when the driver says the node must grow the filesystem, the PVC condition
//    FileSystemResizePending (the kubelet then calls NodeExpandVolume and records the new size);
//    else the PVC's status.capacity at once.
import { isNotFound, nodeSelectorTermsMatch, parseQuantity, PVCS, PVS } from '@skiff/api';
import type { NodeSelectorTerm as ApiNodeSelectorTerm } from '@skiff/api';
import { bytesQuantity, FS_RESIZE_PENDING, PROVISIONER_FINALIZER, type Pv, type Pvc } from './objects.ts';
import { describeError, NODES, type NodeProvisionerContext } from './provision.ts';

/** The registered driver client of `pv` when its volume lives on this node, else undefined. */
async function localDriverOf(c: NodeProvisionerContext, pv: Pv) {
  const driver = pv.spec.csi?.driver;
  const client = driver ? c.drivers.get(driver) : undefined;
  if (!client?.controller) return undefined;
  const terms = pv.spec.nodeAffinity?.required?.nodeSelectorTerms;
  if (terms?.length) {
    const node = await c.kernel.get(NODES, undefined, c.nodeName);
    if (!nodeSelectorTermsMatch(terms as ApiNodeSelectorTerm[], { name: c.nodeName, labels: node.metadata.labels ?? {} })) return undefined;
  }
  return client;
}

export type ReclaimOutcome = 'not-ours' | 'kept' | 'deleted';

export async function reclaimVolume(c: NodeProvisionerContext, pv: Pv): Promise<ReclaimOutcome> {
  const deleting = Boolean(pv.metadata.deletionTimestamp);
  const released = pv.status?.phase === 'Released' || pv.status?.phase === 'Failed';
  if (!deleting && !released) return 'not-ours';
  if (pv.spec.persistentVolumeReclaimPolicy !== 'Delete') {
    // Retain: the volume stays; a PV deleted by hand must not hang on our finalizer
    if (deleting && pv.metadata.finalizers?.includes(PROVISIONER_FINALIZER)) await dropFinalizer(c, pv);
    return 'kept';
  }
  if (deleting && !pv.metadata.finalizers?.includes(PROVISIONER_FINALIZER)) return 'not-ours';
  const client = await localDriverOf(c, pv);
  if (!client) return 'not-ours';
  try {
    await client.controller!.deleteVolume(pv.spec.csi!.volumeHandle);
  } catch (e) {
    c.recorder.record(pv, { type: 'Warning', reason: 'VolumeFailedDelete', message: describeError(e) });
    throw e;
  }
  await dropFinalizer(c, pv);
  if (!deleting) await c.kernel.delete(PVS, undefined, pv.metadata.name!).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
  c.logger.info('volume deleted', { pv: pv.metadata.name, volume: pv.spec.csi!.volumeHandle });
  return 'deleted';
}

async function dropFinalizer(c: NodeProvisionerContext, pv: Pv): Promise<void> {
  const finalizers = (pv.metadata.finalizers ?? []).filter((f) => f !== PROVISIONER_FINALIZER);
  try {
    await c.kernel.patch(PVS, undefined, pv.metadata.name!, 'json', [
      { op: 'test', path: '/metadata/resourceVersion', value: pv.metadata.resourceVersion },
      { op: 'replace', path: '/metadata/finalizers', value: finalizers },
    ]);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

export type ResizeOutcome = 'not-ours' | 'done' | 'resized' | 'node-expansion-pending';

export async function resizeClaim(c: NodeProvisionerContext, pvc: Pvc): Promise<ResizeOutcome> {
  const pvName = pvc.spec.volumeName;
  if (!pvName || pvc.status?.phase !== 'Bound') return 'not-ours';
  const pv = c.pv(pvName);
  if (!pv?.spec.csi || pv.spec.claimRef?.uid !== pvc.metadata.uid) return 'not-ours';
  const requested = pvc.spec.resources?.requests?.storage;
  const has = pv.spec.capacity?.storage;
  if (!requested || !has) return 'done';
  const grown = parseQuantity(requested) <= parseQuantity(has);
  // grown, but the claim never heard of it (the PVC write after the PV's failed): once more, the
  // calls are idempotent
  const told = pvc.status?.allocatedResources?.storage === requested || pvc.status?.conditions?.some((x) => x.type === FS_RESIZE_PENDING);
  const seen = pvc.status?.capacity?.storage;
  if (grown && (told || !seen || parseQuantity(seen) >= parseQuantity(requested))) return 'done';
  const client = await localDriverOf(c, pv);
  if (!client) return 'not-ours';
  const requestedBytes = Math.ceil(parseQuantity(requested));
  c.recorder.record(pvc, { type: 'Normal', reason: 'Resizing', message: `External resizer is resizing volume ${pvName}` });
  let r;
  try {
    r = await client.controller!.controllerExpandVolume({ volumeId: pv.spec.csi.volumeHandle, capacityRange: { requiredBytes: requestedBytes } });
  } catch (e) {
    c.recorder.record(pvc, { type: 'Warning', reason: 'VolumeResizeFailed', message: `resize volume "${pvName}" by resizer "${pv.spec.csi.driver}" failed: ${describeError(e)}` });
    throw e;
  }
  const newSize = bytesQuantity(Math.max(r.capacityBytes, requestedBytes));
  await c.kernel.patch(PVS, undefined, pvName, 'merge', { spec: { capacity: { storage: newSize } } });
  const now = new Date().toISOString();
  const others = (pvc.status?.conditions ?? []).filter((x) => x.type !== FS_RESIZE_PENDING && x.type !== 'Resizing');
  if (r.nodeExpansionRequired) {
    const pending = { type: FS_RESIZE_PENDING, status: 'True', lastTransitionTime: now, message: 'Waiting for user to (re-)start a pod to finish file system resize of volume on node.' };
    await c.kernel.patch(PVCS, pvc.metadata.namespace, pvc.metadata.name!, 'merge', { status: { conditions: [...others, pending], allocatedResources: { storage: requested } } }, { subresource: 'status' });
    c.recorder.record(pvc, { type: 'Normal', reason: 'FileSystemResizeRequired', message: 'Require file system resize of volume on node' });
    return 'node-expansion-pending';
  }
  await c.kernel.patch(PVCS, pvc.metadata.namespace, pvc.metadata.name!, 'merge', { status: { conditions: others, capacity: { storage: newSize }, allocatedResources: { storage: requested } } }, { subresource: 'status' });
  c.recorder.record(pvc, { type: 'Normal', reason: 'VolumeResizeSuccessful', message: `resize volume "${pvName}" by resizer "${pv.spec.csi.driver}" succeeded` });
  return 'resized';
}

