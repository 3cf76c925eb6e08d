// Well-known indexes, one meaning per name in a process (Indexer.addIndexers keeps the first).
import type { KObject } from '@skiff/kernel';

/** Objects by the uid of their controller (the ownerReference with controller: true). */
export const CONTROLLER_INDEX = 'controller-uid';

export function controllerIndexKey(obj: KObject): string[] {
  const ref = obj.metadata.ownerReferences?.find((r) => r.controller);
  return ref ? [ref.uid] : [];
}

/**
 * Objects without a controller, by namespace: the orphans a controller may adopt. With
 * CONTROLLER_INDEX, a controller's candidates are its own objects plus the orphans of its
 * namespace, found without a scan.
 */
export const ORPHAN_INDEX = 'orphans-by-namespace';

export function orphanIndexKey(obj: KObject): string[] {
  return obj.metadata.ownerReferences?.some((r) => r.controller) ? [] : [obj.metadata.namespace ?? ''];
}
