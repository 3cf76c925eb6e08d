// Well-known indexes, one meaning per name in a process (Indexer.addIndexers keeps the first).
import type { KObject } from '@skiff/kernel';

/** Objects by the uid of their controller (the ownerReference with controller: true). */
export const CONTROLLER_INDEX = 'controller-uid';

export function controllerIndexKey(obj: KObject): string[] {
  const ref = obj.metadata.ownerReferences?.find((r) => r.controller);
  return ref ? [ref.uid] : [];
}
