// The Normal `Scheduled` Event kube-scheduler records after each successful bind: "Successfully
// assigned <ns>/<pod> to <node>", from the pod's profile (reportingComponent and source
// `default-scheduler`), written through the client layer's EventRecorder.
//
// Event writes share the scheduler's thread and store with the bindings, so they must not compete
// with them: a bind only appends to a bounded queue here, and the queue goes to the recorder at a
// limited rate — 200 Events/s while the scheduler is idle (nothing queued, no binding in flight),
// 20/s while it is busy — as kube-scheduler's own event client is rate limited (50 QPS). Past
// `maxPending` waiting Events, new ones are dropped, as kube's event broadcaster drops them when its
// queue is full.
import { EventRecorder } from '@skiff/client';
import type { Kernel } from '@skiff/kernel';
import { silentLogger, type Logger } from '@skiff/kernel/plugins';
import type { PodInfo } from './framework.ts';

export interface ScheduledEventsOptions {
  /** whether the scheduler has work on hand (pods queued, bindings in flight): Events then wait */
  busy?: () => boolean;
  /** Events waiting at most; more are dropped (default 10000) */
  maxPending?: number;
  /** Events handed to the recorder per second while busy (default 20) */
  busyRate?: number;
  /** Events handed to the recorder per second while idle (default 200) */
  idleRate?: number;
}

/** the pump's period (ms): each tick hands the recorder what the rate allows */
const TICK_MS = 50;

interface Pending {
  pod: PodInfo;
  nodeName: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class ScheduledEvents {
  /** one recorder per profile (scheduler name): the Event's source */
  private readonly recorders = new Map<string, EventRecorder>();
  private pending: Pending[] = [];
  private head = 0;
  private pump?: Promise<void>;
  private stopped = false;
  /** drain(): write everything, busy or not */
  private draining = false;
  dropped = 0;

  constructor(
    private readonly kernel: Kernel,
    private readonly logger: Logger = silentLogger,
    private readonly opts: ScheduledEventsOptions = {},
  ) {}

  get waiting(): number {
    return this.pending.length - this.head;
  }

  /** `pod` was bound to `nodeName` (costs an append; the Event is written later). */
  bound(pod: PodInfo, nodeName: string): void {
    if (this.stopped) return;
    if (this.waiting >= (this.opts.maxPending ?? 10_000)) {
      if (this.dropped++ % 1000 === 0) this.logger.warn('too many Scheduled events waiting: dropping', { dropped: this.dropped });
      return;
    }
    this.pending.push({ pod, nodeName });
    this.pump ??= this.run();
  }

  /** Resolves when every Event recorded so far is written (or failed), at full speed whether busy or not. */
  async flush(): Promise<void> {
    this.draining = true;
    try {
      while (this.pump) await this.pump;
      await Promise.all([...this.recorders.values()].map((r) => r.flush()));
    } finally {
      this.draining = false;
    }
  }

  /** Record nothing more; what waits is dropped; resolves when the writes in flight are done. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.pending = [];
    this.head = 0;
    await this.pump;
    await Promise.all([...this.recorders.values()].map((r) => r.stop()));
  }

  private recorder(profile: string): EventRecorder {
    let r = this.recorders.get(profile);
    if (!r) {
      r = new EventRecorder(this.kernel, profile, this.logger);
      this.recorders.set(profile, r);
    }
    return r;
  }

  private async run(): Promise<void> {
    try {
      await Promise.resolve(); // never on the binding's own stack
      let credit = 1; // the first Event goes at once
      while (!this.stopped && this.waiting > 0) {
        const t0 = performance.now();
        const busy = this.opts.busy?.() ?? false;
        const rate = busy ? (this.opts.busyRate ?? 20) : (this.opts.idleRate ?? 200);
        credit = Math.min(credit + (rate * TICK_MS) / 1000, Math.max(1, (rate * TICK_MS) / 1000));
        // flush(): no rate, but in chunks, so that stop() can cut it short
        const n = Math.min(this.waiting, this.draining ? 256 : Math.floor(credit));
        credit = Math.max(0, credit - n);
        for (let i = 0; i < n; i++) {
          const { pod, nodeName } = this.pending[this.head++];
          this.recorder(pod.schedulerName).record(pod.pod, { type: 'Normal', reason: 'Scheduled', message: `Successfully assigned ${pod.namespace}/${pod.name} to ${nodeName}` });
        }
        if (this.head > 1024 && this.head * 2 > this.pending.length) {
          this.pending = this.pending.slice(this.head);
          this.head = 0;
        }
        await Promise.all([...this.recorders.values()].map((r) => r.flush()));
        const left = TICK_MS - (performance.now() - t0);
        if (this.waiting > 0 && !this.draining && left > 0) await sleep(left);
      }
    } finally {
      this.pump = undefined;
      if (!this.stopped && this.waiting > 0) this.pump = this.run();
    }
  }
}
