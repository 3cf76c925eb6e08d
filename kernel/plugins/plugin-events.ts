// Plugins' ctx.recordEvent() as core/v1 Events about their Plugin objects, like kube's event
// recorder: an event repeated (same plugin, type, reason and message) bumps the `count` and
// `lastTimestamp` of one Event instead of creating new ones, and those bumps are written at most
// once per interval per event; new distinct events are rate-limited per plugin by a token bucket
// (a burst, then one per refill period; beyond that they are dropped and logged). Writes are
// asynchronous and never throw into the plugin.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kernel, KObject, ResourceRef } from '../types.ts';
import type { PluginEvent } from './descriptor.ts';
import { codeOf, msgOf, PluginObjectAPIVersion, type PluginEventOptions } from './plugin-objects-spec.ts';
import type { Logger } from './tokens.ts';

export const EventsResource: ResourceRef = { group: '', version: 'v1', resource: 'events' };
export const PluginEventComponent = 'skiff-plugin-host';

export interface PluginEventRecorderOptions extends PluginEventOptions {
  kernel: Kernel;
  logger: Logger;
  /** `source.host` / `reportingInstance` (default: the host name) */
  host?: string;
}

/** The Plugin object an event is about. */
export interface PluginRef {
  name: string;
  uid?: string;
}

interface Series {
  key: string;
  plugin: PluginRef;
  event: PluginEvent;
  /** the Event's name once created */
  eventName?: string;
  /** occurrences recorded / written */
  count: number;
  written: number;
  first: string;
  last: string;
  lastWriteAt: number;
  timer?: NodeJS.Timeout;
  writing?: Promise<void>;
}

interface Bucket {
  tokens: number;
  at: number;
}

const MAX_MESSAGE = 1024;
const MAX_REASON = 128;
/** RFC 3339 with seconds, as Event timestamps are */
const stamp = (d = new Date()) => d.toISOString().replace(/\.\d+Z$/, 'Z');

export class PluginEventRecorder {
  private readonly series = new Map<string, Series>(); // least recently used first
  private readonly buckets = new Map<string, Bucket>();
  private readonly namespace: string;
  private readonly interval: number;
  private readonly burst: number;
  private readonly refillMs: number;
  private readonly maxSeries: number;
  private readonly host: string;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  /** events dropped by the rate limit (for tests and logs) */
  dropped = 0;

  constructor(private readonly o: PluginEventRecorderOptions) {
    this.namespace = o.namespace ?? 'default';
    this.interval = o.aggregateIntervalMs ?? 2_000;
    this.burst = o.burst ?? 25;
    this.refillMs = o.refillMs ?? 10_000;
    this.maxSeries = o.maxSeries ?? 4096;
    this.host = o.host ?? hostname();
  }

  /** Record one occurrence of `event` about `plugin` (written soon, asynchronously). */
  record(plugin: PluginRef, event: PluginEvent): void {
    if (this.stopped) return;
    const e: PluginEvent = { type: event.type, reason: event.reason.slice(0, MAX_REASON), message: event.message.slice(0, MAX_MESSAGE) };
    const key = JSON.stringify([plugin.name, plugin.uid ?? '', e.type, e.reason, e.message]);
    const now = stamp();
    let s = this.series.get(key);
    if (s) {
      this.series.delete(key); // most recently used last
      this.series.set(key, s);
      s.count++;
      s.last = now;
    } else {
      if (!this.take(plugin.name)) {
        this.dropped++;
        this.o.logger.debug('plugin event dropped (rate limit)', { plugin: plugin.name, reason: e.reason });
        return;
      }
      s = { key, plugin, event: e, count: 1, written: 0, first: now, last: now, lastWriteAt: 0 };
      this.series.set(key, s);
      this.evict();
    }
    this.schedule(s);
  }

  /** Write what is pending now, wait for it, and stop. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const s of this.series.values()) {
      if (s.timer) clearTimeout(s.timer);
      s.timer = undefined;
    }
    await Promise.allSettled([...this.inFlight]);
    const pending = [...this.series.values()].filter((s) => s.count > s.written);
    await Promise.allSettled(pending.map((s) => this.write(s)));
  }

  /** Forget the series of a plugin (its object is gone). */
  forget(name: string): void {
    for (const [k, s] of this.series) {
      if (s.plugin.name !== name) continue;
      if (s.timer) clearTimeout(s.timer);
      this.series.delete(k);
    }
    this.buckets.delete(name);
  }

  /** A token from `name`'s bucket, if there is one. */
  private take(name: string): boolean {
    const now = Date.now();
    let b = this.buckets.get(name);
    if (!b) this.buckets.set(name, (b = { tokens: this.burst, at: now }));
    const refill = Math.floor((now - b.at) / this.refillMs);
    if (refill > 0) {
      b.tokens = Math.min(this.burst, b.tokens + refill);
      b.at += refill * this.refillMs;
    }
    if (b.tokens < 1) return false;
    b.tokens--;
    return true;
  }

  private evict(): void {
    while (this.series.size > this.maxSeries) {
      const [k, oldest] = this.series.entries().next().value as [string, Series];
      if (oldest.timer) clearTimeout(oldest.timer);
      this.series.delete(k);
    }
  }

  /** Write `s` now, or when its interval has passed (one write in flight per series). */
  private schedule(s: Series): void {
    if (s.timer || s.writing || this.stopped) return;
    const wait = s.eventName === undefined ? 0 : s.lastWriteAt + this.interval - Date.now();
    if (wait <= 0) return void this.start(s);
    s.timer = setTimeout(() => {
      s.timer = undefined;
      if (!this.stopped) this.start(s);
    }, wait);
    s.timer.unref();
  }

  private start(s: Series): void {
    const p = this.write(s)
      .catch((err: unknown) => this.o.logger.warn('cannot write plugin event', { plugin: s.plugin.name, reason: s.event.reason, error: msgOf(err) }))
      .finally(() => {
        this.inFlight.delete(p);
        s.writing = undefined;
        // more occurrences meanwhile: write them (throttled), if the series is still remembered
        if (s.count > s.written && this.series.get(s.key) === s) this.schedule(s);
      });
    s.writing = p;
    this.inFlight.add(p);
  }

  private async write(s: Series): Promise<void> {
    const count = s.count;
    const last = s.last;
    s.lastWriteAt = Date.now();
    if (s.eventName !== undefined) {
      try {
        await this.o.kernel.patch(EventsResource, this.namespace, s.eventName, 'merge', { count, lastTimestamp: last }, { fieldManager: PluginEventComponent });
        s.written = count;
        return;
      } catch (err) {
        if (codeOf(err) !== 404) throw err;
        s.eventName = undefined; // deleted meanwhile (TTL, a user): start a new one
      }
    }
    for (let attempt = 0; ; attempt++) {
      const name = this.eventName(s.plugin.name);
      try {
        await this.o.kernel.create(EventsResource, this.eventObject(s, name, count, last), { fieldManager: PluginEventComponent });
        s.eventName = name;
        s.written = count;
        return;
      } catch (err) {
        if (codeOf(err) !== 409 || attempt >= 2) throw err;
      }
    }
  }

  /** kube's `<object>.<hex time>` (plus randomness: several replicas may record at once) */
  private eventName(plugin: string): string {
    return `${plugin.slice(0, 230)}.${Date.now().toString(16)}${randomBytes(4).toString('hex')}`;
  }

  private eventObject(s: Series, name: string, count: number, last: string): KObject {
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: this.namespace },
      involvedObject: { apiVersion: PluginObjectAPIVersion, kind: 'Plugin', name: s.plugin.name, ...(s.plugin.uid ? { uid: s.plugin.uid } : {}) },
      type: s.event.type,
      reason: s.event.reason,
      message: s.event.message,
      source: { component: PluginEventComponent, host: this.host },
      reportingComponent: PluginEventComponent,
      reportingInstance: this.host,
      count,
      firstTimestamp: s.first,
      lastTimestamp: last,
    };
  }
}
