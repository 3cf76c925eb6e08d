// Call counts and latency percentiles of the CRI client, for the plugin's runtime report
// (`skiff plugin ls` shows calls, callP50Us, callP99Us, errors).
import type { CallRecord } from './cri-client.ts';

const WINDOW = 1024;

export class CallStats {
  private calls = 0;
  private errors = 0;
  /** the latest WINDOW durations in µs, as a ring */
  private readonly recent = new Float64Array(WINDOW);
  private lastError: string | undefined;

  add(r: CallRecord): void {
    this.recent[this.calls % WINDOW] = r.durationMs * 1000;
    this.calls++;
    if (r.code !== 0) {
      this.errors++;
      this.lastError = `${r.method}: code ${r.code}`;
    }
  }

  snapshot(): Record<string, unknown> {
    const n = Math.min(this.calls, WINDOW);
    const sorted = this.recent.slice(0, n).sort();
    const pct = (p: number) => (n ? Math.round(sorted[Math.min(n - 1, Math.floor(p * n))]!) : 0);
    return {
      calls: this.calls,
      errors: this.errors,
      callP50Us: pct(0.5),
      callP99Us: pct(0.99),
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }
}
