// The scheduling queue, after kube-scheduler's PriorityQueue:
//
//   activeQ         pods ready to be tried, a heap in the profile's QueueSort order (default:
//                   priority desc, then creation time, then arrival)
//   backoffQ        pods that failed and wait out their backoff: initialBackoff * 2^(attempts-1),
//                   capped at maxBackoff (1 s -> 10 s), counted from the failure; a heap by expiry,
//                   drained by one timer armed for the earliest expiry
//   unschedulableQ  pods no node fitted; they leave on a cluster event that one of the policies
//                   that rejected them lists in `events` (or any event when a rejecting policy lists
//                   none), or after maxUnschedulable (60 s) at the latest, to backoffQ if still
//                   backing off, else activeQ
//   in flight       popped pods, until the scheduler calls done() (after binding)
//
// Pods are keyed by uid. An update to a queued pod replaces it (and moves an unschedulable one
// when its spec or labels changed); an update to an in-flight pod is kept for a possible requeue.
// Deleted or bound pods leave the queue (an in-flight one is marked gone and never requeued).
// As in kube, a cluster event that arrives while pods are in flight makes those pods, should they
// fail, go to backoffQ instead of unschedulableQ, so the event is not lost (moveRequestCycle).
import type { ClusterEvent, PodInfo } from './framework.ts';
import { Heap } from './heap.ts';
import { creationMs } from './pod-info.ts';

export type QueueLocation = 'active' | 'backoff' | 'unschedulable' | 'inflight' | 'gone';

export interface QueuedPod {
  info: PodInfo;
  /** scheduling attempts so far */
  attempts: number;
  /** creation time (ms), for the default order */
  created: number;
  /** arrival order, the last tie-break */
  seq: number;
  /** when it entered its current queue (ms) */
  timestamp: number;
  /** backoff expiry (ms) */
  backoffUntil: number;
  /** the policies that rejected it in its last attempt (empty: unknown, any event helps) */
  rejectedBy: ReadonlySet<string>;
  /** the scheduling cycle that popped it */
  cycle: number;
  where: QueueLocation;
  heapIndex: number;
}

export interface QueueOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxUnschedulableMs?: number;
  /** whether `event` may make a pod rejected by `policy` schedulable */
  mayHelp?: (policy: string, event: ClusterEvent) => boolean;
  now?: () => number;
}

export type PodLess = (a: PodInfo, b: PodInfo) => boolean;

const NONE: ReadonlySet<string> = new Set();

export class SchedulingQueue {
  private readonly pods = new Map<string, QueuedPod>();
  private readonly active: Heap<QueuedPod>;
  private readonly backoff = new Heap<QueuedPod>((a, b) => a.backoffUntil < b.backoffUntil);
  /** insertion-ordered by entry time: the oldest first */
  private readonly unschedulable = new Map<string, QueuedPod>();
  private readonly inflight = new Map<string, QueuedPod>();
  private waiters: ((q: QueuedPod | undefined) => void)[] = [];
  private serving = false;
  private seq = 0;
  private cycle = 0;
  private moveRequestCycle = -1;
  private closed = false;
  private pendingEvents = new Set<ClusterEvent>();
  private eventsScheduled = false;
  private backoffTimer?: NodeJS.Timeout;
  private backoffTimerAt = Infinity;
  private readonly flushTimer: NodeJS.Timeout;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly mayHelp: (policy: string, event: ClusterEvent) => boolean;
  private readonly now: () => number;

  constructor(opts: QueueOptions = {}) {
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.maxUnschedulableMs ?? 60_000;
    this.mayHelp = opts.mayHelp ?? (() => true);
    this.now = opts.now ?? Date.now;
    this.active = new Heap<QueuedPod>(defaultLess);
    this.flushTimer = setInterval(() => this.flushUnschedulable(), Math.min(1000, this.maxUnschedulableMs));
    this.flushTimer.unref();
  }

  /** Use the profile's QueueSort (undefined: the default order). */
  setLess(less: PodLess | undefined): void {
    this.active.setLess(less ? (a, b) => less(a.info, b.info) : defaultLess);
  }

  // ---- feeding ----

  /** A pod to schedule, new or updated. */
  addOrUpdate(info: PodInfo): void {
    if (this.closed) return;
    const cur = this.pods.get(info.uid);
    if (!cur) {
      const q: QueuedPod = {
        info,
        attempts: 0,
        created: creationMs(info),
        seq: this.seq++,
        timestamp: this.now(),
        backoffUntil: 0,
        rejectedBy: NONE,
        cycle: -1,
        where: 'active',
        heapIndex: -1,
      };
      this.pods.set(info.uid, q);
      this.toActive(q);
      return;
    }
    const old = cur.info;
    cur.info = info;
    switch (cur.where) {
      case 'active':
        this.active.fix(cur.heapIndex);
        break;
      case 'unschedulable':
        if (significantChange(old, info)) {
          this.unschedulable.delete(info.uid);
          this.toBackoffOrActive(cur);
        }
        break;
      default: // backoff, in flight: keep the new version for later
    }
  }

  /** The pod is gone (deleted) or bound: it leaves the queue. */
  delete(uid: string): void {
    const q = this.pods.get(uid);
    if (!q) return;
    this.pods.delete(uid);
    switch (q.where) {
      case 'active':
        this.active.remove(q);
        break;
      case 'backoff':
        this.backoff.remove(q);
        break;
      case 'unschedulable':
        this.unschedulable.delete(uid);
        break;
      case 'inflight':
        this.inflight.delete(uid);
        break;
    }
    q.where = 'gone';
  }

  // ---- the scheduling loop's side ----

  /** The next pod to schedule, without waiting. */
  tryPop(): QueuedPod | undefined {
    const q = this.active.pop();
    if (!q) return undefined;
    q.where = 'inflight';
    q.attempts++;
    q.cycle = ++this.cycle;
    this.inflight.set(q.info.uid, q);
    return q;
  }

  /** The next pod to schedule; waits for one; undefined once closed. */
  pop(): Promise<QueuedPod | undefined> {
    const q = this.tryPop();
    if (q || this.closed) return Promise.resolve(q);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Scheduling (and binding) of an in-flight pod is over. */
  done(uid: string): void {
    const q = this.inflight.get(uid);
    if (!q) return;
    this.inflight.delete(uid);
    this.pods.delete(uid);
    q.where = 'gone';
  }

  /** No node fitted: wait for a helpful cluster event (or the backoff, if an event came meanwhile). */
  requeueUnschedulable(q: QueuedPod, rejectedBy: ReadonlySet<string>): void {
    if (q.where !== 'inflight' || this.closed) return;
    this.inflight.delete(q.info.uid);
    q.rejectedBy = rejectedBy;
    q.backoffUntil = this.now() + this.backoffDuration(q);
    if (this.moveRequestCycle >= q.cycle) {
      this.toBackoffOrActive(q);
    } else {
      q.where = 'unschedulable';
      q.timestamp = this.now();
      this.unschedulable.set(q.info.uid, q);
    }
  }

  /** An error (or a failed binding): retry after the backoff. */
  requeueBackoff(q: QueuedPod): void {
    if (q.where !== 'inflight' || this.closed) return;
    this.inflight.delete(q.info.uid);
    q.rejectedBy = NONE;
    q.backoffUntil = this.now() + this.backoffDuration(q);
    this.toBackoffOrActive(q);
  }

  /**
   * A cluster event: move the unschedulable pods it may help. Events are coalesced and applied on
   * the next turn of the event loop (a burst of binds costs one pass over unschedulableQ); pods
   * in flight now will go to backoffQ should they fail.
   */
  onClusterEvent(event: ClusterEvent): void {
    if (this.closed) return;
    this.moveRequestCycle = this.cycle;
    if (this.unschedulable.size === 0) return;
    this.pendingEvents.add(event);
    if (this.eventsScheduled) return;
    this.eventsScheduled = true;
    setImmediate(() => {
      this.eventsScheduled = false;
      const events = [...this.pendingEvents];
      this.pendingEvents.clear();
      if (this.closed) return;
      for (const [uid, q] of this.unschedulable) {
        if (!events.some((e) => this.helps(q, e))) continue;
        this.unschedulable.delete(uid);
        this.toBackoffOrActive(q);
      }
    });
  }

  /** Move every unschedulable pod (a policy set change, or a resync). */
  moveAllUnschedulable(): void {
    this.moveRequestCycle = this.cycle;
    for (const [uid, q] of this.unschedulable) {
      this.unschedulable.delete(uid);
      this.toBackoffOrActive(q);
    }
  }

  /** Every pod the queue holds (in flight included). */
  uids(): string[] {
    return [...this.pods.keys()];
  }

  location(uid: string): QueueLocation | undefined {
    return this.pods.get(uid)?.where;
  }

  get(uid: string): QueuedPod | undefined {
    return this.pods.get(uid);
  }

  stats(): { active: number; backoff: number; unschedulable: number; inflight: number } {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, inflight: this.inflight.size };
  }

  /** The pods waiting (not in flight), for tests and diagnostics. */
  pending(): PodInfo[] {
    return [...this.pods.values()].filter((q) => q.where !== 'inflight').map((q) => q.info);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.flushTimer);
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  // ---- internals ----

  private backoffDuration(q: QueuedPod): number {
    const n = Math.max(0, q.attempts - 1);
    return Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.min(n, 30));
  }

  private helps(q: QueuedPod, event: ClusterEvent): boolean {
    if (q.rejectedBy.size === 0) return true;
    for (const p of q.rejectedBy) if (this.mayHelp(p, event)) return true;
    return false;
  }

  private toActive(q: QueuedPod): void {
    q.where = 'active';
    q.timestamp = this.now();
    this.active.push(q);
    // a waiting loop gets the best pod, not the one moved first: serve waiters after the moves of
    // this turn (several pods may become active together) have all landed in the heap
    if (this.waiters.length > 0 && !this.serving) {
      this.serving = true;
      queueMicrotask(() => {
        this.serving = false;
        while (this.waiters.length > 0) {
          const next = this.tryPop();
          if (!next) break;
          this.waiters.shift()!(next);
        }
      });
    }
  }

  private toBackoffOrActive(q: QueuedPod): void {
    if (q.backoffUntil > this.now()) {
      q.where = 'backoff';
      q.timestamp = this.now();
      this.backoff.push(q);
      this.armBackoffTimer();
    } else {
      this.toActive(q);
    }
  }

  private armBackoffTimer(): void {
    const top = this.backoff.peek();
    if (!top) return;
    if (this.backoffTimer && this.backoffTimerAt <= top.backoffUntil) return;
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffTimerAt = top.backoffUntil;
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      this.backoffTimerAt = Infinity;
      this.flushBackoff();
    }, Math.max(0, top.backoffUntil - this.now()));
    this.backoffTimer.unref();
  }

  /** Move pods whose backoff has expired to activeQ (the timer does this; public for tests with a fake clock). */
  flushBackoff(): void {
    if (this.closed) return;
    const now = this.now();
    for (let top = this.backoff.peek(); top && top.backoffUntil <= now; top = this.backoff.peek()) {
      this.backoff.pop();
      this.toActive(top);
    }
    this.armBackoffTimer();
  }

  private flushUnschedulable(): void {
    if (this.closed || this.unschedulable.size === 0) return;
    const cutoff = this.now() - this.maxUnschedulableMs;
    for (const [uid, q] of this.unschedulable) {
      if (q.timestamp > cutoff) break; // insertion order = entry order
      this.unschedulable.delete(uid);
      this.toBackoffOrActive(q);
    }
  }
}

/** Priority desc, then creation time, then arrival. */
function defaultLess(a: QueuedPod, b: QueuedPod): boolean {
  const pa = a.info.priority;
  const pb = b.info.priority;
  if (pa !== pb) return pa > pb;
  if (a.created !== b.created) return a.created < b.created;
  return a.seq < b.seq;
}

/** An update that may change the scheduling outcome (kube ignores status-only changes). */
function significantChange(a: PodInfo, b: PodInfo): boolean {
  if (a.pod === b.pod) return false;
  const ma = a.pod.metadata;
  const mb = b.pod.metadata;
  if (ma.generation !== mb.generation) return true;
  return JSON.stringify(ma.labels ?? {}) !== JSON.stringify(mb.labels ?? {}) || JSON.stringify(ma.annotations ?? {}) !== JSON.stringify(mb.annotations ?? {});
}
