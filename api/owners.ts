// Owner references: which controller owns an object (metav1.GetControllerOf, NewControllerRef).
import type { KObject, ObjectMeta, OwnerReference } from './types/meta.ts';

type HasMeta = { metadata?: ObjectMeta };

/** The owner reference with controller: true, if any (there is at most one). */
export function getControllerOf(obj: HasMeta): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** Is `obj`'s controller `owner` (same uid)? */
export function isControlledBy(obj: HasMeta, owner: HasMeta): boolean {
  const ref = getControllerOf(obj);
  return ref !== undefined && !!owner.metadata?.uid && ref.uid === owner.metadata.uid;
}

/** A controller reference to `owner`, as a controller puts on the objects it creates. */
export function newControllerRef(owner: Pick<KObject, 'metadata'>, apiVersion: string, kind: string): OwnerReference {
  const { name, uid } = owner.metadata;
  if (!name || !uid) throw new Error(`newControllerRef: the owner ${kind} needs metadata.name and metadata.uid`);
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true };
}
