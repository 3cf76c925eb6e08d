// The scheduler plugin: the scheduling framework's runtime (queue, cache, cycles, binding), with a
// PolicyRegistry that policy plugins (type skiff.io/scheduler-policy) register their policies in.
//
// Config: { percentageOfNodesToScore?: 1..100 (default: adaptive, like kube), parallelBindings?:
// number (default 256), profiles?: scheduler names served (default ['default-scheduler']),
// leaderElection (default true), leaseDurationSeconds (default 10) }.
//
// Like kube-scheduler, it schedules only while it holds its Lease (kube-system/skiff-scheduler), so
// two servers on one NATS never both bind; a new leader starts a fresh scheduler (informers listed
// anew), and one that loses the Lease drains and stops its own.
import { LeaderElector } from '@skiff/client';
import { definePlugin } from '@skiff/kernel/plugins';
import { PolicyRegistryToken } from './framework.ts';
import { SchedulerPolicyRegistry } from './policy-registry.ts';
import { Scheduler } from './scheduler.ts';

export interface SchedulerPluginConfig {
  percentageOfNodesToScore?: number;
  parallelBindings: number;
  profiles?: string[];
  leaderElection: boolean;
  leaseDurationSeconds: number;
}

/** The Lease schedulers are elected by (kube-scheduler's is kube-system/kube-scheduler). */
export const SCHEDULER_LEASE = 'skiff-scheduler';

export default definePlugin<SchedulerPluginConfig>({
  name: 'scheduler',
  version: '0.1.0',
  type: 'skiff.io/scheduler',
  provides: [PolicyRegistryToken],
  configSchema: {
    type: 'object',
    properties: {
      percentageOfNodesToScore: { type: 'number', minimum: 0, maximum: 100 },
      parallelBindings: { type: 'integer', minimum: 1, default: 256 },
      profiles: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
      leaderElection: { type: 'boolean', default: true },
      leaseDurationSeconds: { type: 'integer', minimum: 3, default: 10 },
    },
    additionalProperties: false,
  },
  async start(ctx) {
    const registry = new SchedulerPolicyRegistry();
    const cfg = ctx.config;
    const newScheduler = () =>
      new Scheduler({
        kernel: ctx.kernel,
        registry,
        logger: ctx.logger,
        percentageOfNodesToScore: cfg.percentageOfNodesToScore,
        parallelBindings: cfg.parallelBindings,
        profiles: cfg.profiles,
      });
    ctx.provide(PolicyRegistryToken, registry);
    if (!cfg.leaderElection) {
      const scheduler = newScheduler();
      await scheduler.start();
      return { drain: () => scheduler.drain(), stop: () => scheduler.stop() };
    }
    // one scheduler at a time, started and stopped in order as leadership comes and goes
    let current: Scheduler | undefined;
    let chain: Promise<void> = Promise.resolve();
    const leaseMs = cfg.leaseDurationSeconds * 1000;
    const election = LeaderElector.shared(ctx.kernel, {
      name: SCHEDULER_LEASE,
      leaseDurationMs: leaseMs,
      renewDeadlineMs: Math.round(leaseMs * 0.7),
      retryPeriodMs: Math.round(leaseMs * 0.2),
      logger: ctx.logger,
    });
    const unsubscribe = election.elector.onChange((leading) => {
      chain = chain.then(async () => {
        if (leading && !current && !ctx.signal.aborted) {
          current = newScheduler();
          await current.start();
        } else if (!leading && current) {
          const s = current;
          current = undefined;
          await s.drain();
          s.stop();
        }
      }).catch((e) => ctx.logger.error('scheduler start/stop on a leadership change failed', { error: String(e) }));
    });
    const end = async (drain: boolean) => {
      unsubscribe();
      await chain;
      const s = current;
      current = undefined;
      if (s && drain) await s.drain();
      s?.stop();
      await election.release();
    };
    return { drain: () => end(true), stop: () => end(false) };
  },
});
