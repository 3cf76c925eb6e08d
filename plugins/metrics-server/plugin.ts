// The metrics-server plugin (control plane, in the server's process): the resource metrics API
// metrics.k8s.io/v1beta1 (NodeMetrics, PodMetrics) that `kubectl top` and the HPA read. Every
// `resolution` seconds it asks the nodes for their usage (protocol.ts: one scrape broadcast over
// NATS; node agents and hollow nodes answer), keeps the latest report per node in memory, and
// serves the objects through the kernel as a kind served from memory (no store writes: usage is a
// sample, not state — as metrics-server keeps it in memory behind an aggregated API).
import { NODES, PODS } from '@skiff/api';
import { SharedInformerFactory } from '@skiff/client';
import type { Disposable, KindDefinition } from '@skiff/kernel';
import { definePlugin, NatsToken, type PluginContext } from '@skiff/kernel/plugins';
import { metricsKinds } from './kinds.ts';
import { decodeReport, encodeScrape, REPORT_SUBJECT, SCRAPE_SUBJECT } from './protocol.ts';
import { MetricsStore } from './store.ts';

export interface MetricsServerConfig {
  /** seconds between scrapes (metrics-server's --metric-resolution) */
  resolution: number;
  /** a node not heard from for this many resolutions has no metrics (default 3) */
  maxAgeResolutions: number;
}

export const PLUGIN_TYPE = 'skiff.io/metrics';

export default definePlugin<MetricsServerConfig>({
  name: 'metrics-server',
  version: '0.1.0',
  type: PLUGIN_TYPE,
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      resolution: { type: 'number', minimum: 0.05, default: 15 },
      maxAgeResolutions: { type: 'number', minimum: 1, default: 3 },
    },
  },
  async start(ctx) {
    const nc = ctx.tryResolve(NatsToken);
    if (!nc) throw new Error('metrics-server needs the process NATS connection (NatsToken): run it in skiff server');
    const { resolution, maxAgeResolutions } = ctx.config;
    const factory = SharedInformerFactory.for(ctx.kernel, ctx.logger);
    const pods = factory.acquire(PODS);
    const nodes = factory.acquire(NODES);
    const store = new MetricsStore(
      { node: (name) => nodes.informer.lister.get(undefined, name), pod: (ns, name) => pods.informer.lister.get(ns, name) },
      // one resolution for the answer to arrive on top of the age allowed
      Math.max(maxAgeResolutions * resolution, resolution + 1) * 1000,
    );
    const kinds = registerKinds(ctx, metricsKinds(store));
    const sub = nc.subscribe(REPORT_SUBJECT, {
      callback: (err, msg) => {
        if (err) return ctx.logger.warn('metrics report subscription failed', { error: String(err) });
        for (const n of decodeReport(msg.data)) store.accept(n);
      },
    });
    const scrape = () => {
      store.expire();
      if (!nc.isClosed()) nc.publish(SCRAPE_SUBJECT, encodeScrape({ resolutionSeconds: resolution }));
      ctx.reportRuntime({ nodes: store.nodeCount, pods: store.podCount, reports: store.reports });
    };
    await Promise.all([pods.informer.synced, nodes.informer.synced]);
    scrape();
    const timer = setInterval(scrape, resolution * 1000);
    timer.unref();
    return {
      stop() {
        clearInterval(timer);
        sub.unsubscribe();
        kinds.dispose();
        pods.release();
        nodes.release();
      },
    };
  },
});

/**
 * Register the kinds; while another instance holds them (a hot reload starts the new version
 * before it stops the old one), retry until they are free.
 */
function registerKinds(ctx: PluginContext<MetricsServerConfig>, defs: KindDefinition[]): Disposable {
  const held: Disposable[] = [];
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const attempt = () => {
    timer = undefined;
    if (stopped) return;
    try {
      while (held.length < defs.length) held.push(ctx.kernel.registerKind(defs[held.length]!));
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw e;
      timer = setTimeout(attempt, 100);
    }
  };
  attempt();
  return {
    dispose() {
      stopped = true;
      if (timer) clearTimeout(timer);
      for (const d of held.splice(0).reverse()) d.dispose();
    },
  };
}
