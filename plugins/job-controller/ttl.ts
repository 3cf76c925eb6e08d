// kube's ttl-after-finished controller, folded into the Job controller's sync: a finished Job with
// spec.ttlSecondsAfterFinished is deleted that many seconds after its Complete / Failed condition's
// lastTransitionTime, with propagationPolicy Foreground and a uid precondition (a fresh read decides).
import { isNotFound, JOBS, type Job } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import { JOB_COMPLETE, JOB_FAILED, isJobFinished } from './conditions.ts';

/** When the finished Job expires (epoch ms), or undefined when it never does. */
export function expiresAt(job: Job): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  if (ttl === undefined || job.metadata.deletionTimestamp || !isJobFinished(job)) return undefined;
  const c = job.status?.conditions?.find((x) => (x.type === JOB_COMPLETE || x.type === JOB_FAILED) && x.status === 'True');
  const finished = c?.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  if (!Number.isFinite(finished)) return undefined;
  return finished + ttl * 1000;
}

/** Delete the Job if its TTL has run out; returns the ms until it does otherwise. */
export async function processTTL(kernel: Kernel, job: Job, now: number): Promise<number | undefined> {
  const at = expiresAt(job);
  if (at === undefined) return undefined;
  if (at > now) return at - now;
  // the cached Job may be stale (its TTL changed): decide on a fresh read
  let fresh: Job;
  try {
    fresh = (await kernel.get(JOBS, job.metadata.namespace, job.metadata.name!)) as Job;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
  const freshAt = expiresAt(fresh);
  if (freshAt === undefined) return undefined;
  if (freshAt > now) return freshAt - now;
  try {
    await kernel.delete(JOBS, fresh.metadata.namespace, fresh.metadata.name!, { propagationPolicy: 'Foreground', preconditions: { uid: fresh.metadata.uid } });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  return undefined;
}
