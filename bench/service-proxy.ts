// `npm run bench -- service-proxy [--services 1000] [--endpoints 10] [--changes 200] [--routes 30]`
// (root: it creates network namespaces, deleted at the end)
// The nftables service proxy programming a "node" network namespace with real nft:
// - fullSyncMs: a full sync of --services Services x --endpoints endpoints (compute + one `nft -f`
//   transaction), median of 5 on a table that already has them; fullSyncFirstMs: into an empty table.
// - incrementalP50Ms / P99Ms: one endpoint of one Service changes -> its transaction applied
//   (--changes of them, one after the other, the full table in place).
// - sliceToRoutedP50Ms / P99Ms: the proxy's share of ready-to-routed: an EndpointSlice written through
//   the kernel (NATS) -> a client pod's connections to the ClusterIP reach the new endpoint (a real
//   backend in a pod namespace; a prober connects every few ms). The plugin runs with the kernel's
//   informers, the --services Services in the store too.
// What shares the cores: this process (kernel, informers, the proxy), nats-server, nft, the prober and
// backends, and whatever else runs on the machine (loadAvg1 in the output). The last line is JSON.
//
// - readyToRoutedP50Ms / P99Ms: end to end, a pod's status turning Ready (written as a kubelet writes
//   it, the other backend turned not Ready in the same step) -> the endpointslice-controller's slice
//   -> the proxy's transaction -> the prober's connections reach that pod. Both plugins run in this
//   process on the kernel's informers, as `skiff server` and the node agent would.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ENDPOINT_SLICES, NODES, PODS, rfc3339, SERVICES, type Pod as ApiPod } from '@skiff/api';
import { Nft } from '@skiff/client/nftables';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { Proxier, type EndpointSlice, type SyncReport } from '@skiff/plugin-service-proxy';
import endpointSliceController from '@skiff/plugin-endpointslice-controller';
import plugin from '@skiff/plugin-service-proxy/plugin';
import { Backend, createTestNode, type Pod } from '@skiff/plugin-service-proxy/testing';
import { pct, type Figures } from './_util.ts';

const { values: flags } = parseArgs({
  options: {
    services: { type: 'string', default: '1000' },
    endpoints: { type: 'string', default: '10' },
    changes: { type: 'string', default: '200' },
    routes: { type: 'string', default: '30' },
  },
  allowPositionals: true,
});
const SERVICES_N = Number(flags.services);
const ENDPOINTS_N = Number(flags.endpoints);
const CHANGES = Number(flags.changes);
const ROUTES = Number(flags.routes);
const PROBE_IP = '10.96.255.250';

const quiet = { debug() {}, info() {}, warn() {}, error: (m: string, f?: unknown) => console.error(m, f), child() { return quiet; } } as never;
const round = (x: number) => Math.round(x * 10) / 10;
const out: Figures = { bench: 'service-proxy', services: SERVICES_N, endpoints: ENDPOINTS_N, cores: (await import('node:os')).cpus().length, loadAvg1: round(loadavg()[0]!) };

/** Service i and its slice: a NodePort Service, endpoints spread over ENDPOINTS_N nodes (one of them this one). */
function service(i: number) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: 'bench', name: `s${i}` },
    spec: { type: 'NodePort', clusterIP: `10.96.${i >> 8}.${i & 255}`, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, nodePort: 30000 + (i % 2700) }] },
  };
}
function slice(i: number, gen = 0): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: 'bench', name: `s${i}-x`, labels: { 'kubernetes.io/service-name': `s${i}` } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: Array.from({ length: ENDPOINTS_N }, (_, j) => {
      const n = i * ENDPOINTS_N + j + (j === 0 ? gen * 7919 : 0);
      return { addresses: [`10.${100 + ((n >> 16) & 63)}.${(n >> 8) & 255}.${n & 255}`], conditions: { ready: true }, nodeName: `node-${j}` };
    }),
  };
}

/** Connects to host:port from a pod every few ms; tells which backend answered last. */
class Prober {
  private readonly child;
  private last = '';
  private waiters: { name: string; resolve: () => void }[] = [];

  constructor(pod: Pod, host: string, port: number) {
    const src = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
let last = '';
const one = () => { const s = net.connect({ host, port: Number(port) }); let d = '';
  const t = setTimeout(() => s.destroy(), 300);
  s.on('data', (c) => (d += c)); s.on('error', () => {});
  s.on('end', () => { try { const n = JSON.parse(d).name; if (n !== last) { last = n; console.log(n); } } catch {} });
  s.on('close', () => { clearTimeout(t); setTimeout(one, 2); }); };
one();`;
    this.child = spawn('ip', ['netns', 'exec', pod.ns, process.execPath, '-e', src, host, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.child.stdout!.on('data', (b: Buffer) => {
      for (const line of b.toString().split('\n').filter(Boolean)) this.last = line.trim();
      this.waiters = this.waiters.filter((w) => (w.name === this.last ? (w.resolve(), false) : true));
    });
  }

  waitFor(name: string, timeoutMs: number): Promise<void> {
    if (this.last === name) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from ${name} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ name, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.pid) this.child.kill('SIGKILL');
  }
}

const node = await createTestNode(78);
let t: TestKernel | undefined;
let host: PluginHost | undefined;
const servers: Backend[] = [];
/** every prober started: a failed run must not leave one behind */
const probers: Prober[] = [];
try {
  // ---- full and incremental syncs: the Proxier alone ----
  {
    let waiting: ((s: SyncReport) => void) | undefined;
    const p = new Proxier({ nft: new Nft({ netns: node.ns }), nodeName: 'node-0', clusterCIDR: '10.64.0.0/10', masqueradeAll: false, masqueradeBit: 14, fullSyncSeconds: 0, logger: quiet, onSync: (s) => waiting?.(s) });
    const next = () => new Promise<SyncReport>((r) => (waiting = r));
    for (let i = 0; i < SERVICES_N; i++) {
      p.setService(service(i) as never);
      p.setSlice(slice(i));
    }
    let s = next();
    p.start();
    out.fullSyncFirstMs = round((await s).ms);
    const fulls: number[] = [];
    for (let r = 0; r < 5; r++) {
      s = next();
      p.requestFullSync();
      fulls.push((await s).ms);
      out.fullSyncLines = (await s).lines;
    }
    out.fullSyncMs = round(pct(fulls, 50));
    out.fullSyncMaxMs = round(Math.max(...fulls));
    const inc: number[] = [];
    for (let c = 0; c < CHANGES; c++) {
      const i = (c * 7919) % SERVICES_N;
      s = next();
      const t0 = performance.now();
      p.setSlice(slice(i, c + 1));
      const r = await s;
      if (r.full) throw new Error('expected an incremental sync');
      inc.push(performance.now() - t0);
    }
    out.incrementalP50Ms = round(pct(inc, 50));
    out.incrementalP99Ms = round(pct(inc, 99));
    await p.stop();
    await new Nft({ netns: node.ns }).deleteTable('inet', 'skiff');
  }

  // ---- the proxy's share of ready-to-routed: EndpointSlice written -> traffic reaches the endpoint ----
  t = await startTestKernel();
  const k = t.kernel;
  await k.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
  await k.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-0' }, status: { addresses: [{ type: 'InternalIP', address: node.nodeIP }] } });
  for (let i = 0; i < SERVICES_N; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, SERVICES_N - i) }, (_, j) => k.create(SERVICES, service(i + j)).then(() => k.create(ENDPOINT_SLICES, slice(i + j) as never))));
  }
  const client = await node.addPod('client', 2);
  const pods = [await node.addPod('a', 11), await node.addPod('b', 12)];
  for (const pod of pods) servers.push(await Backend.start(pod, 8080));
  await k.create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'bench', name: 'probe' }, spec: { clusterIP: PROBE_IP, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
  const probeSlice = (pod: Pod) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: 'bench', name: 'probe-x', labels: { 'kubernetes.io/service-name': 'probe' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: [{ addresses: [pod.ip], conditions: { ready: true }, nodeName: 'node-0' }],
  });
  await k.create(ENDPOINT_SLICES, probeSlice(pods[0]!) as never);
  host = new PluginHost({ kernel: k, logger: createConsoleLogger({ level: 'warn' }) });
  const tLoad = performance.now();
  await host.load([{ descriptor: plugin, config: { nodeName: 'node-0', netns: node.ns, clusterCIDR: '10.64.0.0/10', fullSyncSeconds: 0 } }]);
  const prober = new Prober(client, PROBE_IP, 80);
  probers.push(prober);
  await prober.waitFor('a', 60_000);
  out.startToRoutedMs = round(performance.now() - tLoad);

  /** Time from `trigger` until the prober's connections reach `name`. */
  const measureRouted = async (trigger: () => Promise<unknown>, name: string) => {
    const t0 = performance.now();
    await trigger();
    await prober.waitFor(name, 30_000);
    return performance.now() - t0;
  };
  const routed: number[] = [];
  for (let r = 0; r < ROUTES; r++) {
    const pod = pods[(r + 1) % 2]!;
    routed.push(
      await measureRouted(async () => {
        const cur = await k.get(ENDPOINT_SLICES, 'bench', 'probe-x');
        await k.update(ENDPOINT_SLICES, { ...probeSlice(pod), metadata: { ...probeSlice(pod).metadata, resourceVersion: cur.metadata.resourceVersion } } as never);
      }, pod.name),
    );
  }
  out.sliceToRoutedP50Ms = round(pct(routed, 50));
  out.sliceToRoutedP99Ms = round(pct(routed, 99));
  prober.stop();

  // ---- end to end: pod Ready -> EndpointSlice controller -> proxy -> traffic ----
  // kube-system holds the controller's leader-election Lease
  await k.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } });
  await host.load([{ descriptor: endpointSliceController }]);
  const READY_IP = '10.96.255.251';
  await k.create(SERVICES, { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'bench', name: 'ready' }, spec: { clusterIP: READY_IP, selector: { app: 'ready' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } });
  const podStatus = (pod: ApiPod, ip: string, ready: boolean) =>
    ({ ...pod, status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: rfc3339(new Date()) }] } }) as ApiPod;
  const apiPods = new Map<string, ApiPod>();
  for (const [i, pod] of pods.entries()) {
    const created = (await k.create(PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'bench', name: pod.name, labels: { app: 'ready' } }, spec: { nodeName: 'node-0', containers: [{ name: 'app', image: 'bench' }] } })) as ApiPod;
    apiPods.set(pod.name, (await k.update(PODS, podStatus(created, pod.ip, i === 0), { subresource: 'status' })) as ApiPod);
  }
  const setReady = async (pod: Pod, ready: boolean) => apiPods.set(pod.name, (await k.update(PODS, podStatus(apiPods.get(pod.name)!, pod.ip, ready), { subresource: 'status' })) as ApiPod);
  const readyProber = new Prober(client, READY_IP, 80);
  probers.push(readyProber);
  await readyProber.waitFor('a', 30_000);
  const ready: number[] = [];
  for (let r = 0; r < ROUTES; r++) {
    const next = pods[(r + 1) % 2]!;
    const prev = pods[r % 2]!;
    const t0 = performance.now();
    await setReady(next, true);
    await setReady(prev, false);
    await readyProber.waitFor(next.name, 30_000);
    ready.push(performance.now() - t0);
  }
  out.readyToRoutedP50Ms = round(pct(ready, 50));
  out.readyToRoutedP99Ms = round(pct(ready, 99));
  readyProber.stop();
  out.loadAvg1End = round(loadavg()[0]!);
} finally {
  for (const p of probers) p.stop();
  await host?.stop().catch(() => {});
  for (const s of servers) s.stop();
  await t?.stop().catch(() => {});
  await node.delete();
}
console.log(JSON.stringify(out));
