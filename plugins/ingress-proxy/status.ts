// Ingress status.loadBalancer.ingress: every node whose proxy serves an Ingress adds its address
// (ip) once the route is in its table, and takes it out again when it stops serving it (the Ingress
// changed class, or the proxy stops). Each node edits only its own entry, with a read-modify-write
// on resourceVersion (409: read again), so proxies on many nodes share the list.
import { isIP } from 'node:net';
import { INGRESSES, type Ingress, type IngressLoadBalancerIngress } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';

const code = (e: unknown) => (e as { code?: number })?.code;

export class StatusPublisher {
  /** Ingresses (namespace/name) whose status holds this node's address */
  private readonly published = new Set<string>();
  private wanted = new Map<string, Ingress>();
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    private readonly kernel: Kernel,
    private readonly logger: Logger,
    private readonly address: () => string | undefined,
  ) {}

  /** The Ingresses served now (by namespace/name, as the informer has them): publish and withdraw to match. */
  sync(served: Map<string, Ingress>): Promise<void> {
    this.wanted = served;
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.pass().catch((e) => this.logger.warn('ingress status update failed', { error: String(e) }));
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Take this node's address out of every Ingress it is in (the proxy stops). */
  async withdrawAll(): Promise<void> {
    this.stopped = true;
    await this.running;
    const addr = this.address();
    if (!addr) return;
    await Promise.all([...this.published].map((k) => this.edit(k, undefined, addr, false).catch(() => {})));
  }

  private async pass(): Promise<void> {
    const addr = this.address();
    if (!addr) return;
    for (const [key, ing] of this.wanted) {
      if (this.stopped) return;
      if (!has(ing, addr) || !this.published.has(key)) await this.edit(key, ing, addr, true);
    }
    for (const key of [...this.published]) if (!this.wanted.has(key) && !this.stopped) await this.edit(key, undefined, addr, false);
  }

  private async edit(key: string, known: Ingress | undefined, addr: string, add: boolean): Promise<void> {
    const [ns, name] = key.split('/') as [string, string];
    let cur = known;
    for (let i = 0; i < 5; i++) {
      try {
        cur ??= (await this.kernel.get(INGRESSES, ns, name)) as Ingress;
        if (has(cur, addr) === add) break;
        const points = (cur.status?.loadBalancer?.ingress ?? []).filter((p) => p.ip !== addr && p.hostname !== addr);
        if (add) points.push(point(addr));
        points.sort((a, b) => (a.ip ?? a.hostname ?? '').localeCompare(b.ip ?? b.hostname ?? ''));
        await this.kernel.update(INGRESSES, { ...cur, status: { ...cur.status, loadBalancer: { ...cur.status?.loadBalancer, ingress: points } } } as Ingress, { subresource: 'status' });
        break;
      } catch (e) {
        if (code(e) === 404) break;
        if (code(e) !== 409) throw e;
        cur = undefined; // read it again
      }
    }
    if (add) this.published.add(key);
    else this.published.delete(key);
  }
}

const point = (addr: string): IngressLoadBalancerIngress => (isIP(addr) ? { ip: addr } : { hostname: addr });
const has = (ing: Ingress, addr: string) => (ing.status?.loadBalancer?.ingress ?? []).some((p) => p.ip === addr || p.hostname === addr);
