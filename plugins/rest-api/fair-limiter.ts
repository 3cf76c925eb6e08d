// A concurrency limit shared fairly between flows (clients), in the spirit of Kubernetes' API
// Priority and Fairness: at most `concurrency` requests run at once, one flow holds at most
// `perFlow` of them (so others always find a seat), the rest wait in a short queue per flow and are
// let in fewest-running-flow first; a full queue or a wait past `maxWaitMs` is a 429.
import { errors } from '@skiff/kernel';

export interface LimiterConfig {
  /** requests running at once, all flows together */
  concurrency: number;
  /** requests one flow may run at once (below `concurrency`, so one client cannot take it all) */
  perFlow: number;
  /** requests one flow may have waiting */
  queuePerFlow: number;
  /** requests waiting, all flows together */
  queueTotal: number;
  /** longest wait for a seat before a 429 */
  maxWaitMs: number;
  /** seconds in the 429's Retry-After */
  retryAfterSeconds: number;
}

interface Waiter {
  grant: () => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
  /** arrival order (ties between flows go to the longest waiting) */
  seq: number;
}

interface Flow {
  running: number;
  queue: Waiter[];
}

export type Release = () => void;

export class FairLimiter {
  private running = 0;
  private waiting = 0;
  private seq = 0;
  private readonly flows = new Map<string, Flow>();

  constructor(
    readonly name: string,
    readonly config: LimiterConfig,
  ) {}

  /** Running and waiting requests, for tests and metrics. */
  stats(): { running: number; waiting: number; flows: number } {
    return { running: this.running, waiting: this.waiting, flows: this.flows.size };
  }

  /**
   * A seat for a request of `flowId`: resolves with its release (call it exactly once, when the
   * request ends), or rejects with a 429 Status. `signal` aborts a wait (the client went away).
   */
  acquire(flowId: string, signal?: AbortSignal): Promise<Release> {
    const c = this.config;
    const flow = this.flow(flowId);
    if (this.running < c.concurrency && flow.running < c.perFlow) return Promise.resolve(this.seat(flowId, flow));
    if (flow.queue.length >= c.queuePerFlow || this.waiting >= c.queueTotal) {
      this.forget(flowId, flow);
      return Promise.reject(this.tooMany('the queue is full'));
    }
    return new Promise<Release>((resolve, reject) => {
      const leave = () => {
        const i = flow.queue.indexOf(w);
        if (i < 0) return false;
        flow.queue.splice(i, 1);
        this.waiting--;
        clearTimeout(w.timer);
        signal?.removeEventListener('abort', onAbort);
        this.forget(flowId, flow);
        return true;
      };
      const onAbort = () => {
        if (leave()) reject(new Error('the client went away while its request waited'));
      };
      const w: Waiter = {
        seq: this.seq++,
        grant: () => {
          clearTimeout(w.timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(this.seat(flowId, flow));
        },
        reject,
        timer: setTimeout(() => {
          if (leave()) reject(this.tooMany(`no seat within ${c.maxWaitMs} ms`));
        }, c.maxWaitMs),
      };
      flow.queue.push(w);
      this.waiting++;
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private tooMany(why: string) {
    return errors.tooManyRequests(`too many requests (${this.name}): ${why}, please try again later`, this.config.retryAfterSeconds);
  }

  private flow(id: string): Flow {
    let f = this.flows.get(id);
    if (!f) this.flows.set(id, (f = { running: 0, queue: [] }));
    return f;
  }

  private forget(id: string, f: Flow): void {
    if (f.running === 0 && f.queue.length === 0) this.flows.delete(id);
  }

  private seat(id: string, f: Flow): Release {
    this.running++;
    f.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      f.running--;
      this.forget(id, f);
      this.dispatch();
    };
  }

  /** Let waiters in while seats are free: the flow running fewest first, then the longest waiting. */
  private dispatch(): void {
    while (this.running < this.config.concurrency && this.waiting > 0) {
      let best: Flow | undefined;
      for (const f of this.flows.values()) {
        if (f.queue.length === 0 || f.running >= this.config.perFlow) continue;
        if (!best || f.running < best.running || (f.running === best.running && f.queue[0]!.seq < best.queue[0]!.seq)) best = f;
      }
      if (!best) return;
      const w = best.queue.shift()!;
      this.waiting--;
      w.grant();
    }
  }
}

/** A cap per flow on long-running requests (watches): no queue, over the cap is a 429. */
export class PerFlowCap {
  private readonly counts = new Map<string, number>();

  constructor(
    readonly name: string,
    readonly perFlow: number,
    readonly retryAfterSeconds = 1,
  ) {}

  count(flowId: string): number {
    return this.counts.get(flowId) ?? 0;
  }

  /** A release, or throws a 429 Status when the flow already holds `perFlow`. */
  take(flowId: string): Release {
    const n = this.count(flowId);
    if (n >= this.perFlow) {
      throw errors.tooManyRequests(`too many requests (${this.name}): a client may hold ${this.perFlow} at once, please try again later`, this.retryAfterSeconds);
    }
    this.counts.set(flowId, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const m = this.count(flowId) - 1;
      if (m <= 0) this.counts.delete(flowId);
      else this.counts.set(flowId, m);
    };
  }
}
