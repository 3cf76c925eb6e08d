// Feeds the zone from the store: shared informers (list + watch) on Services, EndpointSlices and
// Namespaces, every event applied to the zone as it arrives. EndpointSlices
// (discovery.k8s.io/v1) are watched once the kind is served: until then (a store without the
// EndpointSlice kind), headless Services have no endpoint records and a warning says why.
import { SharedInformer } from '@skiff/client';
import type { Kernel, KObject } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import { ENDPOINT_SLICES, NAMESPACES, SERVICES, type TypedRef } from '@skiff/api';
import type { EndpointSlice, Service } from './types.ts';
import type { ClusterZone } from './zone.ts';

export interface ZoneSyncOptions {
  /** how often to look again for the EndpointSlice kind while it is not served */
  kindPollMs?: number;
}

export class ZoneSync {
  private readonly informers: SharedInformer[] = [];
  private stopped = false;
  private poll?: NodeJS.Timeout;
  private readonly slicesReady: Promise<void>;
  private sliceStarted!: () => void;

  constructor(
    private readonly kernel: Kernel,
    private readonly zone: ClusterZone,
    private readonly logger?: Logger,
    private readonly o: ZoneSyncOptions = {},
  ) {
    this.slicesReady = new Promise((r) => (this.sliceStarted = r));
  }

  /** Starts the informers; resolves when Services and Namespaces (and EndpointSlices, when served) are listed. */
  async start(): Promise<void> {
    const svc = this.inform<Service>(SERVICES, {
      set: (s) => this.zone.setService(s),
      del: (s) => this.zone.deleteService(s.metadata.namespace, s.metadata.name!),
    });
    const ns = this.inform(NAMESPACES, {
      set: (n) => this.zone.setNamespace(n.metadata.name!),
      del: (n) => this.zone.deleteNamespace(n.metadata.name!),
    });
    let warned = false;
    const trySlices = () => {
      if (this.stopped) return;
      if (this.served()) {
        const s = this.inform<EndpointSlice>(ENDPOINT_SLICES, { set: (x) => this.zone.setSlice(x), del: (x) => this.zone.deleteSlice(x) });
        s.start().then(() => this.sliceStarted(), () => {}); // (a stop before the sync: nothing to wait for)
        if (warned) this.logger?.info('EndpointSlices are served now: headless Services get endpoint records');
        return;
      }
      if (!warned) {
        warned = true;
        this.logger?.warn('the store serves no EndpointSlices (discovery.k8s.io/v1): headless Services answer without endpoints until it does');
        this.sliceStarted(); // nothing to wait for
      }
      this.poll = setTimeout(trySlices, this.o.kindPollMs ?? 5000);
      this.poll.unref?.();
    };
    trySlices();
    await Promise.all([svc.start(), ns.start(), this.slicesReady]);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.poll);
    for (const i of this.informers) i.stop();
  }

  private served(): boolean {
    try {
      this.kernel.kindFor(ENDPOINT_SLICES);
      return true;
    } catch {
      return false;
    }
  }

  private inform<T extends KObject>(ref: TypedRef<T>, h: { set(o: T): void; del(o: T): void }): SharedInformer<T> {
    const i = new SharedInformer<T>(this.kernel, ref, {}, this.logger);
    i.addEventHandler({ onAdd: (o) => h.set(o), onUpdate: (_old, o) => h.set(o), onDelete: (o) => h.del(o) });
    this.informers.push(i as unknown as SharedInformer);
    return i;
  }
}
