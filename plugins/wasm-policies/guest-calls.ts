// What a guest's calls did: counts, failures by kind, and call times (p50/p99 over the last 4,096
// calls). Failures are logged and recorded as Events on the Plugin object (the recorder folds
// repeats), and the figures are reported to the plugin host, which writes them into the Plugin's
// status (`skiff plugin ls` shows them).
import type { CallResult } from './sandbox.ts';

/** Where the figures and failures go: a plugin's context (its logger, Events and runtime report). */
export interface GuestEventSink {
  logger: { warn(msg: string, fields?: Record<string, unknown>): void };
  recordEvent?(e: { type: 'Normal' | 'Warning'; reason: string; message: string }): void;
  reportRuntime?(stats: Record<string, unknown>): void;
}

const RING = 4096;
const REASONS = { timeout: 'GuestTimeout', trap: 'GuestTrap', down: 'GuestDown', error: 'GuestError', 'too-large': 'GuestRequestTooLarge' } as const;

export class GuestCalls {
  calls = 0;
  errors = 0;
  readonly failures: Record<string, number> = {};
  restarts = 0;
  lastError?: string;
  lastErrorAt?: string;
  private readonly timesUs = new Float64Array(RING);
  private timed = 0;
  private dirty = false;
  private readonly timer: NodeJS.Timeout;
  private lastWarn = 0;

  constructor(
    private readonly sink: GuestEventSink,
    reportEveryMs = 2_000,
  ) {
    this.timer = setInterval(() => this.flush(), reportEveryMs);
    this.timer.unref();
  }

  record(what: string, r: CallResult): CallResult {
    this.calls++;
    this.dirty = true;
    if (r.ok) {
      this.timesUs[this.timed++ % RING] = r.ms * 1000;
      return r;
    }
    this.errors++;
    this.failures[r.failure] = (this.failures[r.failure] ?? 0) + 1;
    this.lastError = `${what}: ${r.message}`;
    this.lastErrorAt = new Date().toISOString();
    if (r.failure !== 'down') this.sink.recordEvent?.({ type: 'Warning', reason: REASONS[r.failure], message: this.lastError });
    const now = Date.now();
    if (now - this.lastWarn > 1_000) {
      this.lastWarn = now;
      this.sink.logger.warn('WebAssembly policy call failed', { call: what, failure: r.failure, error: r.message });
    }
    return r;
  }

  restarted(why: string): void {
    this.restarts++;
    this.dirty = true;
    this.sink.recordEvent?.({ type: 'Warning', reason: 'GuestRestart', message: why });
  }

  stats(): Record<string, unknown> {
    const n = Math.min(this.timed, RING);
    const sorted = Array.from(this.timesUs.subarray(0, n)).sort((a, b) => a - b);
    const pct = (p: number) => (n ? Math.round(sorted[Math.min(n - 1, Math.floor((p / 100) * n))] * 10) / 10 : undefined);
    const s: Record<string, unknown> = {
      calls: this.calls,
      errors: this.errors,
      failures: { ...this.failures },
      restarts: this.restarts,
      callP50Us: pct(50),
      callP99Us: pct(99),
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
    };
    for (const k of Object.keys(s)) if (s[k] === undefined) delete s[k];
    return s;
  }

  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.sink.reportRuntime?.(this.stats());
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
