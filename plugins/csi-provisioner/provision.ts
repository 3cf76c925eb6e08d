// PVC → CreateVolume → PV, for the PVCs of this node (external-provisioner's node-deployment mode):
// a PVC annotated with a driver registered here, whose selected-node is this node, or, for an
// Immediate class, that no node has claimed yet (this node claims it with an update carrying the
// PVC's resourceVersion; a 409 means another node was first). A failure is a ProvisioningFailed
// Warning Event on the PVC (and a retry with back-off); a volume whose PV cannot be written is
// deleted again.
import { isAlreadyExists, isConflict, isNotFound, parseQuantity, PVCS, PVS, type KObject } from '@skiff/api';
import type { EventRecorder } from '@skiff/client';
import type { Kernel } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import { GrpcStatus, grpcCode, type csi } from '@skiff/node-api';
import {
  ANN_PROVISIONED_BY, ANN_SELECTED_NODE, bytesQuantity, driverParameters, FSTYPE_PARAMETER, nodeAffinityFor, provisionerOf, PROVISIONER_FINALIZER, pvNameFor,
  volumeCapabilities, type Pv, type Pvc, type StorageClass,
} from './objects.ts';

export const NODES = { group: '', version: 'v1', resource: 'nodes' } as const;

export interface NodeProvisionerContext {
  kernel: Kernel;
  recorder: EventRecorder;
  drivers: csi.CsiDrivers;
  nodeName: string;
  logger: Logger;
  /** read of a StorageClass (an informer's lister), undefined when there is none */
  storageClass(name: string): StorageClass | undefined;
  /** read of a PV */
  pv(name: string): Pv | undefined;
}

/** Why an error is worth telling: the driver's gRPC code name and message, or the error's message. */
export function describeError(e: unknown): string {
  return String((e as Error)?.message ?? e);
}

export type ProvisionOutcome = 'not-ours' | 'claimed' | 'lost-claim' | 'exists' | 'provisioned' | 'rescheduled';

/** Provisions `pvc` if it is this node's to provision. Throws (after recording an Event) to retry. */
export async function provisionClaim(c: NodeProvisionerContext, pvc: Pvc): Promise<ProvisionOutcome> {
  const driverName = provisionerOf(pvc);
  if (!driverName || pvc.spec.volumeName || pvc.metadata.deletionTimestamp || pvc.status?.phase === 'Bound') return 'not-ours';
  const registered = c.drivers.list().find((d) => d.name === driverName);
  const client = c.drivers.get(driverName);
  if (!registered || !client?.controller) return 'not-ours';
  const scName = pvc.spec.storageClassName ?? '';
  const sc = c.storageClass(scName);
  if (!sc) {
    // the PV controller says so too; repeated here since this node was asked to provision it
    c.recorder.record(pvc, { type: 'Warning', reason: 'ProvisioningFailed', message: `storageclass.storage.k8s.io "${scName}" not found` });
    return 'not-ours';
  }
  if (sc.provisioner !== driverName) return 'not-ours';
  const selected = pvc.metadata.annotations?.[ANN_SELECTED_NODE];
  if (selected && selected !== c.nodeName) return 'not-ours';
  if (!selected) {
    if (sc.volumeBindingMode === 'WaitForFirstConsumer') return 'not-ours'; // the scheduler picks the node
    try {
      await c.kernel.update(PVCS, { ...pvc, metadata: { ...pvc.metadata, annotations: { ...pvc.metadata.annotations, [ANN_SELECTED_NODE]: c.nodeName } } });
      return 'claimed'; // the update comes back through the informer and is provisioned then
    } catch (e) {
      if (isConflict(e) || isNotFound(e)) return 'lost-claim';
      throw e;
    }
  }
  const pvName = pvNameFor(pvc);
  if (c.pv(pvName)) return 'exists';

  const fail = (message: string) => c.recorder.record(pvc, { type: 'Warning', reason: 'ProvisioningFailed', message });
  const request = pvc.spec.resources?.requests?.storage;
  if (!request) {
    fail('the claim asks for no storage (spec.resources.requests.storage)');
    return 'not-ours';
  }
  const limit = pvc.spec.resources?.limits?.storage;
  const fsType = sc.parameters?.[FSTYPE_PARAMETER] ?? '';
  const block = pvc.spec.volumeMode === 'Block';
  const caps = volumeCapabilities(pvc.spec.accessModes ?? [], fsType, sc.mountOptions ?? [], block);

  let volume: csi.Volume;
  try {
    if (pvc.spec.dataSource) throw new Error('volume data sources (snapshots, clones) are not supported');
    const node = await c.kernel.get(NODES, undefined, c.nodeName);
    const segments: Record<string, string> = {};
    for (const key of registered.topologyKeys) {
      const v = node.metadata.labels?.[key];
      if (v === undefined) throw new Error(`node ${c.nodeName} has no label ${key} of driver ${driverName} yet`);
      segments[key] = v;
    }
    const topology = registered.topologyKeys.length ? { requisite: [{ segments }], preferred: [{ segments }] } : null;
    c.recorder.record(pvc, { type: 'Normal', reason: 'Provisioning', message: `External provisioner is provisioning volume for claim "${pvc.metadata.namespace}/${pvc.metadata.name}"` });
    volume = await client.controller.createVolume({
      name: pvName,
      capacityRange: { requiredBytes: Math.ceil(parseQuantity(request)), limitBytes: limit ? Math.floor(parseQuantity(limit)) : 0 },
      volumeCapabilities: caps,
      parameters: driverParameters(sc),
      accessibilityRequirements: topology,
    });
  } catch (e) {
    fail(`failed to provision volume with StorageClass "${scName}": ${describeError(e)}`);
    if (grpcCode(e) === GrpcStatus.RESOURCE_EXHAUSTED && sc.volumeBindingMode === 'WaitForFirstConsumer') {
      // this node has no room: give the choice back to the scheduler (external-provisioner's
      // reschedule), which sets selected-node again, maybe to another node
      await c.kernel.patch(PVCS, pvc.metadata.namespace, pvc.metadata.name!, 'json', [
        { op: 'test', path: '/metadata/resourceVersion', value: pvc.metadata.resourceVersion },
        { op: 'remove', path: `/metadata/annotations/${ANN_SELECTED_NODE.replace(/~/g, '~0').replace(/\//g, '~1')}` },
      ]);
      return 'rescheduled';
    }
    throw e;
  }

  const reclaim = sc.reclaimPolicy ?? 'Delete';
  const pv: Pv = {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name: pvName,
      annotations: { [ANN_PROVISIONED_BY]: driverName },
      // the finalizer keeps the PV until the volume is deleted (reclaim Delete only, as upstream)
      ...(reclaim === 'Delete' ? { finalizers: [PROVISIONER_FINALIZER] } : {}),
    },
    spec: {
      capacity: { storage: bytesQuantity(volume.capacityBytes) },
      accessModes: pvc.spec.accessModes ?? [],
      claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid: pvc.metadata.uid, resourceVersion: pvc.metadata.resourceVersion },
      persistentVolumeReclaimPolicy: reclaim,
      storageClassName: scName,
      volumeMode: pvc.spec.volumeMode ?? 'Filesystem',
      ...(sc.mountOptions?.length ? { mountOptions: sc.mountOptions } : {}),
      csi: { driver: driverName, volumeHandle: volume.volumeId, ...(fsType ? { fsType } : {}), volumeAttributes: { ...volume.volumeContext } },
      ...(nodeAffinityFor(volume.accessibleTopology) ? { nodeAffinity: nodeAffinityFor(volume.accessibleTopology) } : {}),
    },
  };
  try {
    await c.kernel.create(PVS, pv as KObject);
  } catch (e) {
    if (isAlreadyExists(e)) {
      const existing = (await c.kernel.get(PVS, undefined, pvName).catch(() => undefined)) as Pv | undefined;
      if (existing?.spec.claimRef?.uid === pvc.metadata.uid) return 'exists'; // an earlier attempt wrote it
    }
    // nothing half-made: the volume goes again
    const undo = await client.controller.deleteVolume(volume.volumeId).then(() => 'deleted again', (d: unknown) => `and could not be deleted again: ${describeError(d)}`);
    fail(`failed to create PV ${pvName} for volume ${volume.volumeId} (${undo}): ${describeError(e)}`);
    throw e;
  }
  c.recorder.record(pvc, { type: 'Normal', reason: 'ProvisioningSucceeded', message: `Successfully provisioned volume ${pvName}` });
  c.logger.info('provisioned', { claim: `${pvc.metadata.namespace}/${pvc.metadata.name}`, pv: pvName, volume: volume.volumeId, bytes: volume.capacityBytes });
  return 'provisioned';
}
