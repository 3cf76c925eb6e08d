// What frees allocations and keeps them whole, as kube's Service IP and node port repair controllers
// do: an allocation whose Service is deleted, or no longer holds the value (a type change dropped
// it), is deleted as soon as claims.ts says it is free; one left by a create that failed after
// admission goes after the leak grace period; a Service that holds a value without an allocation
// object gets one back (or a warning when another Service holds it). Acts only while this process
// leads (the controllers' shared Lease): claims stay correct without it, the leader only cleans up.
import { SERVICES } from '@skiff/api';
import { followLeadership, SharedInformer, SharedInformerFactory, WorkQueue, type KitConfig, type Leadership } from '@skiff/client';
import { isStatusError, type Kernel, type KObject } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import { ownerOf, type Claims } from './claims.ts';
import { clusterIPsOf, nodePortsOf } from './kinds.ts';
import type { ServiceIPRange } from './ranges.ts';

const PARENT_INDEX = 'service-ipam/parent';
const parentKey = (o: KObject) => {
  const owner = ownerOf(o);
  return owner ? [`${owner.namespace}/${owner.name}`] : [];
};
/** uids of deleted Services remembered (their allocations are free at once) */
const GONE_LIMIT = 10_000;

export interface RepairOptions {
  /** how often every allocation and Service is looked at again */
  intervalMs: number;
  leadership: Pick<KitConfig, 'leaderElection' | 'leaseDurationSeconds'>;
}

interface Tracked {
  prefix: string;
  claims: Claims;
  informer: SharedInformer;
  /** the values a Service holds, in this kind's terms */
  held(svc: KObject): number[];
}

export class AllocationRepair {
  private readonly factory: SharedInformerFactory;
  private readonly releases: (() => void)[] = [];
  private services!: SharedInformer;
  private readonly kinds: Tracked[];
  private queue?: WorkQueue;
  private leadership?: Leadership;
  private timer?: NodeJS.Timeout;
  private readonly gone = new Set<string>();
  readonly stats = { freed: 0, restored: 0, conflicts: 0 };

  constructor(
    private readonly kernel: Kernel,
    private readonly logger: Logger,
    ipClaims: Claims,
    portClaims: Claims,
    private readonly ips: ServiceIPRange,
    private readonly opts: RepairOptions,
  ) {
    this.factory = SharedInformerFactory.for(kernel, logger);
    const inf = (ref: Claims['kind']['ref']) => {
      const lease = this.factory.acquire(ref);
      this.releases.push(lease.release);
      return lease.informer;
    };
    this.kinds = [
      { prefix: 'ip', claims: ipClaims, informer: inf(ipClaims.kind.ref), held: (s) => clusterIPsOf(s).map((ip) => this.ips.offsetOf(ip)).filter((n): n is number => n !== undefined) },
      { prefix: 'port', claims: portClaims, informer: inf(portClaims.kind.ref), held: nodePortsOf },
    ];
  }

  /** The allocation informers (the allocator skips values they know). */
  informer(prefix: 'ip' | 'port'): SharedInformer {
    return this.kinds.find((k) => k.prefix === prefix)!.informer;
  }

  async start(): Promise<void> {
    const lease = this.factory.acquire(SERVICES);
    this.releases.push(lease.release);
    this.services = lease.informer;
    for (const k of this.kinds) {
      k.informer.addIndexers({ [PARENT_INDEX]: parentKey });
      this.releases.push(
        k.informer.addEventHandler({
          onAdd: (o) => this.enqueue(`${k.prefix}/${o.metadata.name}`),
          onUpdate: (_, o) => this.enqueue(`${k.prefix}/${o.metadata.name}`),
        }),
      );
    }
    this.releases.push(
      this.services.addEventHandler({
        onAdd: (s) => this.enqueue(`svc/${s.metadata.namespace}/${s.metadata.name}`),
        onUpdate: (_, s) => this.enqueue(`svc/${s.metadata.namespace}/${s.metadata.name}`),
        onDelete: (s) => {
          if (s.metadata.uid) this.remember(s.metadata.uid);
          this.enqueue(`svc/${s.metadata.namespace}/${s.metadata.name}`);
        },
      }),
    );
    await Promise.all([this.services.synced, ...this.kinds.map((k) => k.informer.synced)]);
    this.leadership = followLeadership(this.kernel, this.opts.leadership, this.logger, (leading) => (leading ? this.lead() : this.follow()));
  }

  private remember(uid: string): void {
    if (this.gone.size >= GONE_LIMIT) this.gone.clear();
    this.gone.add(uid);
  }

  private enqueue(key: string, afterMs = 0): void {
    if (afterMs > 0) this.queue?.addAfter(key, afterMs);
    else this.queue?.add(key);
  }

  private lead(): void {
    if (this.queue) return;
    const queue = (this.queue = new WorkQueue({ name: 'service-ipam-repair' }));
    void queue.run(2, (key) => this.handle(key), (key, e) => this.logger.warn('service IPAM repair failed; retrying', { key, error: String(e) }));
    this.resync();
    this.timer = setInterval(() => this.resync(), this.opts.intervalMs);
    this.timer.unref();
  }

  private follow(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.queue?.shutDown();
    this.queue = undefined;
  }

  /** Look at everything again (kube's repair loop runs every few minutes). */
  resync(): void {
    for (const k of this.kinds) for (const o of k.informer.lister.list()) this.enqueue(`${k.prefix}/${o.metadata.name}`);
    for (const s of this.services.lister.list()) this.enqueue(`svc/${s.metadata.namespace}/${s.metadata.name}`);
  }

  /** Resolves when no key is queued or being handled (delayed ones aside): for tests. */
  idle(): Promise<void> {
    return this.queue?.idle() ?? Promise.resolve();
  }

  private async handle(key: string): Promise<void> {
    const slash = key.indexOf('/');
    const prefix = key.slice(0, slash);
    const rest = key.slice(slash + 1);
    if (prefix === 'svc') return this.handleService(rest);
    const k = this.kinds.find((t) => t.prefix === prefix);
    const o = k?.informer.lister.get(undefined, rest);
    if (!k || !o) return;
    // In use as far as this process has seen: nothing to do. Freeing takes the store's word (check
    // reads the Service), keeping does not — and the periodic resync would otherwise read every
    // Service of the cluster from the store each round. A cache that is behind catches up through
    // the Service watch, which enqueues this allocation again.
    const owner = ownerOf(o);
    const n = k.claims.kind.value(rest);
    const cached = owner && this.services.lister.get(owner.namespace, owner.name);
    if (cached && n !== undefined && cached.metadata.uid === owner.uid && !cached.metadata.deletionTimestamp && k.claims.kind.holds(cached, n)) return;
    const { free, recheckInMs } = await k.claims.check(o, Date.now(), this.gone);
    if (free) {
      if (await k.claims.remove(o)) {
        this.stats.freed++;
        this.logger.debug('freed an allocation', { kind: k.claims.kind.kind, name: rest, parent: ownerOf(o) });
      }
    } else if (recheckInMs !== undefined) this.enqueue(key, recheckInMs);
  }

  /** A Service changed or went: look at its allocations, and give it back any it lacks. */
  private async handleService(nsName: string): Promise<void> {
    const slash = nsName.indexOf('/');
    const svc = this.services.lister.get(nsName.slice(0, slash), nsName.slice(slash + 1));
    for (const k of this.kinds) {
      for (const o of k.informer.lister.byIndex(PARENT_INDEX, nsName)) this.enqueue(`${k.prefix}/${o.metadata.name}`);
      if (!svc || svc.metadata.deletionTimestamp || !svc.metadata.uid) continue;
      const owner = { namespace: svc.metadata.namespace!, name: svc.metadata.name!, uid: svc.metadata.uid };
      const missing = k.held(svc).filter((n) => !k.informer.lister.get(undefined, k.claims.kind.name(n)));
      if (missing.length === 0) continue;
      // the informer may be behind: only a Service the store still has, holding the value, gets it back
      const cur = await this.readService(owner.namespace, owner.name);
      if (!cur || cur.metadata.uid !== owner.uid) continue;
      for (const n of missing) {
        if (!k.claims.kind.holds(cur, n)) continue;
        const r = await k.claims.restore(n, owner);
        if (r === 'created') {
          this.stats.restored++;
          this.logger.info('restored a missing allocation', { kind: k.claims.kind.kind, name: k.claims.kind.name(n), service: nsName });
        } else if (r === 'conflict') {
          this.stats.conflicts++;
          this.logger.warn('a Service holds a value allocated to another Service', { kind: k.claims.kind.kind, name: k.claims.kind.name(n), service: nsName });
        }
      }
    }
  }

  private async readService(namespace: string, name: string): Promise<KObject | undefined> {
    try {
      return await this.kernel.get(SERVICES, namespace, name);
    } catch (e) {
      if (isStatusError(e) && e.code === 404) return undefined;
      throw e;
    }
  }

  async stop(): Promise<void> {
    this.follow();
    for (const r of this.releases.splice(0)) r();
    await this.leadership?.release();
  }
}
