// Plugins' runtime reports (ctx.reportRuntime) on their way to `status.runtime`: the latest report
// wins, and a plugin's figures are published (and its status written) at most once per interval,
// however often it reports. Status writes for other reasons carry the last *published* figures, so
// a plugin reporting on every call never turns its own status writes into a write storm.

import type { Logger } from './tokens.ts';
import { msgOf } from './plugin-objects-spec.ts';

interface Series {
  latest?: Record<string, unknown>;
  published?: Record<string, unknown>;
  publishedJSON?: string;
  /** when figures were last published (ms) */
  lastAt: number;
  timer?: NodeJS.Timeout;
  warned?: boolean;
}

export interface RuntimeThrottleOptions {
  /** least time between two publications per plugin */
  intervalMs: number;
  logger: Logger;
  /** new figures for `name` are out: write its status */
  publish(name: string): void;
}

export class RuntimeThrottle {
  private readonly series = new Map<string, Series>();
  private stopped = false;

  constructor(private readonly o: RuntimeThrottleOptions) {}

  /** A plugin reported; publish now if its last publication is old enough, else when it is. */
  report(name: string, stats: Record<string, unknown>): void {
    if (this.stopped) return;
    let s = this.series.get(name);
    if (!s) this.series.set(name, (s = { lastAt: 0 }));
    s.latest = stats;
    if (s.timer) return;
    const wait = s.lastAt + this.o.intervalMs - Date.now();
    if (wait <= 0) return this.flush(name, s);
    const series = s;
    s.timer = setTimeout(() => {
      series.timer = undefined;
      this.flush(name, series);
    }, wait);
    s.timer.unref();
  }

  /** The figures to write into `name`'s status (undefined: none). */
  published(name: string): Record<string, unknown> | undefined {
    return this.series.get(name)?.published;
  }

  /** Drop everything about `name` (its object is gone). */
  forget(name: string): void {
    const s = this.series.get(name);
    if (s?.timer) clearTimeout(s.timer);
    this.series.delete(name);
  }

  /** No more publications (what was published stays, for status writes still under way). */
  stop(): void {
    this.stopped = true;
    for (const s of this.series.values()) {
      if (s.timer) clearTimeout(s.timer);
      s.timer = undefined;
    }
  }

  private flush(name: string, s: Series): void {
    if (this.stopped || this.series.get(name) !== s || !s.latest) return;
    const latest = s.latest;
    s.latest = undefined;
    let json: string;
    try {
      json = JSON.stringify(latest);
    } catch (err) {
      if (!s.warned) this.o.logger.warn('plugin runtime report is not JSON; ignored', { plugin: name, error: msgOf(err) });
      s.warned = true;
      return;
    }
    if (json === s.publishedJSON) return; // nothing new: no write
    s.publishedJSON = json;
    s.published = JSON.parse(json) as Record<string, unknown>;
    s.lastAt = Date.now();
    this.o.publish(name);
  }
}
