// Allocations as objects: one stored object per allocated value (an IPAddress named by its IP, a
// NodePortAllocation named by its port), pointing at the Service that holds it. Creating the object
// is the atomic claim: the store answers 409 AlreadyExists to every other claimer, in this process
// or another server's. An object whose Service is gone (or no longer holds the value) may be taken
// over: deleted with a precondition on its uid and resourceVersion, then claimed again by create.
//
// When is an allocation free although its object exists? The object names its Service by namespace,
// name and uid (annotation), and carries the time it was claimed:
//  - the Service with that uid exists and holds the value: taken, always;
//  - the object is marked released (the Service's DELETE passed admission) and that Service is gone:
//    free at once (a create right after a delete may reuse the value);
//  - the Service exists with that uid but no longer holds the value (a type change dropped it): free
//    once the claim is `settleMs` old (a claim made for an update still in flight is younger);
//  - no such Service (a create that failed after admission, or one still in flight): free once the
//    claim is `leakGraceMs` old, as kube's repair loop frees leaked allocations.
import { SERVICES } from '@skiff/api';
import { isStatusError, type Kernel, type KObject, type ResourceRef } from '@skiff/kernel';

export const SERVICE_UID_ANNOTATION = 'networking.skiff.io/service-uid';
export const CLAIMED_AT_ANNOTATION = 'networking.skiff.io/claimed-at';
export const RELEASED_ANNOTATION = 'networking.skiff.io/released';

/** The Service an allocation is for. */
export interface Owner {
  namespace: string;
  name: string;
  uid: string;
}

/** One kind of allocation object. */
export interface AllocationKind {
  ref: ResourceRef;
  apiVersion: string;
  kind: string;
  labels: Record<string, string>;
  /** the object's name for a value */
  name(n: number): string;
  /** the value an object name stands for (undefined: not one of ours) */
  value(name: string): number | undefined;
  /** whether the Service holds the value */
  holds(svc: KObject, n: number): boolean;
}

export interface ClaimTiming {
  settleMs: number;
  leakGraceMs: number;
}

const code = (e: unknown) => (isStatusError(e) ? e.code : undefined);

export const ownerOf = (o: KObject): Owner | undefined => {
  const ref = (o.spec as { parentRef?: { namespace?: string; name?: string; resource?: string } } | undefined)?.parentRef;
  const uid = o.metadata.annotations?.[SERVICE_UID_ANNOTATION];
  if (!ref || ref.resource !== 'services' || !ref.namespace || !ref.name) return undefined;
  return { namespace: ref.namespace, name: ref.name, uid: uid ?? '' };
};

const sameOwner = (a: Owner | undefined, b: Owner) => !!a && a.namespace === b.namespace && a.name === b.name && a.uid === b.uid;

/** ms since the claim (claimed-at annotation, else creationTimestamp). */
function claimAge(o: KObject, now: number): number {
  const at = Date.parse(o.metadata.annotations?.[CLAIMED_AT_ANNOTATION] ?? o.metadata.creationTimestamp ?? '');
  return Number.isNaN(at) ? Infinity : now - at;
}

export class Claims {
  constructor(
    private readonly kernel: Kernel,
    readonly kind: AllocationKind,
    private readonly timing: ClaimTiming,
  ) {}

  private object(n: number, owner: Owner): KObject {
    return {
      apiVersion: this.kind.apiVersion,
      kind: this.kind.kind,
      metadata: {
        name: this.kind.name(n),
        labels: { ...this.kind.labels },
        annotations: { [SERVICE_UID_ANNOTATION]: owner.uid, [CLAIMED_AT_ANNOTATION]: new Date().toISOString() },
      },
      spec: { parentRef: { group: '', resource: 'services', namespace: owner.namespace, name: owner.name } },
    };
  }

  private async read(n: number): Promise<KObject | undefined> {
    try {
      return await this.kernel.get(this.kind.ref, undefined, this.kind.name(n));
    } catch (e) {
      if (code(e) === 404) return undefined;
      throw e;
    }
  }

  /** The Service an allocation names, read from the store (undefined: there is none). */
  private async service(owner: Owner): Promise<KObject | undefined> {
    try {
      return await this.kernel.get(SERVICES, owner.namespace, owner.name);
    } catch (e) {
      if (code(e) === 404) return undefined;
      throw e;
    }
  }

  /** Whether the value `o` stands for may be given to someone else now (see the header). */
  async isFree(o: KObject, now = Date.now()): Promise<boolean> {
    return (await this.check(o, now)).free;
  }

  /**
   * isFree, and when not free only for want of time, in how many ms to look again. `gone`: uids of
   * Services known deleted (a watch saw them go): theirs are free at once, marked or not.
   */
  async check(o: KObject, now = Date.now(), gone?: ReadonlySet<string>): Promise<{ free: boolean; recheckInMs?: number }> {
    const n = this.kind.value(o.metadata.name ?? '');
    const owner = ownerOf(o);
    const after = (ms: number) => {
      const age = claimAge(o, now);
      return age > ms ? { free: true } : { free: false, recheckInMs: ms - age + 1 };
    };
    if (n === undefined || !owner) return after(this.timing.leakGraceMs); // not one we understand: a leak
    const svc = await this.service(owner);
    const sameService = !!svc && svc.metadata.uid === owner.uid;
    if (sameService && this.kind.holds(svc, n)) return { free: false };
    if (sameService) return after(this.timing.settleMs);
    if (o.metadata.annotations?.[RELEASED_ANNOTATION] === 'true' || gone?.has(owner.uid)) return { free: true };
    return after(this.timing.leakGraceMs);
  }

  /** Delete the allocation object, if it is still the one read (uid and resourceVersion). */
  async remove(o: KObject): Promise<boolean> {
    try {
      await this.kernel.delete(this.kind.ref, undefined, o.metadata.name!, { preconditions: { uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion } });
      return true;
    } catch (e) {
      if (code(e) === 404 || code(e) === 409) return false;
      throw e;
    }
  }

  /**
   * Claim value `n` for `owner`: true when it is the owner's now (claimed, or it already was), false
   * when someone else holds it. With dryRun nothing is written: true when a claim would succeed.
   */
  async claim(n: number, owner: Owner, dryRun = false): Promise<boolean> {
    for (let attempt = 0; attempt < 4; attempt++) {
      if (!dryRun) {
        try {
          await this.kernel.create(this.kind.ref, this.object(n, owner));
          return true;
        } catch (e) {
          if (code(e) !== 409) throw e;
        }
      }
      const cur = await this.read(n);
      if (!cur) {
        if (dryRun) return true;
        continue; // freed meanwhile: claim again
      }
      if (sameOwner(ownerOf(cur), owner)) {
        // ours already (a retried request, or an update giving a Service back what it held): a fresh
        // claim time keeps the repair loop from freeing it before the write lands
        if (!dryRun) await this.touch(cur);
        return true;
      }
      if (!(await this.isFree(cur))) return false;
      if (dryRun) return true;
      await this.remove(cur); // lost races end in the next create's 409
    }
    return false;
  }

  private async touch(o: KObject): Promise<void> {
    const annotations: Record<string, string> = { ...o.metadata.annotations, [CLAIMED_AT_ANNOTATION]: new Date().toISOString() };
    delete annotations[RELEASED_ANNOTATION];
    try {
      await this.kernel.update(this.kind.ref, { ...o, metadata: { ...o.metadata, annotations } });
    } catch (e) {
      if (code(e) !== 409 && code(e) !== 404) throw e;
    }
  }

  /** Give back a value claimed by this request (its Service was not written): only if it is still the owner's. */
  async unclaim(n: number, owner: Owner): Promise<void> {
    const cur = await this.read(n);
    if (cur && sameOwner(ownerOf(cur), owner)) await this.remove(cur);
  }

  /**
   * Mark the owner's allocation of `n` released: its Service is being deleted. The value becomes free
   * as soon as the Service is gone from the store (a failed delete leaves the Service holding it).
   */
  async markReleased(n: number, owner: Owner): Promise<void> {
    const cur = await this.read(n);
    if (!cur || !sameOwner(ownerOf(cur), owner) || cur.metadata.annotations?.[RELEASED_ANNOTATION] === 'true') return;
    try {
      await this.kernel.update(this.kind.ref, { ...cur, metadata: { ...cur.metadata, annotations: { ...cur.metadata.annotations, [RELEASED_ANNOTATION]: 'true' } } });
    } catch (e) {
      if (code(e) !== 409 && code(e) !== 404) throw e;
    }
  }

  /** Create the owner's allocation object for a value its Service holds (repair): false when another holds it. */
  async restore(n: number, owner: Owner): Promise<'created' | 'present' | 'conflict'> {
    try {
      await this.kernel.create(this.kind.ref, this.object(n, owner));
      return 'created';
    } catch (e) {
      if (code(e) !== 409) throw e;
    }
    const cur = await this.read(n);
    return !cur || sameOwner(ownerOf(cur), owner) ? 'present' : 'conflict';
  }
}
