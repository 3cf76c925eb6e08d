// Keeps the `pod-` objects of `table inet skiff` in line with this node's pods (pod-rules.ts): one
// `nft -f` transaction per change, and a burst of changes coalesced into one (while a transaction
// runs, changes pile up; the next one takes them all). The first sync, and the one after any
// refused transaction, is full: the fixed chains rewritten and every set flushed and refilled, all
// in one transaction (a refused one leaves the previous state in force). Between them a sync adds
// and deletes only the elements that differ from what was applied.
import type { Logger } from '@skiff/kernel/plugins';
import { NftTransaction, SKIFF_TABLE, type Nft } from '@skiff/client/nftables';
import { ELEMENT_SETS, elementKey, fixedObjects, podElements, type ElementSet, type PodNet, type PodRuleOptions } from './pod-rules.ts';

export interface PodNftablesOptions extends PodRuleOptions {
  nft: Nft;
  logger?: Logger;
  /** wait this long after a change before syncing (default 0: the next turn of the event loop) */
  delayMs?: number;
  /** first retry after a refused transaction (doubles up to 30 s; default 1 s) */
  retryMs?: number;
  onSync?: (s: PodSyncReport) => void;
  onError?: (message: string) => void;
  /** two pods asked for the same hostPort (reported once per distinct message) */
  onConflict?: (message: string) => void;
}

export interface PodSyncReport {
  full: boolean;
  pods: number;
  /** element lines added + deleted */
  changes: number;
  ms: number;
  syncs: number;
}

export class PodNftables {
  private readonly pods = new Map<string, PodNet>();
  private applied: Record<ElementSet, Set<string>> | undefined;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private started = false;
  private stopped = false;
  private retryDelay: number;
  private notBefore = 0;
  private readonly conflictsSeen = new Set<string>();
  syncs = 0;
  failures = 0;
  lastError: string | undefined;

  constructor(private readonly o: PodNftablesOptions) {
    this.retryDelay = o.retryMs ?? 1000;
  }

  /** A pod's network view (by uid); undefined removes it. */
  set(uid: string, net: PodNet | undefined): void {
    const old = this.pods.get(uid);
    if (!net) {
      if (!old) return;
      this.pods.delete(uid);
    } else {
      if (old && JSON.stringify(old) === JSON.stringify(net)) return;
      this.pods.set(uid, net);
    }
    this.changed();
  }

  delete(uid: string): void {
    this.set(uid, undefined);
  }

  /** Begin programming (after the first list of pods, so the first sync is complete). */
  start(): void {
    this.started = true;
    this.changed();
  }

  /** Resolves when everything known so far is applied (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.dirty || this.running || this.timer) await (this.running ?? new Promise((r) => setTimeout(r, 5)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private changed(): void {
    this.dirty = true;
    this.schedule(this.o.delayMs ?? 0);
  }

  private schedule(delay: number): void {
    if (!this.started || this.stopped || this.timer || this.running) return; // a running sync looks again when it ends
    delay = Math.max(delay, this.notBefore - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.syncOnce().finally(() => {
        this.running = undefined;
        if (this.dirty) this.schedule(this.o.delayMs ?? 0);
      });
    }, Math.max(0, delay));
  }

  private async syncOnce(): Promise<void> {
    if (!this.dirty || this.stopped) return;
    this.dirty = false;
    const t0 = performance.now();
    const { elements, conflicts } = podElements(this.pods.values());
    for (const c of conflicts) {
      if (this.conflictsSeen.has(c)) continue;
      this.conflictsSeen.add(c);
      this.o.logger?.warn(`hostPort conflict: ${c}`);
      this.o.onConflict?.(c);
    }
    const full = this.applied === undefined;
    const tx = new NftTransaction(SKIFF_TABLE.family, SKIFF_TABLE.name);
    let changes = 0;
    if (full) {
      const f = fixedObjects(this.o);
      tx.addTable();
      for (const [name, spec] of f.sets) {
        if (spec.type.includes(' : ')) tx.addMap(name, spec).flushMap(name);
        else tx.addSet(name, spec).flushSet(name);
      }
      for (const c of f.chains) {
        tx.addChain(c.name, c.base).flushChain(c.name);
        for (const r of c.rules) tx.addRule(c.name, r);
      }
      for (const s of ELEMENT_SETS) {
        tx.addElements(s, [...elements[s]]);
        changes += elements[s].size;
      }
    } else {
      for (const s of ELEMENT_SETS) {
        const before = this.applied![s];
        const gone = [...before].filter((e) => !elements[s].has(e));
        const added = [...elements[s]].filter((e) => !before.has(e));
        if (gone.length) tx.deleteElements(s, gone.map(elementKey));
        if (added.length) tx.addElements(s, added);
        changes += gone.length + added.length;
      }
    }
    if (!full && changes === 0) return;
    try {
      await this.o.nft.apply(tx.toString());
    } catch (e) {
      this.failures++;
      this.lastError = e instanceof Error ? e.message : String(e);
      this.o.logger?.warn('nft refused the pod network transaction; the previous state stays in force, retrying with a full sync', { error: this.lastError });
      this.o.onError?.(this.lastError);
      this.applied = undefined; // next: full
      this.dirty = true;
      this.notBefore = performance.now() + this.retryDelay;
      this.retryDelay = Math.min(this.retryDelay * 2, 30_000);
      return;
    }
    this.applied = elements;
    this.retryDelay = this.o.retryMs ?? 1000;
    this.syncs++;
    this.o.onSync?.({ full, pods: this.pods.size, changes, ms: performance.now() - t0, syncs: this.syncs });
  }
}
