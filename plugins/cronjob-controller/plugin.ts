// cronjob-controller: kube's CronJob controller (v2). Starts a Job per schedule time (standard cron,
// descriptors, timeZone), honours suspend, startingDeadlineSeconds and the concurrency policy
// (Allow / Forbid / Replace), keeps status.active, lastScheduleTime and lastSuccessfulTime, prunes
// finished Jobs past the history limits, and is woken exactly at the next schedule time.
import { CRON_JOBS, JOBS, type CronJob, type Job } from '@skiff/api';
import { CONTROLLER_INDEX, controllerIndexKey, defineController, LastWritten, splitKey } from '@skiff/client';
import { realClock, type Clock } from './clock.ts';
import { cleanupFinishedJobs, syncCronJob, type CronController } from './sync.ts';

export interface CronJobControllerOptions {
  /** the clock (default: the real one); a FakeClock lets tests move time */
  clock?: Clock;
}

export function cronJobController(opts: CronJobControllerOptions = {}) {
  const clock = opts.clock ?? realClock;
  return defineController({
    name: 'cronjob-controller',
    version: '0.1.0',
    for: CRON_JOBS,
    owns: [{ ref: JOBS }],
    workers: 5, // kube's --concurrent-cron-job-syncs
    setup(c) {
      const cronJobs = c.informer<CronJob>(CRON_JOBS);
      const jobs = c.informer<Job>(JOBS);
      jobs.addIndexers({ [CONTROLLER_INDEX]: controllerIndexKey });
      const cc: CronController = { kernel: c.kernel, recorder: c.recorder, clock };
      /** the CronJob as this controller last wrote it: read-your-writes while the informer lags */
      const written = new LastWritten<CronJob>();
      const off = clock.onJump?.(() => {
        for (const k of cronJobs.indexer.keys()) c.enqueue(k);
      });
      if (off) c.signal.addEventListener('abort', off);

      return async (key) => {
        const { namespace, name } = splitKey(key);
        const cur = written.current(key, cronJobs.lister.get(namespace, name));
        if (!cur) return;
        const cj = structuredClone(cur);
        const children = jobs.indexer.byIndex(CONTROLLER_INDEX, cj.metadata.uid!).filter((j) => j.metadata.namespace === namespace);
        const cleaned = await cleanupFinishedJobs(cc, cj, children);
        const r = await syncCronJob(cc, cj, children);
        if (cleaned || r.updateStatus) {
          if (cj.status?.active?.length === 0) delete cj.status.active;
          try {
            const out = (await c.kernel.update(CRON_JOBS, cj, { subresource: 'status' })) as CronJob;
            written.wrote(key, out);
          } catch (e) {
            written.forget(key);
            throw e;
          }
        }
        return r.requeueAfterMs === undefined ? undefined : { requeueAfterMs: Math.max(0, r.requeueAfterMs) };
      };
    },
  });
}

export default cronJobController();
