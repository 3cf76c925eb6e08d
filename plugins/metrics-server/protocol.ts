// How resource usage travels from the nodes to the metrics API, over plain NATS (not JetStream:
// usage is a sample, not state). Like metrics-server scraping every kubelet's summary each
// `resolution`: the metrics-server plugin publishes one scrape on SCRAPE_SUBJECT; every node agent
// (and every process of hollow nodes) answers by publishing its nodes' usage on REPORT_SUBJECT,
// which every metrics-server replica hears. An agent answers a burst of scrapes (several replicas)
// once.
//
// This file is the contract the node side (plugins/kubelet-metrics, plugins/node-sim) shares with
// plugins/metrics-server; it imports nothing but the NATS types.
import type { NatsConnection, Subscription } from '@nats-io/nats-core';

export const SCRAPE_SUBJECT = 'skiff.metrics.scrape';
export const REPORT_SUBJECT = 'skiff.metrics.report';

export interface ScrapeRequest {
  /** the metrics-server's resolution: how often it scrapes */
  resolutionSeconds: number;
}

export interface ContainerUsage {
  name: string;
  /** CPU in nanocores over the window */
  cpuNanoCores: number;
  /** memory working set in bytes */
  memoryWorkingSetBytes: number;
}

export interface PodUsage {
  namespace: string;
  name: string;
  /** the pod's uid (a pod recreated under the same name is another pod) */
  uid?: string;
  /** when the sample was taken (ms since the epoch) */
  timestampMs: number;
  /** the window the CPU rate is averaged over */
  windowSeconds: number;
  containers: ContainerUsage[];
}

export interface NodeUsage {
  node: string;
  timestampMs: number;
  windowSeconds: number;
  cpuNanoCores: number;
  memoryWorkingSetBytes: number;
  pods: PodUsage[];
}

export interface MetricsReport {
  nodes: NodeUsage[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();
/** under NATS' default 1 MiB max_payload, with room to spare */
export const MAX_REPORT_BYTES = 512 * 1024;

/** The reports for `nodes`, as messages of at most about `maxBytes` each (a node is never split). */
export function encodeReports(nodes: NodeUsage[], maxBytes = MAX_REPORT_BYTES): Uint8Array[] {
  const out: Uint8Array[] = [];
  let batch: string[] = [];
  let size = 0;
  const flush = () => {
    if (batch.length) out.push(enc.encode(`{"nodes":[${batch.join(',')}]}`));
    batch = [];
    size = 0;
  };
  for (const n of nodes) {
    const s = JSON.stringify(n);
    if (size > 0 && size + s.length > maxBytes) flush();
    batch.push(s);
    size += s.length + 1;
  }
  flush();
  return out;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isStr = (v: unknown): v is string => typeof v === 'string' && v !== '';

function validContainer(c: unknown): c is ContainerUsage {
  const x = c as ContainerUsage;
  return !!x && isStr(x.name) && isNum(x.cpuNanoCores) && isNum(x.memoryWorkingSetBytes);
}

function validPod(p: unknown): p is PodUsage {
  const x = p as PodUsage;
  return !!x && isStr(x.namespace) && isStr(x.name) && isNum(x.timestampMs) && isNum(x.windowSeconds) && Array.isArray(x.containers) && x.containers.every(validContainer);
}

function validNode(n: unknown): n is NodeUsage {
  const x = n as NodeUsage;
  return !!x && isStr(x.node) && isNum(x.timestampMs) && isNum(x.windowSeconds) && isNum(x.cpuNanoCores) && isNum(x.memoryWorkingSetBytes) && Array.isArray(x.pods);
}

/** The node reports in a message; malformed nodes and pods are dropped. */
export function decodeReport(data: Uint8Array): NodeUsage[] {
  let msg: MetricsReport;
  try {
    msg = JSON.parse(dec.decode(data)) as MetricsReport;
  } catch {
    return [];
  }
  if (!msg || !Array.isArray(msg.nodes)) return [];
  return msg.nodes.filter(validNode).map((n) => ({ ...n, pods: n.pods.filter(validPod) }));
}

export function encodeScrape(req: ScrapeRequest): Uint8Array {
  return enc.encode(JSON.stringify(req));
}

export function decodeScrape(data: Uint8Array): ScrapeRequest | undefined {
  try {
    const r = JSON.parse(dec.decode(data)) as ScrapeRequest;
    return isNum(r?.resolutionSeconds) && r.resolutionSeconds > 0 ? r : undefined;
  } catch {
    return undefined;
  }
}

export interface ScrapeResponder {
  stop(): void;
}

/**
 * The node side: answer scrapes with `collect()`'s usage. Scrapes that come within half a
 * resolution of the last answer (several metrics-server replicas) are answered once.
 */
export function answerScrapes(
  nc: NatsConnection,
  collect: (req: ScrapeRequest) => Promise<NodeUsage[]> | NodeUsage[],
  onError: (e: unknown) => void = () => {},
): ScrapeResponder {
  let last = 0;
  let busy = false;
  const sub: Subscription = nc.subscribe(SCRAPE_SUBJECT, {
    callback: (err, msg) => {
      if (err) return onError(err);
      const req = decodeScrape(msg.data);
      if (!req || busy) return;
      const t = Date.now();
      if (t - last < (req.resolutionSeconds * 1000) / 2) return;
      last = t;
      busy = true;
      void (async () => {
        try {
          const nodes = await collect(req);
          if (nodes.length && !nc.isClosed()) for (const m of encodeReports(nodes)) nc.publish(REPORT_SUBJECT, m);
        } catch (e) {
          onError(e);
        } finally {
          busy = false;
        }
      })();
    },
  });
  return { stop: () => sub.unsubscribe() };
}
