// kube's ControllerRefManager (ClaimPods, ClaimReplicaSets, ClaimControllerRevisions): among the
// objects a controller may own — those it controls and orphans — it keeps the ones it matches,
// adopts matching orphans of its namespace (patching its controller reference on, once a fresh read
// shows it is not being deleted: RecheckDeletionTimestamp) and releases the ones it controls but no
// longer matches (patching the reference off). A controller being deleted neither adopts nor releases.
// Patches carry the object's uid, so an object deleted and re-created under the name is left alone.
import { getControllerOf, isInvalid, isNotFound, type KObject, type OwnerReference, type ResourceRef } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import { aggregateErrors } from './errors.ts';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * RecheckDeletionTimestamp over a fresh read of `owner` (of kind `ownerRef`), run once however often
 * it is called: fails when the owner is gone, is another object of that name, or is being deleted.
 */
export function recheckDeletionTimestamp(kernel: Kernel, ownerRef: ResourceRef, owner: KObject): () => Promise<void> {
  let once: Promise<void> | undefined;
  return () =>
    (once ??= (async () => {
      const { namespace, name, uid } = owner.metadata;
      let fresh: KObject;
      try {
        fresh = await kernel.get(ownerRef, namespace, name!);
        if (fresh.metadata.uid !== uid) throw new Error(`original ${owner.kind} ${namespace}/${name} is gone: got uid ${fresh.metadata.uid}, wanted ${uid}`);
      } catch (e) {
        throw new Error(`can't recheck DeletionTimestamp: ${message(e)}`, { cause: e });
      }
      if (fresh.metadata.deletionTimestamp) throw new Error(`${namespace}/${name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
    })());
}

export interface ControllerRefManagerOptions<T extends KObject> {
  kernel: Kernel;
  /** the kind of the objects claimed (PODS, REPLICA_SETS, CONTROLLER_REVISIONS, ...) */
  ref: ResourceRef;
  /** the controller */
  owner: KObject;
  /** its controller reference (newControllerRef) */
  controllerRef: OwnerReference;
  /** the controller's selector and filters: does it want this object? */
  match(obj: T): boolean;
  /** may the controller adopt now (recheckDeletionTimestamp); asked before the first adoption */
  canAdopt(): Promise<void>;
}

/**
 * claim() writes only through adopt() and release(), so a subclass that overrides them hears of
 * every write (a controller's read-your-writes tracking, say).
 */
export class ControllerRefManager<T extends KObject = KObject> {
  private readonly kindName: string;

  constructor(private readonly o: ControllerRefManagerOptions<T>) {
    this.kindName = o.kernel.kindFor(o.ref).kind;
  }

  /**
   * The objects the controller owns after adopting and releasing (input order kept). Every object
   * is tried; the failures (NotFound aside) are thrown together afterwards.
   */
  async claim(objs: readonly T[]): Promise<T[]> {
    const { owner } = this.o;
    const uid = owner.metadata.uid;
    const ownerDeleting = !!owner.metadata.deletionTimestamp;
    const slots: (T | undefined)[] = new Array(objs.length);
    const errors: unknown[] = [];
    const writes: Promise<unknown>[] = [];
    objs.forEach((obj, i) => {
      const ref = getControllerOf(obj);
      if (ref) {
        if (ref.uid !== uid) return; // someone else's
        if (this.o.match(obj)) slots[i] = obj;
        else if (!ownerDeleting) writes.push(this.release(obj).catch((e) => void errors.push(e)));
        return;
      }
      if (ownerDeleting || !this.o.match(obj) || obj.metadata.deletionTimestamp) return;
      if (owner.metadata.namespace && owner.metadata.namespace !== obj.metadata.namespace) return;
      writes.push(
        this.adopt(obj).then(
          (adopted) => void (slots[i] = adopted),
          (e) => void (isNotFound(e) || errors.push(e)),
        ),
      );
    });
    if (writes.length) await Promise.all(writes);
    const err = aggregateErrors(errors);
    if (err) throw err;
    return slots.filter((o): o is T => o !== undefined);
  }

  /** Patch the controller reference onto an orphan (the API refuses a second controller). */
  async adopt(obj: T): Promise<T> {
    const { kernel, ref, controllerRef } = this.o;
    const { namespace, name, uid } = obj.metadata;
    try {
      await this.o.canAdopt();
    } catch (e) {
      throw new Error(`can't adopt ${this.kindName} ${namespace}/${name} (${uid}): ${message(e)}`, { cause: e });
    }
    return (await kernel.patch(ref, namespace, name!, 'strategic', { metadata: { ownerReferences: [controllerRef], uid } })) as T;
  }

  /**
   * Patch the controller's reference off; returns the object as written, or undefined when nothing
   * was (the object is gone or re-created, or no longer has the reference).
   */
  async release(obj: T): Promise<T | undefined> {
    const { kernel, ref, owner } = this.o;
    const patch = { metadata: { ownerReferences: [{ $patch: 'delete', uid: owner.metadata.uid }], uid: obj.metadata.uid } };
    try {
      return (await kernel.patch(ref, obj.metadata.namespace, obj.metadata.name!, 'strategic', patch)) as T;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      // no such reference any more, or another object of that name (the uid differs)
      if (isInvalid(e)) return undefined;
      throw e;
    }
  }
}
