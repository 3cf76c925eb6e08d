// The policies this package's plugins have started, by policy name. DefaultPreemption re-runs the
// filters that rejected a node with some pods removed, so it needs the live policy objects (with
// their configuration); the scheduler's PolicyRegistry only lists names. Kept on globalThis under
// a Symbol.for key, so that copies of this module (a plugin bundled on its own) share one map.
// Entries are replaced by name and removed on stop: bounded across reloads.
import type { SchedulerPolicy } from '@skiff/plugin-scheduler/framework';

export interface PolicyDirectory {
  get(name: string): SchedulerPolicy | undefined;
  list(): SchedulerPolicy[];
  /** Publish a running policy; the returned function withdraws it (if it was not replaced since). */
  publish(policy: SchedulerPolicy): () => void;
}

export function createPolicyDirectory(initial: SchedulerPolicy[] = []): PolicyDirectory {
  const byName = new Map<string, SchedulerPolicy>();
  for (const p of initial) byName.set(p.name, p);
  return {
    get: (name) => byName.get(name),
    list: () => [...byName.values()],
    publish(policy) {
      byName.set(policy.name, policy);
      return () => {
        if (byName.get(policy.name) === policy) byName.delete(policy.name);
      };
    },
  };
}

const KEY = Symbol.for('skiff.scheduler-policies.directory');

/** The process-wide directory the plugins publish into. */
export function sharedPolicyDirectory(): PolicyDirectory {
  const g = globalThis as unknown as Record<symbol, PolicyDirectory | undefined>;
  return (g[KEY] ??= createPolicyDirectory());
}
