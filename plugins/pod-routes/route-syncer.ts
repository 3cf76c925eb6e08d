// Keeps the node's pod routes in line with the Nodes it was told about: a change (a Node's podCIDR
// or InternalIP, a Node added or gone) marks it dirty; one sync at a time lists this plugin's routes
// and makes them what desiredRoutes says, so a burst of Node events is one `ip -batch`. A periodic
// resync repairs routes somebody else removed. Heartbeats (status conditions) change nothing here:
// only the routes computed from the Nodes are compared.
import type { Node } from '@skiff/api';
import type { Logger } from '@skiff/kernel/plugins';
import { desiredRoutes, type NodeRoute } from './desired.ts';
import type { RouteFailure, RouteTable } from './route-table.ts';

export interface RouteSyncerOptions {
  table: RouteTable;
  nodeName: string;
  logger?: Logger;
  /** resync this often even without changes (default 60 s; 0: never) */
  resyncSeconds?: number;
  /** first retry after a failure (doubles up to 30 s) */
  retryMs?: number;
  onSync?: (routes: NodeRoute[], changed: number) => void;
  onFailure?: (failures: RouteFailure[]) => void;
}

export class RouteSyncer {
  private readonly nodes = new Map<string, Node>();
  private wanted = '';
  private dirty = false;
  private started = false;
  private stopped = false;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private resync: NodeJS.Timeout | undefined;
  private retryDelay: number;
  private notBefore = 0;
  routes: NodeRoute[] = [];
  syncs = 0;

  constructor(private readonly o: RouteSyncerOptions) {
    this.retryDelay = o.retryMs ?? 1000;
  }

  setNode(n: Node): void {
    this.nodes.set(n.metadata.name ?? '', n);
    this.recompute();
  }

  deleteNode(n: Node): void {
    if (this.nodes.delete(n.metadata.name ?? '')) this.recompute();
  }

  start(): void {
    this.started = true;
    this.dirty = true;
    this.schedule(0);
    const every = (this.o.resyncSeconds ?? 60) * 1000;
    if (every > 0)
      this.resync = setInterval(() => {
        this.dirty = true;
        this.schedule(0);
      }, every).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.resync);
    await this.running;
  }

  /** Resolves when the routes are programmed for everything known so far (tests). */
  async idle(): Promise<void> {
    while (this.dirty || this.running || this.timer) await (this.running ?? new Promise((r) => setTimeout(r, 5)));
  }

  private recompute(): void {
    const next = JSON.stringify(desiredRoutes(this.nodes.values(), this.o.nodeName));
    if (next === this.wanted) return;
    this.wanted = next;
    this.dirty = true;
    this.schedule(0);
  }

  private schedule(delay: number): void {
    if (!this.started || this.stopped || this.timer || this.running) return;
    delay = Math.max(delay, this.notBefore - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.syncOnce().finally(() => {
        this.running = undefined;
        if (this.dirty) this.schedule(0);
      });
    }, delay);
  }

  private async syncOnce(): Promise<void> {
    if (!this.dirty || this.stopped) return;
    this.dirty = false;
    const want = desiredRoutes(this.nodes.values(), this.o.nodeName);
    let failures: RouteFailure[];
    let changed = 0;
    try {
      const have = new Map((await this.o.table.list()).map((r) => [r.dst, r.via]));
      const set = want.filter((r) => have.get(r.dst) !== r.via);
      const wantDst = new Set(want.map((r) => r.dst));
      const del = [...have.keys()].filter((d) => !wantDst.has(d));
      changed = set.length + del.length;
      failures = await this.o.table.apply(set, del);
      if (changed) this.o.logger?.info('pod routes programmed', { add: set.map((r) => `${r.dst} via ${r.via} (${r.node})`), remove: del });
    } catch (e) {
      failures = [{ command: 'ip route', error: e instanceof Error ? e.message : String(e) }];
    }
    this.routes = want;
    if (failures.length) {
      this.o.logger?.warn('some pod routes could not be programmed; retrying', { failures });
      this.o.onFailure?.(failures);
      this.dirty = true;
      this.notBefore = performance.now() + this.retryDelay;
      this.retryDelay = Math.min(this.retryDelay * 2, 30_000);
      return;
    }
    this.retryDelay = this.o.retryMs ?? 1000;
    this.syncs++;
    this.o.onSync?.(want, changed);
  }
}
