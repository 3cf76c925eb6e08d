// `npm run bench -- scheduler --nodes N --pods M [--paced-rate R] [--paced-pods P] [--policy ts|wasm]`
// A kernel on its own nats-server, N hollow nodes, the scheduler plugin with the default policy
// plugins (loaded through the plugin host, as a distribution runs them), then:
//   1. burst: M pods created through the kernel first (32 in flight), then the scheduler starts
//      with all of them pending; its throughput is measured from persisted bindings, first bind to
//      last bind, as a watch on pods sees spec.nodeName appear (creating them while it schedules
//      would measure the create rate, which shares the same two cores);
//   2. paced: P pods at R/s (the queue not backlogged): create -> bound latency p50/p99.
// --policy wasm: NodeResourcesFit (its Filter and LeastAllocated Score) is replaced by the
// WebAssembly component that reproduces it (wasm-sdk/examples/least-allocated), built here with the
// SDK and run in its sandbox like any installed policy; every other default policy stays.
// peakRssMb is this process's peak RSS (kernel + hollow nodes + scheduler: an upper bound for the
// scheduler); schedulerHeapMb is the heap growth while the scheduler holds the cluster.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { SkiffKernel, startNatsServer, type KObject, type ResourceRef } from '@skiff/kernel';
import { PluginHost, silentLogger, type LoadRequest, type PluginDescriptor } from '@skiff/kernel/plugins';
import schedulerPlugin from '@skiff/plugin-scheduler';
import { defaultPolicyPlugins } from '@skiff/scheduler-policies';
import { HollowNodes } from '@skiff/plugin-node-sim';
import { ComponentCache, wasmSchedulerPolicyPlugin } from '@skiff/plugin-wasm-policies';
import { pct, rssMb, sleep, type Figures } from './_util.ts';

const { values: flags } = parseArgs({
  options: {
    nodes: { type: 'string', default: '5000' },
    pods: { type: 'string', default: '10000' },
    'paced-rate': { type: 'string', default: '500' },
    'paced-pods': { type: 'string', default: '2000' },
    policy: { type: 'string', default: 'ts' },
    /** --policy wasm: inline (on the scheduler's thread, fuel) or worker (a worker thread) */
    isolation: { type: 'string', default: 'inline' },
  },
  allowPositionals: true,
});
const NODES = Number(flags.nodes);
const PODS_N = Number(flags.pods);
const PACED_RATE = Number(flags['paced-rate']);
const PACED_N = Number(flags['paced-pods']);
if (flags.policy !== 'ts' && flags.policy !== 'wasm') throw new Error(`--policy ${flags.policy}: use "ts" (the default TypeScript policies) or "wasm"`);

const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods' };
const NS: ResourceRef = { group: '', version: 'v1', resource: 'namespaces' };

const pod = (ns: string, name: string): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels: { app: 'bench' } },
  spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m', memory: '128Mi' } } }] },
});

async function createAll(k: SkiffKernel, ns: string, n: number, created: Map<string, number>, concurrency = 32) {
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < n) {
        const name = `p-${i++}`;
        created.set(`${ns}/${name}`, performance.now());
        await k.create(PODS, pod(ns, name));
      }
    }),
  );
}

/** The component, built in a child process: the compiler's own memory (binaryen) is not the scheduler's. */
function buildInChild(entry: string, outFile: string): Uint8Array {
  const script = `import { buildComponent } from '@skiff/wasm-sdk'; await buildComponent({ entry: ${JSON.stringify(entry)}, world: 'scheduler-policy', outFile: ${JSON.stringify(outFile)} });`;
  execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: 'inherit' });
  return readFileSync(outFile);
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-sched-'));
  const nats = await startNatsServer({ dataDir: dir });
  const nc = await connect({ servers: nats.url, noAsyncTraces: true });
  const kernel = await SkiffKernel.start({ nc, secretKey: Buffer.alloc(32, 1), eventsPerResource: 50_000 });
  const out: Figures = { bench: 'scheduler', nodes: NODES, pods: PODS_N, policy: flags.policy };
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(process.pid) ?? 0)), 100);
  try {
    for (const name of ['kube-node-lease', 'burst', 'paced']) await kernel.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    let t = performance.now();
    const sim = new HollowNodes(kernel, { nodes: NODES, cpu: '32', memory: '256Gi', pods: 110 }, silentLogger);
    await sim.start();
    out.nodeRegistrationMs = Math.round(performance.now() - t);

    // bind times, from the store's point of view
    const bound = new Map<string, number>();
    const watch = kernel.watch(PODS, {});
    void (async () => {
      for await (const ev of watch) {
        const o = ev.object;
        const node = (o.spec as { nodeName?: string } | undefined)?.nodeName;
        const key = `${o.metadata.namespace}/${o.metadata.name}`;
        if (node && !bound.has(key)) bound.set(key, performance.now());
      }
    })();

    // 1. burst: every pod pending before the scheduler starts
    const created = new Map<string, number>();
    t = performance.now();
    await createAll(kernel, 'burst', PODS_N, created);
    out.createPodsPerSec = Math.round(PODS_N / ((performance.now() - t) / 1000));
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const host = new PluginHost({ kernel, logger: silentLogger });
    const policies: (PluginDescriptor | LoadRequest)[] = Object.values(defaultPolicyPlugins);
    let wasmStats: Record<string, unknown> | undefined;
    host.on('runtime', (e) => {
      if (e.name === 'NodeResourcesFit') wasmStats = { ...e.stats };
    });
    if (flags.policy === 'wasm') {
      const bytes = buildInChild(fileURLToPath(new URL('../wasm-sdk/examples/least-allocated/assembly/index.ts', import.meta.url)), join(dir, 'policy.wasm'));
      out.wasmComponentBytes = bytes.length;
      const cache = new ComponentCache(join(dir, 'wasm-cache'));
      // compiled before the scheduler starts, as for a policy installed before pods arrive (the
      // scheduler starts scheduling as soon as it is up, with the policies registered so far)
      await cache.load(bytes, 64 * 1024 * 1024, flags.isolation === 'inline');
      const plugin = wasmSchedulerPolicyPlugin({ name: 'NodeResourcesFit', version: '0.1.0', bytes, cache });
      policies.splice(policies.findIndex((p) => 'name' in p && p.name === 'node-resources-fit'), 1, { descriptor: plugin, config: { isolation: flags.isolation } });
      out.isolation = flags.isolation;
    }
    t = performance.now();
    await host.load([{ descriptor: schedulerPlugin, config: { leaderElection: false } }, ...policies]);
    out.schedulerStartMs = Math.round(performance.now() - t);
    const deadline = Date.now() + 300_000;
    const burstDone = () => [...created.keys()].every((k) => bound.has(k));
    while (!burstDone() && Date.now() < deadline) await sleep(50);
    const burstBinds = [...created.keys()].map((k) => bound.get(k)).filter((x): x is number => x !== undefined);
    out.bound = burstBinds.length;
    const first = Math.min(...burstBinds);
    const last = Math.max(...burstBinds);
    out.podsPerSecond = Math.round(burstBinds.length / ((last - first) / 1000));
    out.bindSpanMs = Math.round(last - first);
    global.gc?.();
    out.schedulerHeapMb = Math.round((process.memoryUsage().heapUsed - heapBefore) / 1e5) / 10;

    // 2. paced: the queue is not backlogged
    const paced = new Map<string, number>();
    const start = performance.now();
    for (let i = 0; i < PACED_N; i++) {
      const due = start + (i * 1000) / PACED_RATE;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const name = `p-${i}`;
      paced.set(`paced/${name}`, performance.now());
      void kernel.create(PODS, pod('paced', name));
    }
    const d2 = Date.now() + 120_000;
    while (![...paced.keys()].every((k) => bound.has(k)) && Date.now() < d2) await sleep(50);
    const pacedLat = [...paced].filter(([k]) => bound.has(k)).map(([k, c]) => bound.get(k)! - c);
    out.pacedRate = PACED_RATE;
    out.p50Ms = pct(pacedLat, 50);
    out.p99Ms = pct(pacedLat, 99);
    out.pacedBound = pacedLat.length;
    out.peakRssMb = Math.round(Math.max(peak, rssMb(process.pid) ?? 0));
    watch.stop();
    await host.stopAll();
    if (flags.policy === 'wasm' && !((wasmStats?.calls as number) > 0)) throw new Error('the WebAssembly policy reported no calls: it did not take part in scheduling');
    if (wasmStats) {
      out.wasmCalls = wasmStats.calls as number;
      out.wasmErrors = wasmStats.errors as number;
      out.wasmCallP50Us = wasmStats.callP50Us as number;
      out.wasmCallP99Us = wasmStats.callP99Us as number;
    }
    await sim.stop();
  } finally {
    clearInterval(sampler);
    kernel.stop();
    await nc.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(out));
  process.exit(0);
}

await main().catch((e) => {
  console.error(e);
  process.exit(1);
});
