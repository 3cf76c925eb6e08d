// The Job controller's state and reconcile: informers and indexes, the event handlers that observe
// expectations (pod creations, deletions, finalizer removals), the orphan-pod finalizer cleanup, and
// the dispatch of a key to syncJob or the TTL after finish.
import { JOBS, PODS, getControllerOf, isConflict, newControllerRef, selectorMatches, type Job, type Pod } from '@skiff/api';
import { CONTROLLER_INDEX, controllerIndexKey, Expectations, LastWritten, PodControl, splitKey, type ControllerRuntime, type Reconcile } from '@skiff/client';
import { BackoffStore } from './backoff.ts';
import { isJobFinished, managedByOther } from './conditions.ts';
import type { JobController, JobControllerConfig } from './context.ts';
import { hasTrackingFinalizer, podKey } from './pods.ts';
import { syncJob } from './sync.ts';
import { adoptPod, removeTrackingFinalizer } from './tracking-finalizer.ts';
import { processTTL } from './ttl.ts';

/** Pods without a controller, by the Job uid their labels name (for adoption). */
export const ORPHAN_JOB_UID_INDEX = 'job-controller/orphan-controller-uid';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';

/** Keys of orphan pods whose tracking finalizer must go (never a Job key: namespaces have no ':'). */
const ORPHAN_PREFIX = 'pod:';

export function orphanUidIndex(o: { metadata: { labels?: Record<string, string>; ownerReferences?: { controller?: boolean }[] } }): string[] {
  if (o.metadata.ownerReferences?.some((r) => r.controller)) return [];
  const v = o.metadata.labels?.[CONTROLLER_UID_LABEL] ?? o.metadata.labels?.[LEGACY_CONTROLLER_UID_LABEL];
  return v ? [v] : [];
}

/** The Job keys an orphan pod may concern (its job-name label), for `owns.orphanKeys`. */
export function orphanJobKeys(pod: { metadata: { namespace?: string; labels?: Record<string, string> } }): string[] {
  const name = pod.metadata.labels?.['batch.kubernetes.io/job-name'] ?? pod.metadata.labels?.['job-name'];
  return name && pod.metadata.namespace ? [`${pod.metadata.namespace}/${name}`] : [];
}

export interface JobControllerOptions {
  /** the clock (epoch ms); tests may inject one */
  now?: () => number;
}

export function setupJobController(c: ControllerRuntime<JobControllerConfig>, opts: JobControllerOptions = {}): Reconcile {
  const jobsInf = c.informer<Job>(JOBS);
  const podsInf = c.informer<Pod>(PODS);
  podsInf.addIndexers({ [CONTROLLER_INDEX]: controllerIndexKey, [ORPHAN_JOB_UID_INDEX]: orphanUidIndex });
  const podControl = new PodControl(c.kernel, c.recorder);
  const now = opts.now ?? Date.now;
  /** the Job status this controller wrote last, per key: read-your-writes while the informer lags */
  const written = new LastWritten<Job>();
  const pendingOrphans = new Set<string>();

  const currentJob = (key: string): Job | undefined => {
    const { namespace, name } = splitKey(key);
    return written.current(key, jobsInf.lister.get(namespace, name));
  };

  const jc: JobController = {
    kernel: c.kernel,
    recorder: c.recorder,
    podControl,
    expectations: c.expectations,
    finalizerExpectations: new Expectations(Infinity),
    backoff: new BackoffStore(),
    jobs: jobsInf.lister,
    config: c.config,
    now,
    async podsForJob(job) {
      const owned = podsInf.indexer.byIndex(CONTROLLER_INDEX, job.metadata.uid!).filter((p) => p.metadata.namespace === job.metadata.namespace);
      const orphans = podsInf.indexer
        .byIndex(ORPHAN_JOB_UID_INDEX, job.metadata.uid!)
        .filter((p) => p.metadata.namespace === job.metadata.namespace && !p.metadata.deletionTimestamp && selectorMatches(job.spec?.selector, p.metadata.labels ?? {}));
      if (orphans.length === 0 || job.metadata.deletionTimestamp) return owned;
      // adopt only if the Job is still there and not being deleted (a quorum read, as kube's RecheckDeletionTimestamp)
      const fresh = (await c.kernel.get(JOBS, job.metadata.namespace, job.metadata.name!)) as Job;
      if (fresh.metadata.uid !== job.metadata.uid || fresh.metadata.deletionTimestamp) return owned;
      const ref = newControllerRef(job, 'batch/v1', 'Job');
      const adopted = await Promise.all(orphans.map((p) => adoptPod(c.kernel, p, ref).catch(() => undefined)));
      return [...owned, ...adopted.filter((p): p is Pod => p !== undefined)];
    },
    async updateStatus(job) {
      const st = job.status ?? {};
      // as kube's JSON: zero counters and empty uid lists are omitted
      for (const f of ['active', 'succeeded', 'failed'] as const) if (st[f] === 0) delete st[f];
      const u = st.uncountedTerminatedPods;
      if (u) for (const f of ['succeeded', 'failed'] as const) if (u[f]?.length === 0) delete u[f];
      const out = (await c.kernel.update(JOBS, job, { subresource: 'status' })) as Job;
      written.wrote(`${out.metadata.namespace}/${out.metadata.name}`, out);
      return out;
    },
  };

  /** the Job a pod's controller reference names, if it is in the cache */
  const resolve = (pod: Pod): Job | undefined => {
    const ref = getControllerOf(pod);
    if (!ref || ref.kind !== 'Job') return undefined;
    const job = jobsInf.lister.get(pod.metadata.namespace, ref.name);
    return job && job.metadata.uid === ref.uid ? job : undefined;
  };
  const jobKeyOf = (job: Job) => `${job.metadata.namespace}/${job.metadata.name}`;
  const enqueueOrphan = (pod: Pod) => {
    const k = ORPHAN_PREFIX + podKey(pod);
    if (c.leading) c.enqueue(k);
    else pendingOrphans.add(k);
  };

  const podDeleted = (pod: Pod, final: boolean) => {
    const ref = getControllerOf(pod);
    const hasFin = hasTrackingFinalizer(pod);
    if (!ref) {
      if (hasFin) enqueueOrphan(pod);
      return;
    }
    const job = resolve(pod);
    if (!job || isJobFinished(job)) {
      if (hasFin) enqueueOrphan(pod);
      return;
    }
    const key = jobKeyOf(job);
    c.expectations.deletionObserved(key, podKey(pod));
    if (final || !hasFin) jc.finalizerExpectations.deletionObserved(key, pod.metadata.uid ?? '');
  };
  const offPods = podsInf.addEventHandler({
    onAdd(pod) {
      if (pod.metadata.deletionTimestamp) return podDeleted(pod, false);
      const job = resolve(pod);
      if (job) c.expectations.creationObserved(jobKeyOf(job));
      else if (!getControllerOf(pod) && hasTrackingFinalizer(pod)) enqueueOrphan(pod);
    },
    onUpdate(old, pod) {
      if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
      if (pod.metadata.deletionTimestamp) return podDeleted(pod, false);
      const removed = !hasTrackingFinalizer(pod);
      const oldRef = getControllerOf(old);
      const ref = getControllerOf(pod);
      if (oldRef && oldRef.uid !== ref?.uid && removed) {
        const prev = resolve(old);
        if (prev) jc.finalizerExpectations.deletionObserved(jobKeyOf(prev), pod.metadata.uid ?? '');
      }
      if (ref) {
        const job = resolve(pod);
        if (job && removed) jc.finalizerExpectations.deletionObserved(jobKeyOf(job), pod.metadata.uid ?? '');
      } else if (hasTrackingFinalizer(pod)) enqueueOrphan(pod);
    },
    onDelete: (pod) => podDeleted(pod, true),
  });
  /** a deleted or finished Job leaves its pods' finalizers to the orphan cleanup (kube's cleanupPodFinalizers) */
  const cleanupPodFinalizers = (job: Job) => {
    for (const p of podsInf.indexer.byIndex(CONTROLLER_INDEX, job.metadata.uid ?? '')) if (hasTrackingFinalizer(p)) enqueueOrphan(p);
  };
  const offJobs = jobsInf.addEventHandler({
    onUpdate: (_, job) => isJobFinished(job) && cleanupPodFinalizers(job),
    onDelete: cleanupPodFinalizers,
  });
  c.signal.addEventListener('abort', () => {
    offPods();
    offJobs();
  });

  /** Remove the finalizer of a pod whose Job is gone or finished (kube's syncOrphanPod). */
  const syncOrphanPod = async (key: string) => {
    const { namespace, name } = splitKey(key);
    const pod = podsInf.lister.get(namespace, name);
    if (!pod || !hasTrackingFinalizer(pod)) return;
    const ref = getControllerOf(pod);
    if (ref) {
      if (ref.kind !== 'Job' || ref.apiVersion !== 'batch/v1') return;
      const job = resolve(pod);
      if (job && managedByOther(job)) return;
      if (job && !isJobFinished(job)) return; // adopted, or still counting
    }
    await removeTrackingFinalizer(c.kernel, pod);
  };

  return async (key) => {
    if (pendingOrphans.size > 0 && c.leading) {
      for (const k of pendingOrphans) c.enqueue(k);
      pendingOrphans.clear();
    }
    if (key.startsWith(ORPHAN_PREFIX)) return void (await syncOrphanPod(key.slice(ORPHAN_PREFIX.length)));
    const job = currentJob(key);
    if (!job) {
      c.expectations.forget(key);
      jc.finalizerExpectations.forget(key);
      jc.backoff.remove(key);
      return;
    }
    if (isJobFinished(job)) {
      // the TTL applies to every finished Job, whoever managed it
      jc.backoff.remove(key);
      const ms = await processTTL(c.kernel, job, now());
      return ms === undefined ? undefined : { requeueAfterMs: ms };
    }
    if (managedByOther(job)) return;
    const mode = job.spec?.completionMode;
    if (mode !== undefined && mode !== 'NonIndexed' && mode !== 'Indexed') {
      c.recorder.record(job, { type: 'Warning', reason: 'UnknownCompletionMode', message: 'Skipped Job sync because completion mode is unknown' });
      return;
    }
    try {
      const ms = await syncJob(jc, key, job);
      return ms === undefined ? undefined : { requeueAfterMs: ms };
    } catch (e) {
      if (isConflict(e)) written.forget(key); // read the Job afresh on the retry
      throw e;
    }
  };
}
