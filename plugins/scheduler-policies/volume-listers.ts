// What the volume policies read besides the scheduler's snapshot: claims, volumes, classes, CSI
// nodes, drivers and capacities, from shared informers (one watch per kind per process) or, in
// tests, from fixed lists.
import {
  CSI_DRIVERS, CSI_NODES, CSI_STORAGE_CAPACITIES, PVCS, PVS, STORAGE_CLASSES,
  type CSIDriver, type CSINode, type CSIStorageCapacity, type PersistentVolume, type PersistentVolumeClaim, type StorageClass,
} from '@skiff/api';
import { SharedInformerFactory } from '@skiff/client';
import type { Kernel, KObject } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';

/** The read side of a Lister. */
export interface ObjectSource<T extends KObject> {
  get(namespace: string | undefined, name: string): T | undefined;
  list(namespace?: string): T[];
}

export interface VolumeListers {
  claims: ObjectSource<PersistentVolumeClaim>;
  volumes: ObjectSource<PersistentVolume>;
  classes: ObjectSource<StorageClass>;
  csiNodes: ObjectSource<CSINode>;
  csiDrivers: ObjectSource<CSIDriver>;
  capacities: ObjectSource<CSIStorageCapacity>;
}

/** Informer-backed listers; `synced` once every informer has listed; `release` gives them back. */
export function informerListers(kernel: Kernel, logger?: Logger): { listers: VolumeListers; synced: Promise<void>; release(): void } {
  const f = SharedInformerFactory.for(kernel, logger);
  const leases = {
    claims: f.acquire<PersistentVolumeClaim>(PVCS),
    volumes: f.acquire<PersistentVolume>(PVS),
    classes: f.acquire<StorageClass>(STORAGE_CLASSES),
    csiNodes: f.acquire<CSINode>(CSI_NODES),
    csiDrivers: f.acquire<CSIDriver>(CSI_DRIVERS),
    capacities: f.acquire<CSIStorageCapacity>(CSI_STORAGE_CAPACITIES),
  };
  const all = Object.values(leases);
  return {
    listers: Object.fromEntries(Object.entries(leases).map(([k, l]) => [k, l.informer.lister])) as unknown as VolumeListers,
    synced: Promise.all(all.map((l) => l.informer.synced)).then(() => undefined),
    release: () => all.forEach((l) => l.release()),
  };
}

/** Fixed lists (tests). */
export function fixedListers(objs: Partial<Record<keyof VolumeListers, KObject[]>>): VolumeListers {
  const src = <T extends KObject>(items: KObject[] = []): ObjectSource<T> => ({
    get: (ns, name) => items.find((o) => o.metadata.name === name && (o.metadata.namespace ?? undefined) === (ns ?? undefined)) as T | undefined,
    list: (ns) => items.filter((o) => ns === undefined || o.metadata.namespace === ns) as T[],
  });
  return {
    claims: src(objs.claims), volumes: src(objs.volumes), classes: src(objs.classes),
    csiNodes: src(objs.csiNodes), csiDrivers: src(objs.csiDrivers), capacities: src(objs.capacities),
  };
}
