// ControllerRefManager, as kube's: among the objects a controller might own (those it controls, and
// orphans in its namespace), it keeps those its selector matches, adopts matching orphans (after a
// fresh read shows the controller is not being deleted) and releases controlled ones that no longer
// match. Writes carry the cached resourceVersion, so a concurrent change fails with a conflict and the
// sync is retried.
import { isNotFound, selectorMatches, type KObject, type LabelSelector, type OwnerReference, type ResourceRef } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';

/** Objects without a controller, by namespace (candidates for adoption). */
export const ORPHAN_INDEX = 'orphans-by-namespace';

export function orphanIndexKey(obj: KObject): string[] {
  return obj.metadata.ownerReferences?.some((r) => r.controller) ? [] : [obj.metadata.namespace ?? ''];
}

export interface ClaimOptions {
  kernel: Kernel;
  ref: ResourceRef;
  owner: KObject;
  controllerRef: OwnerReference;
  selector: LabelSelector;
  /** throws when the owner may not adopt (gone, or being deleted); called at most once */
  canAdopt(): Promise<void>;
}

/** The owner re-read: adoption only by a controller that still exists and is not being deleted. */
export function recheckOwner(kernel: Kernel, ref: ResourceRef, owner: KObject): () => Promise<void> {
  let once: Promise<void> | undefined;
  return () =>
    (once ??= (async () => {
      const { namespace, name, uid } = owner.metadata;
      const fresh = await kernel.get(ref, namespace, name!);
      if (fresh.metadata.uid !== uid) throw new Error(`original ${owner.kind} ${namespace}/${name} is gone: got uid ${fresh.metadata.uid}, wanted ${uid}`);
      if (fresh.metadata.deletionTimestamp) throw new Error(`${namespace}/${name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
    })());
}

/** The objects the owner controls after adoption and release; errors are thrown after all were tried. */
export async function claim<T extends KObject>(objs: readonly T[], o: ClaimOptions): Promise<T[]> {
  const uid = o.owner.metadata.uid;
  const ownerDeleting = !!o.owner.metadata.deletionTimestamp;
  const claimed: T[] = [];
  const errors: unknown[] = [];
  const writes: Promise<void>[] = [];
  for (const obj of objs) {
    const ref = obj.metadata.ownerReferences?.find((r) => r.controller);
    const matches = selectorMatches(o.selector, obj.metadata.labels ?? {});
    if (ref) {
      if (ref.uid !== uid) continue;
      if (matches) {
        claimed.push(obj);
        continue;
      }
      if (ownerDeleting) continue;
      writes.push(release(o, obj).catch((e) => void (isNotFound(e) || errors.push(e))));
      continue;
    }
    if (ownerDeleting || !matches || obj.metadata.deletionTimestamp) continue;
    if (o.owner.metadata.namespace && o.owner.metadata.namespace !== obj.metadata.namespace) continue;
    writes.push(
      adopt(o, obj).then(
        (adopted) => void claimed.push(adopted),
        (e) => void (isNotFound(e) || errors.push(e)),
      ),
    );
  }
  await Promise.all(writes);
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; '));
  return claimed;
}

async function adopt<T extends KObject>(o: ClaimOptions, obj: T): Promise<T> {
  await o.canAdopt();
  const next = structuredClone(obj);
  next.metadata.ownerReferences = [...(obj.metadata.ownerReferences ?? []), o.controllerRef];
  return (await o.kernel.update(o.ref, next)) as T;
}

async function release(o: ClaimOptions, obj: KObject): Promise<void> {
  const next = structuredClone(obj);
  next.metadata.ownerReferences = (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== o.owner.metadata.uid);
  await o.kernel.update(o.ref, next);
}
