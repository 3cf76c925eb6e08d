// The node's Ingress proxy: watches Ingresses, IngressClasses, Services, EndpointSlices and Secrets
// (shared informers), rebuilds the route table on any change (changes within a few milliseconds
// coalesce into one build), swaps it into the running servers, records a Warning Event on an Ingress
// when something it points at is wrong (once per new problem, not per rebuild), and publishes this
// node's address in the status of the Ingresses it serves.
import {
  ENDPOINT_SLICES, INGRESS_CLASSES, INGRESSES, LABEL_SERVICE_NAME, NODES, SECRETS, SERVICES,
  type EndpointSlice, type Ingress, type IngressClass, type Node, type Secret, type Service,
} from '@skiff/api';
import { EventRecorder, SharedInformerFactory, type InformerLease } from '@skiff/client';
import type { Kernel, KObject } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import { classToCreate, CONTROLLER, servedBy } from './ingress-class.ts';
import { ProxyServer, type Listen } from './proxy-server.ts';
import { ingressKey, RouteBuilder, type Problem } from './route-builder.ts';
import { DEFAULT_CERT_CN, selfSignedCert } from './self-signed.ts';
import { StatusPublisher } from './status.ts';
import { TlsContexts } from './tls-secrets.ts';

const SLICES_BY_SERVICE = 'ingress-proxy/service';

export interface IngressProxyOptions {
  nodeName: string;
  /** this node's address for Ingress status; default: the Node's InternalIP */
  address?: string;
  http?: Listen;
  https?: Listen;
  /** the IngressClass created (default-marked unless another class is) when it does not exist; '' for none */
  className: string;
  controller?: string;
  /** changes within this long make one rebuild */
  debounceMs?: number;
  connectTimeoutMs?: number;
  responseTimeoutMs?: number;
  /**
   * A port that cannot be bound (taken by another process, no permission for a port below 1024):
   * 0 fails start(); else try again this often, serving the other protocol (and the table) meanwhile,
   * and say so in the log and in Events on the Node.
   */
  bindRetryMs?: number;
  /** a port bound after start() (a retry succeeded): the ports now */
  onListening?(ports: { http?: number; https?: number }): void;
}

type Proto = 'http' | 'https';

export class IngressProxy {
  private readonly leases: InformerLease[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  private readonly server: ProxyServer;
  private readonly builder: RouteBuilder;
  private readonly recorder: EventRecorder;
  private readonly status: StatusPublisher;
  private readonly controller: string;
  private readonly lastProblems = new Map<string, Set<string>>();
  private ingresses!: InformerLease<Ingress>;
  private classes!: InformerLease<IngressClass>;
  private services!: InformerLease<Service>;
  private slices!: InformerLease<EndpointSlice>;
  private secrets!: InformerLease<Secret>;
  private timer?: NodeJS.Timeout;
  private building = false;
  private address?: string;
  private stopped = false;
  private addressTimer?: NodeJS.Timeout;
  private readonly bindTimers = new Map<Proto, NodeJS.Timeout>();
  /** table builds so far */
  builds = 0;
  ports: { http?: number; https?: number } = {};
  /** why a configured protocol is not listening yet (`bindRetryMs`), by protocol */
  readonly unbound = new Map<Proto, string>();

  static async start(kernel: Kernel, logger: Logger, opts: IngressProxyOptions): Promise<IngressProxy> {
    const cert = await selfSignedCert([], { commonName: DEFAULT_CERT_CN, days: 3650 });
    const p = new IngressProxy(kernel, logger, opts, new ProxyServer({ http: opts.http, https: opts.https, defaultCert: cert, connectTimeoutMs: opts.connectTimeoutMs, responseTimeoutMs: opts.responseTimeoutMs }));
    try {
      await p.run();
    } catch (e) {
      await p.stop();
      throw e;
    }
    return p;
  }

  private constructor(
    private readonly kernel: Kernel,
    private readonly logger: Logger,
    private readonly opts: IngressProxyOptions,
    server: ProxyServer,
  ) {
    this.server = server;
    this.controller = opts.controller ?? CONTROLLER;
    this.address = opts.address;
    this.recorder = new EventRecorder(kernel, 'ingress-proxy', logger, { host: opts.nodeName });
    this.status = new StatusPublisher(kernel, logger, () => this.address);
    this.builder = new RouteBuilder(
      {
        service: (ns, name) => this.services.informer.lister.get(ns, name),
        slices: (ns, svc) => this.slices.informer.indexer.byIndex(SLICES_BY_SERVICE, `${ns}/${svc}`),
        secret: (ns, name) => this.secrets.informer.lister.get(ns, name),
      },
      new TlsContexts(),
    );
  }

  private acquire<T extends KObject>(ref: Parameters<SharedInformerFactory['acquire']>[0]): InformerLease<T> {
    const lease = SharedInformerFactory.for(this.kernel, this.logger).acquire<T>(ref);
    this.leases.push(lease);
    this.unsubscribe.push(lease.informer.addEventHandler({ onAdd: () => this.schedule(), onUpdate: (a, b) => this.changed(a, b), onDelete: () => this.schedule() }));
    return lease;
  }

  private async run(): Promise<void> {
    this.ingresses = this.acquire<Ingress>(INGRESSES);
    this.classes = this.acquire<IngressClass>(INGRESS_CLASSES);
    this.services = this.acquire<Service>(SERVICES);
    this.slices = this.acquire<EndpointSlice>(ENDPOINT_SLICES);
    this.slices.informer.addIndexers({
      [SLICES_BY_SERVICE]: (o) => {
        const svc = o.metadata.labels?.[LABEL_SERVICE_NAME];
        return svc ? [`${o.metadata.namespace}/${svc}`] : [];
      },
    });
    this.secrets = this.acquire<Secret>(SECRETS);
    for (const proto of ['http', 'https'] as const) if (this.opts[proto]) await this.bind(proto, true);
    await Promise.all(this.leases.map((l) => l.informer.synced));
    await this.ensureClass();
    if (!this.address) void this.watchNodeAddress();
    this.rebuild();
    this.logger.info('ingress proxy serving', { node: this.opts.nodeName, ...this.ports, controller: this.controller });
  }

  /**
   * Listen for `proto`. When the port cannot be had and `bindRetryMs` is set: a Warning in the log
   * and on the Node (once per new reason, not per attempt), and another try after `bindRetryMs`;
   * once bound after that, an info line and a Normal Event.
   */
  private async bind(proto: Proto, first: boolean): Promise<void> {
    this.bindTimers.delete(proto);
    if (this.stopped) return;
    const at = this.opts[proto]!;
    const where = `${at.host}:${at.port}`;
    try {
      const a = await this.server.listenOn(proto);
      this.ports[proto] = a.port;
      const waited = this.unbound.has(proto);
      this.unbound.delete(proto);
      if (waited) {
        this.logger.info(`ingress proxy ${proto} listening on ${a.address}:${a.port} now`, { node: this.opts.nodeName });
        this.nodeEvent('Normal', 'IngressListening', `Ingress proxy is listening for ${proto.toUpperCase()} on ${a.address}:${a.port}`);
      }
      if (!first) this.opts.onListening?.({ ...this.ports });
    } catch (e) {
      if (this.stopped) return;
      if (!this.opts.bindRetryMs) throw e;
      const why = bindFailure(e, at.port);
      if (this.unbound.get(proto) !== why) {
        const every = `${this.opts.bindRetryMs / 1000} s`;
        this.logger.warn(`ingress proxy cannot listen for ${proto} on ${where}: ${why}; trying again every ${every}`, { node: this.opts.nodeName });
        this.nodeEvent('Warning', 'IngressListenFailed', `Ingress proxy cannot listen for ${proto.toUpperCase()} on ${where}: ${why}; trying again every ${every}`);
      }
      this.unbound.set(proto, why);
      this.bindTimers.set(proto, setTimeout(() => void this.bind(proto, false), this.opts.bindRetryMs).unref());
    }
  }

  /** An Event on this node, as kube-proxy records them (the Node's name as its uid: kubectl describe node finds both). */
  private nodeEvent(type: 'Normal' | 'Warning', reason: string, message: string): void {
    const name = this.opts.nodeName;
    this.recorder.record({ apiVersion: 'v1', kind: 'Node', metadata: { name, uid: name } } as KObject, { type, reason, message });
  }

  /** Create the proxy's IngressClass when it does not exist (every node tries: AlreadyExists is fine). */
  private async ensureClass(): Promise<void> {
    if (!this.opts.className) return;
    const cls = classToCreate(this.opts.className, this.controller, this.classes.informer.lister.list());
    if (!cls) return;
    try {
      await this.kernel.create(INGRESS_CLASSES, cls);
      this.logger.info('created IngressClass', { name: this.opts.className, default: !!cls.metadata.annotations });
    } catch (e) {
      if ((e as { code?: number }).code !== 409) this.logger.warn('could not create IngressClass', { name: this.opts.className, error: String(e) });
    }
  }

  /** The Node's InternalIP (polled until the Node has one), for Ingress status. */
  private async watchNodeAddress(): Promise<void> {
    while (!this.stopped && !this.address) {
      try {
        const node = (await this.kernel.get(NODES, undefined, this.opts.nodeName)) as Node;
        const a = node.status?.addresses?.find((x) => x.type === 'InternalIP')?.address;
        if (a) {
          this.address = a;
          this.schedule();
          return;
        }
      } catch {
        /* not registered yet */
      }
      await new Promise((r) => (this.addressTimer = setTimeout(r, 2_000)));
    }
  }

  private changed(a: KObject, b: KObject): void {
    // a status write of ours (or anyone's) changes no route
    if (a.kind === 'Ingress' && a.metadata.generation === b.metadata.generation && JSON.stringify(a.metadata.annotations) === JSON.stringify(b.metadata.annotations)) {
      this.schedule(false);
      return;
    }
    this.schedule();
  }

  private schedule(routes = true): void {
    if (this.stopped) return;
    if (!routes) return void this.publish();
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.rebuild();
    }, this.opts.debounceMs ?? 5);
  }

  private served(): Map<string, Ingress> {
    const isOurs = servedBy(this.controller, this.classes.informer.lister.list());
    return new Map(this.ingresses.informer.lister.list().filter(isOurs).map((i) => [ingressKey(i), i]));
  }

  private rebuild(): void {
    if (this.stopped || this.building) return;
    this.building = true;
    try {
      const served = this.served();
      const { table, problems } = this.builder.build([...served.values()]);
      this.server.setTable(table);
      this.builds++;
      this.report(served, problems);
      void this.status.sync(served);
    } catch (e) {
      // the previous table stays in force
      this.logger.error('route table build failed; the previous table stays', { error: String(e) });
    } finally {
      this.building = false;
    }
  }

  private publish(): void {
    void this.status.sync(this.served());
  }

  /** A Warning Event per new problem of an Ingress (a problem that stays is not repeated on every build). */
  private report(served: Map<string, Ingress>, problems: Map<string, Problem[]>): void {
    for (const [key, ing] of served) {
      const now = new Set((problems.get(key) ?? []).map((p) => `${p.reason}\0${p.message}`));
      const before = this.lastProblems.get(`${key}\0${ing.metadata.uid}`) ?? new Set();
      for (const p of problems.get(key) ?? []) {
        if (!before.has(`${p.reason}\0${p.message}`)) this.recorder.record(ing, { type: 'Warning', reason: p.reason, message: p.message });
      }
      this.lastProblems.set(`${key}\0${ing.metadata.uid}`, now);
    }
    const live = new Set([...served].map(([k, i]) => `${k}\0${i.metadata.uid}`));
    for (const k of this.lastProblems.keys()) if (!live.has(k)) this.lastProblems.delete(k);
  }

  /** Stop: withdraw this node from Ingress status, stop listening (in-flight requests get `graceMs`). */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.addressTimer);
    for (const t of this.bindTimers.values()) clearTimeout(t);
    for (const u of this.unsubscribe) u();
    await this.status.withdrawAll().catch(() => {});
    await this.server.close(graceMs);
    await this.recorder.stop().catch(() => {});
    for (const l of this.leases) l.release();
  }

  /** For tests and figures: the current table. */
  get table() {
    return this.server.currentTable;
  }
}

/** Why a listen failed, in words a user can act on. */
function bindFailure(e: unknown, port: number): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return 'the port is taken by another process (EADDRINUSE)';
  if (code === 'EACCES') return `no permission to bind port ${port} (EACCES: ports below 1024 need root or CAP_NET_BIND_SERVICE)`;
  if (code === 'EADDRNOTAVAIL') return 'the address is not on this machine (EADDRNOTAVAIL)';
  return e instanceof Error ? e.message : String(e);
}
