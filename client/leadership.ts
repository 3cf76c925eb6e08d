// What every controller of a process shares about who acts: the config a controller plugin takes for
// it (workers, leaderElection, leaseDurationSeconds) and the one Lease they are elected by
// (CONTROLLER_LEASE, as kube-controller-manager's). The controller kit uses this; so does a controller
// that is not one kind's reconcile loop (the garbage collector).
import type { Kernel } from '@skiff/kernel';
import type { JSONSchema, Logger } from '@skiff/kernel/plugins';
import { LeaderElector } from './leader-elector.ts';

/** The Lease every controller of a process is elected by (as kube-controller-manager's). */
export const CONTROLLER_LEASE = 'skiff-controller-manager';

export interface KitConfig {
  workers: number;
  leaderElection: boolean;
  leaseDurationSeconds: number;
}

/** A controller's config schema: its own properties plus workers, leaderElection and leaseDurationSeconds. */
export function kitConfigSchema(own: JSONSchema | undefined, defaultWorkers: number): JSONSchema {
  const props = ((own ?? {}) as { properties?: Record<string, unknown> }).properties ?? {};
  return {
    type: 'object',
    additionalProperties: false,
    ...own,
    properties: {
      workers: { type: 'integer', minimum: 1, default: defaultWorkers },
      leaderElection: { type: 'boolean', default: true },
      leaseDurationSeconds: { type: 'integer', minimum: 3, default: 10 },
      ...props,
    },
  };
}

export interface Leadership {
  /** stop following (the shared elector stops with its last follower, giving the Lease up) */
  release(): Promise<void>;
}

/**
 * Call `onChange(true)` when this process starts leading and `onChange(false)` when it stops: on the
 * shared CONTROLLER_LEASE elector, or at once (and for good) when leader election is off.
 */
export function followLeadership(kernel: Kernel, config: Pick<KitConfig, 'leaderElection' | 'leaseDurationSeconds'>, logger: Logger, onChange: (leading: boolean) => void): Leadership {
  if (!config.leaderElection) {
    onChange(true);
    return { release: async () => {} };
  }
  const leaseMs = config.leaseDurationSeconds * 1000;
  const election = LeaderElector.shared(kernel, {
    name: CONTROLLER_LEASE,
    leaseDurationMs: leaseMs,
    renewDeadlineMs: Math.round(leaseMs * 0.7),
    retryPeriodMs: Math.round(leaseMs * 0.2),
    logger,
  });
  const unsubscribe = election.elector.onChange(onChange);
  return {
    async release() {
      unsubscribe();
      await election.release();
    },
  };
}
