// Cluster DNS (type skiff.io/dns, node side): each node agent answers the cluster's names itself,
// from memory, like NodeLocal DNSCache in front of CoreDNS's kubernetes plugin. It watches
// Services, EndpointSlices and Namespaces (zone-sync.ts), keeps the cluster zone (zone.ts), and
// serves it over UDP and TCP on its listen addresses (server.ts) with precomputed answers
// (responder.ts); other names go to the node's upstream resolvers (forwarder.ts). Pods reach it at
// the cluster DNS Service address (10.96.0.10) through the service proxy.
import { availableParallelism } from 'node:os';
import { definePlugin } from '@skiff/kernel/plugins';
import { Forwarder, readUpstreams, type Upstream } from './forwarder.ts';
import { Responder } from './responder.ts';
import { ensureDnsService } from './dns-service.ts';
import { ensureLocalAddress } from './local-address.ts';
import { DnsServer, parseListen } from './server.ts';
import { ClusterZone } from './zone.ts';
import { ZoneSync } from './zone-sync.ts';

export interface ClusterDnsConfig {
  /** where to answer, `ip:port` (UDP and TCP; port 0 = a free one) */
  listen: string[];
  /** the cluster domain (kubelet's clusterDomain) */
  clusterDomain: string;
  /** TTL of the zone's records and negative answers, seconds */
  ttl: number;
  /** upstream resolvers (`ip:port`); default: the nameservers of resolvConf, less this server */
  upstreams?: string[];
  resolvConf: string;
  /** the whole time the upstreams get for one query before the client gets SERVFAIL */
  upstreamTimeoutMs: number;
  /** most answers kept (zone and forwarded, each) */
  cacheSize: number;
  /** longest a forwarded answer is cached, seconds */
  maxForwardTtl: number;
  /** pod A records (`1-2-3-4.<ns>.pod.<domain>`): insecure (the IP the name spells) or disabled */
  pods: 'insecure' | 'disabled';
  /** how long start waits for the first list of Services before serving anyway */
  syncWaitMs: number;
  /**
   * a node-local address to hold on the dummy interface `skiff-dns` before listening (the cluster
   * DNS ClusterIP: pods' queries to it reach this node's server by routing alone)
   */
  localAddress?: string;
  /** create the `kube-system/kube-dns` Service at `localAddress` when missing */
  publishService: boolean;
  /** when the listen address is taken or not there yet: try again this often instead of failing */
  bindRetryMs: number;
  /**
   * helper processes answering UDP queries on each listen address beside the plugin's own event
   * loop (server.ts); default: 1 on a machine with more than one core, else 0
   */
  answerProcesses?: number;
}

export const configSchema = {
  type: 'object',
  properties: {
    listen: { type: 'array', items: { type: 'string', minLength: 3 }, minItems: 1, default: ['127.0.0.1:53'] },
    clusterDomain: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\\.?$', default: 'cluster.local' },
    ttl: { type: 'integer', minimum: 0, maximum: 3600, default: 5 },
    upstreams: { type: 'array', items: { type: 'string', minLength: 3 } },
    resolvConf: { type: 'string', minLength: 1, default: '/etc/resolv.conf' },
    upstreamTimeoutMs: { type: 'integer', minimum: 1, maximum: 10_000, default: 500 },
    cacheSize: { type: 'integer', minimum: 100, default: 100_000 },
    maxForwardTtl: { type: 'integer', minimum: 0, default: 30 },
    syncWaitMs: { type: 'integer', minimum: 0, default: 5000 },
    pods: { type: 'string', enum: ['insecure', 'disabled'], default: 'insecure' },
    localAddress: { type: 'string', pattern: '^\\d{1,3}(\\.\\d{1,3}){3}$' },
    publishService: { type: 'boolean', default: false },
    bindRetryMs: { type: 'integer', minimum: 0, default: 0 },
    answerProcesses: { type: 'integer', minimum: 0, maximum: 16 },
  },
  additionalProperties: false,
};

export default definePlugin<ClusterDnsConfig>({
  name: 'cluster-dns',
  version: '0.1.0',
  type: 'skiff.io/dns',
  configSchema,
  async start(ctx) {
    const { kernel, logger, config } = ctx;
    const listen = config.listen.map(parseListen);
    let upstreams: Upstream[];
    if (config.upstreams) upstreams = config.upstreams.map((u) => (/:\d+$/.test(u) ? parseListen(u) : { host: u, port: 53 }));
    else upstreams = readUpstreams(config.resolvConf, listen);
    const zone = new ClusterZone({ domain: config.clusterDomain, ttl: config.ttl, pods: config.pods });
    const forwarder = new Forwarder({ upstreams, timeoutMs: config.upstreamTimeoutMs });
    const responder = new Responder(zone, forwarder, { maxEntries: config.cacheSize, maxForwardTtl: config.maxForwardTtl });
    const sync = new ZoneSync(kernel, zone, logger);
    // replaced when a bind retry succeeds
    const serverOptions = {
      listen,
      answerHelpers: config.answerProcesses ?? Math.min(1, availableParallelism() - 1),
      helperCacheSize: config.cacheSize,
      onHelperError: (e: Error) => logger.warn('cluster DNS answer helper', { error: e.message }),
    };
    let server = new DnsServer(responder, serverOptions);
    // the zone first (at most syncWaitMs, as CoreDNS waits for its informers): a new version taking
    // over from a running one must not answer NXDOMAIN for names it has not listed yet
    let synced = false;
    const report = () =>
      ctx.reportRuntime({ listening: server.addresses.map((a) => `${a.host}:${a.port}`), domain: zone.domain, synced, services: zone.serviceCount, names: zone.nameCount, upstreams: upstreams.map((u) => `${u.host}:${u.port}`), ...responder.stats });
    const syncing = sync.start().then(
      () => {
        synced = true;
        logger.info('cluster DNS zone synced', { domain: zone.domain, services: zone.serviceCount });
        report();
      },
      (e) => ctx.signal.aborted || logger.error('cluster DNS could not list Services', { error: String(e) }),
    );
    await Promise.race([syncing, new Promise((r) => setTimeout(r, config.syncWaitMs).unref())]);
    if (!synced) logger.warn('serving before the Services are all listed', { waitedMs: config.syncWaitMs });
    if (config.localAddress) {
      await ensureLocalAddress(config.localAddress).catch((e) => logger.warn('could not hold the node-local DNS address', { address: config.localAddress, error: String(e) }));
      if (config.publishService)
        void ensureDnsService(kernel, config.localAddress).then(
          (other) => other !== undefined && logger.warn('the kube-dns Service has another address than this node serves', { service: other, served: config.localAddress }),
          (e) => logger.warn('could not create the kube-dns Service', { error: String(e) }),
        );
    }
    let retry: NodeJS.Timeout | undefined;
    let stopped = false;
    const retriable = (e: unknown) => config.bindRetryMs > 0 && ['EADDRINUSE', 'EADDRNOTAVAIL', 'EACCES'].includes((e as { code?: string }).code ?? '');
    const bindAgain = () => {
      retry = undefined;
      const next = new DnsServer(responder, serverOptions);
      next.start().then(
        () => {
          if (stopped) return void next.stop();
          server = next;
          logger.info('cluster DNS listening', { listen: config.listen });
          report();
        },
        () => {
          if (!stopped) retry = setTimeout(bindAgain, config.bindRetryMs).unref();
        },
      );
    };
    try {
      await server.start();
    } catch (e) {
      if (!retriable(e)) {
        sync.stop();
        forwarder.close();
        throw e;
      }
      logger.warn('cluster DNS cannot listen yet; trying again', { listen: config.listen, error: String(e), everyMs: config.bindRetryMs });
      retry = setTimeout(bindAgain, config.bindRetryMs).unref();
    }
    if (!upstreams.length && !config.upstreams) logger.warn('no upstream resolvers: names outside the cluster get SERVFAIL', { resolvConf: config.resolvConf });
    report();
    const timer = setInterval(report, 10_000);
    timer.unref();
    return {
      stop: async () => {
        stopped = true;
        if (retry) clearTimeout(retry);
        clearInterval(timer);
        sync.stop();
        forwarder.close();
        await server.stop();
      },
    };
  },
});
