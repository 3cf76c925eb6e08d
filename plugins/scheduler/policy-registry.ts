// The scheduler's PolicyRegistry: policy plugins register a SchedulerPolicy (with a Score weight and
// the profiles it applies to); registering a name again replaces the earlier registration (a
// reconfiguration) in place, keeping its position in the order; disposing a registration removes
// it unless it has been replaced since.
//
// The scheduler never reads the live registration list inside a cycle: it takes an immutable
// `ProfilePolicies` snapshot (per profile, cached until the next change) at the start of each
// scheduling cycle and uses that one snapshot for the whole cycle, binding cycle included. A
// registration change therefore takes effect between cycles, never mid-cycle.
import type { ClusterEvent, Disposable, PolicyRegistration, PolicyRegistry, SchedulerPolicy } from './framework.ts';

export const DEFAULT_PROFILE = 'default-scheduler';

export interface PolicyEntry {
  name: string;
  policy: SchedulerPolicy;
  weight: number;
  profiles: string[];
  /** undefined = every event may help pods this policy rejected */
  events?: ReadonlySet<ClusterEvent>;
}

/** The policy set of one profile at one moment, split by extension point (registration order). */
export interface ProfilePolicies {
  readonly profile: string;
  /** bumps on every registry change */
  readonly version: number;
  readonly all: readonly PolicyEntry[];
  readonly queueSort?: PolicyEntry;
  readonly preFilter: readonly PolicyEntry[];
  /** policies with filter, filterBatch or beginFilterBatch (in reverse order of preference) */
  readonly filter: readonly PolicyEntry[];
  /** true when some entry of `filter` is batched */
  readonly hasBatchFilter: boolean;
  readonly postFilter: readonly PolicyEntry[];
  readonly preScore: readonly PolicyEntry[];
  /** policies with score, scoreBatch or beginScoreBatch (in reverse order of preference) */
  readonly score: readonly PolicyEntry[];
  readonly reserve: readonly PolicyEntry[];
  readonly unreserve: readonly PolicyEntry[];
  readonly permit: readonly PolicyEntry[];
  readonly preBind: readonly PolicyEntry[];
  readonly postBind: readonly PolicyEntry[];
  /** by name, for requeue decisions */
  readonly byName: ReadonlyMap<string, PolicyEntry>;
}

type Listener = (profiles: ReadonlySet<string>) => void;

export class SchedulerPolicyRegistry implements PolicyRegistry {
  private entries: PolicyEntry[] = [];
  private version = 0;
  private snapshots = new Map<string, ProfilePolicies>();
  private listeners = new Set<Listener>();
  private eventListeners = new Set<(e: ClusterEvent) => void>();

  register(reg: PolicyRegistration): Disposable {
    const p = reg.policy;
    if (!p || typeof p.name !== 'string' || p.name === '') throw new Error('a scheduler policy needs a non-empty name');
    const weight = reg.weight ?? 1;
    if (!Number.isFinite(weight) || weight < 0) throw new Error(`policy ${p.name}: weight must be a non-negative number`);
    const profiles = reg.profiles && reg.profiles.length ? [...new Set(reg.profiles)] : [DEFAULT_PROFILE];
    const entry: PolicyEntry = Object.freeze({
      name: p.name,
      policy: p,
      weight,
      profiles,
      events: p.events ? new Set(p.events) : undefined,
    });
    const i = this.entries.findIndex((e) => e.name === p.name);
    const changed = new Set(profiles);
    if (i >= 0) {
      for (const pr of this.entries[i].profiles) changed.add(pr);
      this.entries = this.entries.map((e, j) => (j === i ? entry : e));
    } else {
      this.entries = [...this.entries, entry];
    }
    this.changed(changed);
    let disposed = false;
    return {
      dispose: () => {
        if (disposed) return;
        disposed = true;
        // only if this registration is still the current one (not replaced since)
        if (!this.entries.includes(entry)) return;
        this.entries = this.entries.filter((e) => e !== entry);
        this.changed(new Set(entry.profiles));
      },
    };
  }

  list(): { name: string; weight: number; profiles: string[] }[] {
    return this.entries.map((e) => ({ name: e.name, weight: e.weight, profiles: [...e.profiles] }));
  }

  /** The current policy set of `profile` (immutable; the same object until the next change). */
  snapshot(profile: string): ProfilePolicies {
    let s = this.snapshots.get(profile);
    if (!s) {
      s = build(profile, this.version, this.entries.filter((e) => e.profiles.includes(profile)));
      this.snapshots.set(profile, s);
    }
    return s;
  }

  get generation(): number {
    return this.version;
  }

  /** Called after every change with the profiles it touched. */
  onChange(fn: Listener): Disposable {
    this.listeners.add(fn);
    return { dispose: () => void this.listeners.delete(fn) };
  }

  clusterEvent(event: ClusterEvent): void {
    for (const fn of this.eventListeners) fn(event);
  }

  /** Called on every clusterEvent (the scheduler forwards them to its queue). */
  onClusterEvent(fn: (e: ClusterEvent) => void): Disposable {
    this.eventListeners.add(fn);
    return { dispose: () => void this.eventListeners.delete(fn) };
  }

  /** Remove every registration (the scheduler stopping). */
  clear(): void {
    const touched = new Set(this.entries.flatMap((e) => e.profiles));
    this.entries = [];
    this.changed(touched);
  }

  private changed(profiles: Set<string>): void {
    this.version++;
    this.snapshots.clear();
    for (const fn of this.listeners) {
      try {
        fn(profiles);
      } catch {
        // a listener's failure is its own
      }
    }
  }
}

function build(profile: string, version: number, all: PolicyEntry[]): ProfilePolicies {
  const has = (k: keyof SchedulerPolicy) => all.filter((e) => typeof e.policy[k] === 'function');
  const p = (e: PolicyEntry) => e.policy;
  const filter = all.filter((e) => typeof p(e).filter === 'function' || typeof p(e).filterBatch === 'function' || typeof p(e).beginFilterBatch === 'function');
  const score = all.filter((e) => typeof p(e).score === 'function' || typeof p(e).scoreBatch === 'function' || typeof p(e).beginScoreBatch === 'function');
  return Object.freeze({
    profile,
    version,
    all: Object.freeze([...all]),
    queueSort: all.find((e) => typeof e.policy.less === 'function'),
    preFilter: has('preFilter'),
    filter,
    hasBatchFilter: filter.some((e) => typeof e.policy.filterBatch === 'function' || typeof e.policy.beginFilterBatch === 'function'),
    postFilter: has('postFilter'),
    preScore: has('preScore'),
    score,
    reserve: has('reserve'),
    unreserve: has('unreserve'),
    permit: has('permit'),
    preBind: has('preBind'),
    postBind: has('postBind'),
    byName: new Map(all.map((e) => [e.name, e])),
  });
}
