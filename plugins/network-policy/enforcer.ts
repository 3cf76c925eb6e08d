// The enforcer: holds the policies, pods and namespace labels the informers report, and keeps the
// `np-` objects of `table inet skiff` in line with them, one `nft -f` transaction per change.
//
// - Each sync compiles the whole declared state (model.ts; cheap: selector matching) and applies
//   only its difference from the state in force (elements of sets and maps, chains whose rules
//   changed, objects that came or went). A change that does not alter the state costs no nft run.
// - A full sync (at start, periodically, after a failure) rewrites every `np-` object and deletes the
//   stale ones found by listing the table. The table itself is never flushed or deleted.
// - nft applies a transaction all or nothing: a refused one leaves the previous rules in force; the
//   enforcer logs it, reports it, and retries with a full sync after a back-off.
import type { Namespace, NetworkPolicy, Pod } from '@skiff/api';
import { diffTransaction, fullTransaction, Nft, SKIFF_TABLE, type TableState } from '@skiff/client/nftables';
import type { Logger } from '@skiff/kernel/plugins';
import { compile, PREFIX, type PolicyWarning } from './model.ts';

export interface EnforcerOptions {
  nft: Nft;
  nodeName: string;
  logger?: Logger;
  /** the forward base chain's priority (default 0) */
  priority?: number;
  /** wait this long after a change before syncing, to batch a burst (default 0) */
  syncDelayMs?: number;
  /** a full sync at least this often (default 300 s; 0: only at start and after failures) */
  fullSyncSeconds?: number;
  /** first retry after a failed sync (doubles up to 30 s) */
  retryMs?: number;
  onSync?: (s: SyncReport) => void;
  onError?: (message: string) => void;
  /** the policies' problems after each applied sync */
  onWarnings?: (w: PolicyWarning[]) => void;
}

export interface SyncReport {
  full: boolean;
  /** transaction lines (0: nothing changed) */
  lines: number;
  ms: number;
  syncs: number;
  policies: number;
  ingressPods: number;
  egressPods: number;
}

const key = (o: { metadata: { namespace?: string; name?: string } }) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/** What of a pod policies look at: a status-only change (conditions, container states) is no change. */
function podFingerprint(p: Pod): string {
  return JSON.stringify([
    p.metadata.labels ?? {},
    p.spec?.nodeName,
    p.spec?.hostNetwork,
    (p.spec?.containers ?? []).map((c) => c.ports ?? []),
    p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed',
    p.status?.podIP,
    p.status?.podIPs,
  ]);
}

export class Enforcer {
  private readonly policies = new Map<string, NetworkPolicy>();
  private readonly pods = new Map<string, { pod: Pod; fp: string }>();
  private readonly namespaces = new Map<string, Record<string, string> | undefined>();
  private applied: TableState | undefined;
  private dirty = false;
  private needFull = true;
  private started = false;
  private stopped = false;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private fullTimer: NodeJS.Timeout | undefined;
  private retryDelay: number;
  private notBefore = 0;
  syncs = 0;
  failures = 0;
  lastError: string | undefined;
  last: SyncReport | undefined;

  constructor(private readonly o: EnforcerOptions) {
    this.retryDelay = o.retryMs ?? 1000;
  }

  // ---- what the informers tell it ----

  setPolicy(p: NetworkPolicy): void {
    this.policies.set(key(p), p);
    this.markDirty();
  }

  deletePolicy(p: NetworkPolicy): void {
    if (this.policies.delete(key(p))) this.markDirty();
  }

  setPod(p: Pod): void {
    const fp = podFingerprint(p);
    const old = this.pods.get(key(p));
    this.pods.set(key(p), { pod: p, fp });
    if (old?.fp !== fp) this.markDirty();
  }

  deletePod(p: Pod): void {
    if (this.pods.delete(key(p))) this.markDirty();
  }

  setNamespace(ns: Namespace): void {
    const name = ns.metadata.name ?? '';
    const labels = ns.metadata.labels ?? {};
    if (JSON.stringify(this.namespaces.get(name)) === JSON.stringify(labels)) return;
    this.namespaces.set(name, labels);
    this.markDirty();
  }

  deleteNamespace(ns: Namespace): void {
    if (this.namespaces.delete(ns.metadata.name ?? '')) this.markDirty();
  }

  private markDirty(): void {
    this.dirty = true;
    this.schedule();
  }

  // ---- running ----

  /** Start (once the informers have listed): a full sync now, then periodic ones. */
  start(): void {
    this.started = true;
    this.needFull = true;
    this.schedule(0);
    const every = (this.o.fullSyncSeconds ?? 300) * 1000;
    if (every > 0)
      this.fullTimer = setInterval(() => {
        this.needFull = true;
        this.schedule(0);
      }, every).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.fullTimer);
    await this.running;
  }

  /** Resolves when no change is waiting and no sync is running. */
  async idle(): Promise<void> {
    while (this.running || this.timer || this.dirty || this.needFull) {
      if (this.running) await this.running;
      else await new Promise((r) => setTimeout(r, 5));
    }
  }

  private schedule(delay = this.o.syncDelayMs ?? 0): void {
    if (!this.started || this.stopped || this.timer || this.running) return; // a running sync reschedules when it ends
    delay = Math.max(delay, this.notBefore - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.syncOnce().finally(() => {
        this.running = undefined;
        if (this.dirty || this.needFull) this.schedule();
      });
    }, delay);
  }

  private async syncOnce(): Promise<void> {
    if (this.stopped) return;
    const full = this.needFull || !this.applied;
    this.needFull = false;
    this.dirty = false;
    const t0 = performance.now();
    const { family, name } = SKIFF_TABLE;
    try {
      const compiled = compile({
        nodeName: this.o.nodeName,
        policies: this.policies.values(),
        pods: [...this.pods.values()].map((p) => p.pod),
        namespaces: this.namespaces,
        ...(this.o.priority !== undefined ? { priority: this.o.priority } : {}),
      });
      const tx = full ? fullTransaction(family, name, compiled.state, await this.existing()) : diffTransaction(family, name, this.applied!, compiled.state);
      if (tx.size) await this.o.nft.apply(tx.toString());
      this.applied = compiled.state; // only now: what failed stays as it was
      this.syncs++;
      this.retryDelay = this.o.retryMs ?? 1000;
      this.lastError = undefined;
      this.last = { full, lines: tx.size, ms: performance.now() - t0, syncs: this.syncs, ...compiled.stats };
      this.o.onSync?.(this.last);
      this.o.onWarnings?.(compiled.warnings);
    } catch (e) {
      this.failures++;
      this.lastError = e instanceof Error ? e.message : String(e);
      this.o.logger?.error('network policy sync failed: the previous rules stay in force; retrying with a full sync', { full, retryMs: this.retryDelay, error: this.lastError });
      this.o.onError?.(this.lastError);
      this.notBefore = performance.now() + this.retryDelay;
      this.retryDelay = Math.min(this.retryDelay * 2, 30_000);
      this.needFull = true; // scheduled again when this sync ends, not before notBefore
    }
  }

  /** The `np-` chains, sets and maps the table has now (a full sync rewrites or removes them). */
  private async existing(): Promise<{ chains: string[]; sets: string[]; maps: string[] }> {
    const { nft } = this.o;
    const { family, name } = SKIFF_TABLE;
    if (!(await nft.hasTable(family, name))) return { chains: [], sets: [], maps: [] };
    const [chains, sets, maps] = await Promise.all([nft.chainNames(family, name), nft.setNames(family, name), nft.setNames(family, name, 'maps')]);
    const ours = (l: string[]) => l.filter((n) => n.startsWith(PREFIX));
    return { chains: ours(chains), sets: ours(sets), maps: ours(maps) };
  }

  get stats(): Record<string, unknown> {
    return { policies: this.policies.size, pods: this.pods.size, syncs: this.syncs, failures: this.failures, ...(this.last ? { enforced: { policies: this.last.policies, ingressPods: this.last.ingressPods, egressPods: this.last.egressPods } } : {}) };
  }
}
