// Creates and deletes a set has issued that its pod informer has not seen yet, kept in the kit's
// Expectations (one entry per pod, keyed "pod:<namespace>/<name>"), and the pods each set waits for.
// A StatefulSet's pods have fixed names, so a lagging informer cannot make it create a second pod;
// but it would re-create a pod it just made (AlreadyExists), delete one twice, or decide the next
// ordered step from a view that misses its last one. A set whose pods are in flight waits: the
// informer event that settles them enqueues it again.
import type { Expectations } from '@skiff/client';

const tag = (podKey: string) => `pod:${podKey}`;

export class InFlight {
  private readonly bySet = new Map<string, Set<string>>();

  constructor(private readonly expectations: Expectations) {}

  /** `setKey` is about to create the pod `podKey`. */
  creating(setKey: string, podKey: string): void {
    this.expectations.expectCreations(tag(podKey), 1);
    this.track(setKey, podKey);
  }

  /** `setKey` is about to delete the pod `podKey`. */
  deleting(setKey: string, podKey: string): void {
    this.expectations.expectDeletions(tag(podKey), [podKey]);
    this.track(setKey, podKey);
  }

  /** The informer saw the pod (or its create failed and it will not be seen). */
  created(podKey: string): void {
    this.expectations.creationObserved(tag(podKey));
  }

  /** The informer saw the pod terminating or gone (or its delete failed). */
  deleted(podKey: string): void {
    this.expectations.deletionObserved(tag(podKey), podKey);
  }

  /** True when nothing the set did is still unseen (what is settled is forgotten). */
  settled(setKey: string): boolean {
    const pods = this.bySet.get(setKey);
    if (!pods) return true;
    for (const p of pods) {
      if (!this.expectations.satisfied(tag(p))) continue;
      this.expectations.forget(tag(p));
      pods.delete(p);
    }
    if (pods.size) return false;
    this.bySet.delete(setKey);
    return true;
  }

  /** The set is gone: drop what it waited for. */
  forget(setKey: string): void {
    for (const p of this.bySet.get(setKey) ?? []) this.expectations.forget(tag(p));
    this.bySet.delete(setKey);
  }

  private track(setKey: string, podKey: string): void {
    let s = this.bySet.get(setKey);
    if (!s) this.bySet.set(setKey, (s = new Set()));
    s.add(podKey);
  }
}
