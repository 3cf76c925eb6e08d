// Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection: candidates try to
// acquire or renew the Lease every retry period with a compare-and-set write; a leader that cannot
// renew within the renew deadline stops leading; a follower takes over once the Lease has not
// changed for a lease duration, measured on its own clock from when it last saw it change (so clock
// skew between machines does not matter).
//
// `LeaderElector.shared(kernel, ...)` gives every controller of a process the same elector for one
// Lease (one renewal loop, like kube-controller-manager's), reference-counted.
import { microTime } from '@skiff/api';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Kernel, KObject, ResourceRef } from '@skiff/kernel';
import { silentLogger, type Logger } from '@skiff/kernel/plugins';

const LEASES: ResourceRef = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };

export interface LeaderElectionOptions {
  namespace?: string;
  name: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  logger?: Logger;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

/** A candidate's identity: host, pid (which process leads) and a random part (unique even across pid reuse). */
export const newIdentity = () => `${hostname()}_${process.pid}_${randomUUID()}`;

export class LeaderElector {
  readonly identity: string;
  private leading = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private readonly listeners = new Set<(leading: boolean) => void>();
  /** the last record seen and when (local clock) it was seen to change */
  private observed?: { spec: LeaseSpec; rv?: string; at: number };
  private lastRenew = 0;
  private readonly leaseMs: number;
  private readonly renewMs: number;
  private readonly retryMs: number;
  private readonly logger: Logger;
  private readonly namespace: string;
  private running?: Promise<void>;

  constructor(
    private readonly kernel: Kernel,
    private readonly opts: LeaderElectionOptions,
  ) {
    this.identity = opts.identity ?? newIdentity();
    this.leaseMs = opts.leaseDurationMs ?? 10_000;
    this.renewMs = opts.renewDeadlineMs ?? 7_000;
    this.retryMs = opts.retryPeriodMs ?? 2_000;
    this.logger = opts.logger ?? silentLogger;
    this.namespace = opts.namespace ?? 'kube-system';
    if (!(this.leaseMs > this.renewMs && this.renewMs > this.retryMs)) throw new Error('leader election: need leaseDuration > renewDeadline > retryPeriod');
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Calls `fn(true)` when this process starts leading, `fn(false)` when it stops; returns the unsubscribe. */
  onChange(fn: (leading: boolean) => void): () => void {
    this.listeners.add(fn);
    if (this.leading) fn(true);
    return () => this.listeners.delete(fn);
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = this.tick();
  }

  /** Stop; a leader gives the Lease up (so a successor need not wait for it to expire). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => {});
    if (this.leading) {
      this.setLeading(false);
      const o = this.observed;
      if (o?.spec.holderIdentity === this.identity) {
        await this.write({ ...o.spec, holderIdentity: undefined, leaseDurationSeconds: 1, renewTime: microTime(Date.now()) }, o.rv).catch(() => {});
      }
    }
  }

  /** when reading or writing the lease started failing (0: it works) */
  private failingSince = 0;

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.tryAcquireOrRenew();
      if (this.failingSince) {
        this.logger.info('leader election: the lease can be read and written again', { lease: this.opts.name, afterMs: Date.now() - this.failingSince });
        this.failingSince = 0;
      }
    } catch (e) {
      // once per streak of failures (a store outage would otherwise log every retry)
      if (!this.failingSince) {
        this.failingSince = Date.now();
        this.logger.warn('leader election: could not read or write the lease', { lease: this.opts.name, error: String(e) });
      }
    }
    if (this.leading && Date.now() - this.lastRenew > this.renewMs) {
      this.logger.warn('leader election: lost the lease (no renewal within the renew deadline)', { lease: this.opts.name });
      this.setLeading(false);
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick();
    }, this.retryMs);
    this.timer.unref();
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const t = Date.now();
    let cur: KObject | undefined;
    try {
      cur = await this.kernel.get(LEASES, this.namespace, this.opts.name);
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
    }
    const fresh: LeaseSpec = { holderIdentity: this.identity, leaseDurationSeconds: Math.ceil(this.leaseMs / 1000), acquireTime: microTime(t), renewTime: microTime(t), leaseTransitions: 0 };
    if (!cur) {
      await this.write(fresh, undefined);
      return this.acquired();
    }
    const spec = (cur.spec ?? {}) as LeaseSpec;
    const rv = cur.metadata.resourceVersion;
    if (!this.observed || this.observed.rv !== rv) this.observed = { spec, rv, at: t };
    const holder = spec.holderIdentity;
    const mine = holder === this.identity;
    const durationMs = (spec.leaseDurationSeconds ?? Math.ceil(this.leaseMs / 1000)) * 1000;
    if (holder && !mine && this.observed.at + durationMs > t) {
      if (this.leading) this.setLeading(false);
      return; // held by another, not expired
    }
    const next: LeaseSpec = mine
      ? { ...spec, renewTime: microTime(t), leaseDurationSeconds: fresh.leaseDurationSeconds }
      : { ...fresh, leaseTransitions: (spec.leaseTransitions ?? 0) + (holder ? 1 : 0) };
    try {
      await this.write(next, rv);
    } catch (e) {
      if ((e as { code?: number }).code === 409) return; // someone else wrote first: look again next time
      throw e;
    }
    this.acquired();
  }

  private acquired(): void {
    this.lastRenew = Date.now();
    if (!this.leading) {
      this.logger.info('leader election: leading', { lease: this.opts.name, identity: this.identity });
      this.setLeading(true);
    }
  }

  private async write(spec: LeaseSpec, rv: string | undefined): Promise<void> {
    const obj: KObject = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.opts.name, namespace: this.namespace, ...(rv ? { resourceVersion: rv } : {}) },
      spec: Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)),
    };
    const written = rv ? await this.kernel.update(LEASES, obj) : await this.kernel.create(LEASES, obj);
    this.observed = { spec: written.spec as LeaseSpec, rv: written.metadata.resourceVersion, at: Date.now() };
  }

  private setLeading(v: boolean): void {
    this.leading = v;
    for (const fn of this.listeners) {
      try {
        fn(v);
      } catch (e) {
        this.logger.error('leader election listener failed', { error: String(e) });
      }
    }
  }

  /** The process's elector for Lease `namespace/name` on `kernel` (started on first use, stopped with the last release). */
  static shared(kernel: Kernel, opts: LeaderElectionOptions): { elector: LeaderElector; release(): Promise<void> } {
    const reg = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= new WeakMap<Kernel, Map<string, { e: LeaderElector; refs: number }>>()) as WeakMap<
      Kernel,
      Map<string, { e: LeaderElector; refs: number }>
    >;
    let byName = reg.get(kernel);
    if (!byName) reg.set(kernel, (byName = new Map()));
    const key = `${opts.namespace ?? 'kube-system'}/${opts.name}`;
    let entry = byName.get(key);
    if (!entry) {
      entry = { e: new LeaderElector(kernel, opts), refs: 0 };
      byName.set(key, entry);
      entry.e.start();
    }
    entry.refs++;
    const en = entry;
    let released = false;
    return {
      elector: en.e,
      release: async () => {
        if (released) return;
        released = true;
        if (--en.refs > 0) return;
        if (byName!.get(key) === en) byName!.delete(key);
        await en.e.stop();
      },
    };
  }
}

const REGISTRY = Symbol.for('skiff.client.leader-electors');
