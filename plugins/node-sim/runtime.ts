// What the parts of one HollowNodes instance share: the kernel and config, the stopped flag, the
// counters behind stats(), throttled warnings, and the in-flight writes and timers stop() waits
// for or clears.
import { isStatusError, type Kernel } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import type { HollowNodesConfig } from './config.ts';

export const code = (e: unknown) => (isStatusError(e) ? e.code : (e as { code?: unknown })?.code);
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export const silent: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silent;
  },
};

export class Runtime {
  stopped = false;
  readonly counters = { adopted: 0, leaseRenewals: 0, nodeHeartbeats: 0, podsStarted: 0, podsDeleted: 0, errors: 0 };
  readonly inflight = new Set<Promise<unknown>>();
  readonly timers = new Set<NodeJS.Timeout>();
  private readonly logged = new Map<string, { at: number; suppressed: number }>();

  constructor(
    readonly kernel: Kernel,
    readonly config: HollowNodesConfig,
    readonly logger: Logger,
  ) {}

  /** Per-node failures come in waves (the server is away): one line per kind every 5 s, with a count. */
  warnThrottled(kind: string, msg: string, fields: Record<string, unknown>): void {
    const now = Date.now();
    const l = this.logged.get(kind);
    if (l && now - l.at < 5000) {
      l.suppressed++;
      return;
    }
    this.logger.warn(msg, l?.suppressed ? { ...fields, suppressedSinceLast: l.suppressed } : fields);
    this.logged.set(kind, { at: now, suppressed: 0 });
  }

  /** Remember an in-flight write until it settles (stop() waits for these). */
  track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => {});
    return p;
  }
}
