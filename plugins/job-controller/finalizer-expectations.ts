// kube's uidTrackingExpectations for the tracking finalizer: the pod uids of a Job whose finalizer
// removal was sent and not yet seen by the informer. Until seen, such a pod is neither counted again
// nor treated as uncounted.

export class FinalizerExpectations {
  private readonly byJob = new Map<string, Set<string>>();

  /** The uids expected for `jobKey` (a copy). */
  expected(jobKey: string): Set<string> {
    return new Set(this.byJob.get(jobKey));
  }

  expectRemoved(jobKey: string, uids: readonly string[]): void {
    if (uids.length === 0) return;
    let s = this.byJob.get(jobKey);
    if (!s) this.byJob.set(jobKey, (s = new Set()));
    for (const u of uids) s.add(u);
  }

  /** The removal for `uid` was seen (or failed, so it never will be). */
  observed(jobKey: string, uid: string | undefined): void {
    const s = this.byJob.get(jobKey);
    if (!s || !uid) return;
    s.delete(uid);
    if (s.size === 0) this.byJob.delete(jobKey);
  }

  delete(jobKey: string): void {
    this.byJob.delete(jobKey);
  }
}
