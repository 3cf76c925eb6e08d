// Crash-loop back-off, as kubelet's: a container that exits and is to be restarted waits 10 s, then
// 20 s, 40 s, ... up to 5 minutes after each further exit; a container that ran for longer than
// twice the maximum before exiting starts again from the first step. Keyed by pod uid + container
// name; the step is taken once per exit (an exit is known by its finish time).
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

interface Entry {
  delayMs: number;
  /** the exit this delay is for */
  finishedAt: number;
}

export class CrashLoopBackoff {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly opts: BackoffOptions = { initialMs: 10_000, maxMs: 300_000 }) {}

  /**
   * For a container that exited at `finishedAtMs` after starting at `startedAtMs`: how long until it
   * may start again (0: now). The first call for an exit takes the next step.
   */
  wait(key: string, startedAtMs: number, finishedAtMs: number, nowMs = Date.now()): number {
    let e = this.entries.get(key);
    if (!e || e.finishedAt !== finishedAtMs) {
      const ranLong = finishedAtMs - startedAtMs > 2 * this.opts.maxMs;
      const delayMs = !e || ranLong ? this.opts.initialMs : Math.min(e.delayMs * 2, this.opts.maxMs);
      e = { delayMs, finishedAt: finishedAtMs };
      this.entries.set(key, e);
    }
    return Math.max(0, e.finishedAt + e.delayMs - nowMs);
  }

  /** The current step's delay (for the CrashLoopBackOff message). */
  delayMs(key: string): number {
    return this.entries.get(key)?.delayMs ?? this.opts.initialMs;
  }

  /** Forget a pod's containers (the pod is gone). */
  forgetPod(uid: string): void {
    this.forgetPrefix(`${uid}/`);
  }

  /** Forget every key that starts with `prefix`. */
  forgetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}
