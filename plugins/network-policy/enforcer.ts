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
import { SyncLoop } from '@skiff/client';
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
  /** compile + diff (the rest of `ms` is nft) */
  computeMs: number;
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
  private readonly loop: SyncLoop;
  syncs = 0;
  failures = 0;
  lastError: string | undefined;
  last: SyncReport | undefined;

  constructor(private readonly o: EnforcerOptions) {
    this.loop = new SyncLoop({
      sync: (full) => this.syncOnce(full),
      delayMs: o.syncDelayMs ?? 0,
      fullSyncMs: (o.fullSyncSeconds ?? 300) * 1000,
      retryMs: o.retryMs ?? 1000,
    });
  }

  // ---- what the informers tell it ----

  setPolicy(p: NetworkPolicy): void {
    this.policies.set(key(p), p);
    this.loop.request();
  }

  deletePolicy(p: NetworkPolicy): void {
    if (this.policies.delete(key(p))) this.loop.request();
  }

  setPod(p: Pod): void {
    const fp = podFingerprint(p);
    const old = this.pods.get(key(p));
    this.pods.set(key(p), { pod: p, fp });
    if (old?.fp !== fp) this.loop.request();
  }

  deletePod(p: Pod): void {
    if (this.pods.delete(key(p))) this.loop.request();
  }

  setNamespace(ns: Namespace): void {
    const name = ns.metadata.name ?? '';
    const labels = ns.metadata.labels ?? {};
    if (JSON.stringify(this.namespaces.get(name)) === JSON.stringify(labels)) return;
    this.namespaces.set(name, labels);
    this.loop.request();
  }

  deleteNamespace(ns: Namespace): void {
    if (this.namespaces.delete(ns.metadata.name ?? '')) this.loop.request();
  }

  // ---- running ----

  /** Start (once the informers have listed): a full sync now, then periodic ones. */
  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** A full sync at the next turn (tests, benchmarks). */
  requestFullSync(): void {
    this.loop.requestFull();
  }

  /** Resolves when no change is waiting and no sync is running. */
  idle(): Promise<void> {
    return this.loop.idle();
  }

  private async syncOnce(fullAsked: boolean): Promise<void> {
    const full = fullAsked || !this.applied;
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
      const compiledAt = performance.now();
      const existing = full ? await this.existing() : undefined; // nft listing
      const t1 = performance.now();
      const tx = existing ? fullTransaction(family, name, compiled.state, existing) : diffTransaction(family, name, this.applied!, compiled.state);
      const computeMs = compiledAt - t0 + (performance.now() - t1); // without the listing
      if (tx.size) await this.o.nft.apply(tx.toString());
      this.applied = compiled.state; // only now: what failed stays as it was
      this.syncs++;
      this.lastError = undefined;
      this.last = { full, lines: tx.size, computeMs, ms: performance.now() - t0, syncs: this.syncs, ...compiled.stats };
      this.o.onSync?.(this.last);
      this.o.onWarnings?.(compiled.warnings);
    } catch (e) {
      this.failures++;
      this.lastError = e instanceof Error ? e.message : String(e);
      this.o.logger?.error('network policy sync failed: the previous rules stay in force; retrying with a full sync', { full, error: this.lastError });
      this.o.onError?.(this.lastError);
      throw e; // the loop retries with a full sync after a back-off
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
