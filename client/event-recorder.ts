// core/v1 Events about any object, as client-go's event recorder and correlator write them: in the
// object's namespace ("default" for cluster-scoped ones), involvedObject the object.
// - A repeat of the same event (object, type, reason, message) bumps `count` and `lastTimestamp` of
//   one Event instead of creating another; repeats recorded before the write are coalesced into one.
// - Similar events (same object, type and reason, other messages: "Created pod: a", "Created pod: b")
//   beyond 10 in 10 minutes are aggregated into one "(combined from similar events): ..." Event.
// - A spam filter per object (token bucket: burst 25, one token per 5 minutes) drops the rest.
// Writes are asynchronous and never throw: a failure is logged.
import { randomBytes } from 'node:crypto';
import { now, type Kernel, type KObject, type ResourceRef } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';

const EVENTS: ResourceRef = { group: '', version: 'v1', resource: 'events' };
/** where events about cluster-scoped objects go, as Kubernetes puts them */
const CLUSTER_EVENT_NAMESPACE = 'default';
const AGGREGATE_PREFIX = '(combined from similar events): ';

export interface ObjectEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

interface Series {
  /** the Event's name once created */
  name?: string;
  namespace: string;
  count: number;
  /** count last written */
  written: number;
  first: string;
  last: string;
  obj: KObject;
  event: ObjectEvent;
}

interface Similar {
  messages: Set<string>;
  since: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const code = (e: unknown) => (e as { code?: number })?.code;

export interface EventRecorderOptions {
  /** `source.host` (a kubelet's node name) */
  host?: string;
  /** distinct series remembered for count bumps (the least recently used are forgotten) */
  maxSeries?: number;
  /** similar events (other messages) allowed per object and reason before they are aggregated (default 10) */
  maxSimilar?: number;
  /** spam filter per object: burst (default 25) and seconds per new token (default 300) */
  spamBurst?: number;
  spamRefillSeconds?: number;
}

export class EventRecorder {
  private readonly series = new Map<string, Series>();
  private readonly similar = new Map<string, Similar>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly dirty = new Set<string>();
  private flushing?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly kernel: Kernel,
    /** `source.component` / `reportingComponent` */
    private readonly component: string,
    private readonly logger: Logger,
    private readonly opts: EventRecorderOptions = {},
  ) {}

  /** Record `event` about `obj` (written soon). */
  record(obj: KObject, event: ObjectEvent): void {
    if (this.stopped) return;
    const objKey = [obj.kind, obj.metadata.namespace ?? '', obj.metadata.name ?? '', obj.metadata.uid ?? ''].join('\0');
    if (!this.allow(objKey)) return;
    const ev = this.aggregate(objKey, event);
    // an aggregate is one series whatever its latest message (client-go's aggregate key)
    const key = [objKey, ev.type, ev.reason, ev.message.startsWith(AGGREGATE_PREFIX) ? AGGREGATE_PREFIX : ev.message].join('\0');
    const stamp = now();
    let s = this.series.get(key);
    if (s) {
      s.count++;
      s.last = stamp;
      s.obj = obj;
      s.event = ev;
      this.series.delete(key); // most recently used last
      this.series.set(key, s);
    } else {
      s = { namespace: obj.metadata.namespace || CLUSTER_EVENT_NAMESPACE, count: 1, written: 0, first: stamp, last: stamp, obj, event: ev };
      this.series.set(key, s);
      this.trim();
    }
    this.dirty.add(key);
    this.flushing ??= Promise.resolve().then(() => this.drain());
  }

  /** Resolves when every event recorded so far has been written (or has failed). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Record nothing more; resolves when the writes in flight are done. */
  stop(): Promise<void> {
    this.stopped = true;
    return this.flush();
  }

  /** Token bucket per object (client-go's spam filter). */
  private allow(objKey: string): boolean {
    const burst = this.opts.spamBurst ?? 25;
    const refillMs = (this.opts.spamRefillSeconds ?? 300) * 1000;
    const t = Date.now();
    let b = this.buckets.get(objKey);
    if (!b) {
      b = { tokens: burst, at: t };
      this.buckets.set(objKey, b);
      if (this.buckets.size > 4096) this.buckets.delete(this.buckets.keys().next().value as string);
    }
    b.tokens = Math.min(burst, b.tokens + (t - b.at) / refillMs);
    b.at = t;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** The event as written: itself, or the aggregate once too many similar ones came within 10 minutes. */
  private aggregate(objKey: string, ev: ObjectEvent): ObjectEvent {
    const key = [objKey, ev.type, ev.reason].join('\0');
    const t = Date.now();
    let s = this.similar.get(key);
    if (!s || t - s.since > 600_000) {
      s = { messages: new Set(), since: t };
      this.similar.set(key, s);
      if (this.similar.size > 4096) this.similar.delete(this.similar.keys().next().value as string);
    }
    if (s.messages.has(ev.message)) return ev;
    if (s.messages.size < (this.opts.maxSimilar ?? 10)) {
      s.messages.add(ev.message);
      return ev;
    }
    return { ...ev, message: AGGREGATE_PREFIX + ev.message };
  }

  private trim(): void {
    while (this.series.size > (this.opts.maxSeries ?? 1024)) {
      const k = this.series.keys().next().value as string;
      if (this.dirty.has(k)) break; // keep what is still to be written
      this.series.delete(k);
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.dirty.size) {
        const batch = [...this.dirty];
        this.dirty.clear();
        for (const key of batch) {
          const s = this.series.get(key);
          if (!s || s.count === s.written) continue;
          try {
            await this.write(s);
          } catch (e) {
            this.logger.warn('could not record an event', { kind: s.obj.kind, name: s.obj.metadata.name, reason: s.event.reason, error: String(e) });
          }
        }
      }
    } finally {
      this.flushing = undefined;
      if (this.dirty.size) this.flushing = Promise.resolve().then(() => this.drain());
    }
  }

  private async write(s: Series): Promise<void> {
    const count = s.count;
    if (s.name) {
      try {
        await this.kernel.patch(EVENTS, s.namespace, s.name, 'merge', { count, lastTimestamp: s.last, message: s.event.message }, { fieldManager: this.component });
        s.written = count;
        return;
      } catch (e) {
        if (code(e) !== 404) throw e;
        s.name = undefined; // deleted meanwhile (TTL, a user): start a new one
      }
    }
    const { obj, event: ev } = s;
    const name = obj.metadata.name ?? '';
    const eventName = `${name}.${Date.now().toString(16)}${randomBytes(2).toString('hex')}`;
    await this.kernel.create(EVENTS, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: eventName, namespace: s.namespace },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name,
        ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
        ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
        ...(obj.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
      },
      reason: ev.reason,
      message: ev.message,
      type: ev.type,
      source: { component: this.component, ...(this.opts.host ? { host: this.opts.host } : {}) },
      reportingComponent: this.component,
      ...(this.opts.host ? { reportingInstance: this.opts.host } : {}),
      count,
      firstTimestamp: s.first,
      lastTimestamp: s.last,
    }, { fieldManager: this.component });
    s.name = eventName;
    s.written = count;
  }
}
