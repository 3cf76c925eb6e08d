// `npm run bench -- hollow-kubelet [--pods 100] [--rate 0] [--sandbox-ms 0] [--pull-ms 0]`
// The kubelet's own cost per pod, without containerd: one hollow kubelet node in this process (the
// kubelet plugin on node-sim's in-memory CRI runtime, a kernel on an embedded NATS), `pods` pods
// bound to it at `rate` per second (0: all at once); each pod's time from create to its status
// saying Running (seen through a watch). With no runtime latency this is what the kubelet's code,
// the kernel and the status writes cost; --sandbox-ms / --pull-ms add a runtime's own time to
// RunPodSandbox / PullImage (containerd here: ~250 ms a sandbox, see pod-startup). Also the CRI
// calls the kubelet made per pod, and the process's CPU time. The last line is JSON.
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { KObject } from '@skiff/kernel';
import { ConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { startTestKernel } from '@skiff/kernel/testing';
import { CriRuntimeToken } from '@skiff/node-api';
import type { FakeRuntime } from '@skiff/node-api/testing';
import kubelet from '@skiff/plugin-kubelet/plugin';
import nodeSim from '@skiff/plugin-node-sim/plugin';
import { pct, sleep, type Figures } from './_util.ts';

const { values: flags } = parseArgs({
  options: {
    pods: { type: 'string', default: '100' },
    rate: { type: 'string', default: '0' },
    'sandbox-ms': { type: 'string', default: '0' },
    'pull-ms': { type: 'string', default: '0' },
  },
  allowPositionals: true,
});
const PODS = Number(flags.pods);
const RATE = Number(flags.rate);
const NODE = 'bench-hollow-0';
const NS = 'bench';
const PODS_REF = { group: '', version: 'v1', resource: 'pods' };
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

const tk = await startTestKernel();
const root = mkdtempSync(join(tmpdir(), 'skiff-bench-hollow-kubelet-'));
const host = new PluginHost({ kernel: tk.kernel, logger: new ConsoleLogger({ level: 'warn' }) });
try {
  for (const name of [NS, 'kube-node-lease']) await tk.kernel.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  await host.load([
    { descriptor: nodeSim, config: { nodes: 0, runtime: { latencyMs: { runPodSandbox: Number(flags['sandbox-ms']), pullImage: Number(flags['pull-ms']) } } } },
    { descriptor: kubelet, config: { nodeName: NODE, nodeAddress: '192.0.2.99', rootDir: root, podLogRoot: join(root, 'logs'), maxPods: PODS + 10 } },
  ]);
  const cri = host.resolve(CriRuntimeToken) as FakeRuntime;

  const created = new Map<string, number>();
  const running = new Map<string, number>();
  const watch = tk.kernel.watch(PODS_REF, { namespace: NS });
  const watching = (async () => {
    for await (const ev of watch) {
      const name = ev.object.metadata?.name;
      if (name && (ev.object.status as { phase?: string } | undefined)?.phase === 'Running' && !running.has(name)) running.set(name, performance.now());
      if (running.size === PODS) break;
    }
  })();
  const calls0 = cri.callCount;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const pod = (i: number): KObject => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${i}`, namespace: NS }, spec: { nodeName: NODE, containers: [{ name: 'app', image: 'registry.local/app:1' }] },
  });
  await Promise.all(
    Array.from({ length: PODS }, async (_, i) => {
      if (RATE > 0) await sleep(Math.max(0, t0 + (i * 1000) / RATE - performance.now()));
      created.set(`p-${i}`, performance.now());
      await tk.kernel.create(PODS_REF, pod(i));
    }),
  );
  const deadline = Date.now() + 120_000;
  while (running.size < PODS && Date.now() < deadline) await sleep(50);
  watch.stop();
  await watching.catch(() => {});
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const lat = [...running].map(([name, at]) => at - created.get(name)!);
  const out: Figures = {
    bench: 'hollow-kubelet',
    pods: PODS,
    rate: RATE,
    sandboxMs: Number(flags['sandbox-ms']),
    pullMs: Number(flags['pull-ms']),
    running: running.size,
    p50Ms: Math.round(pct(lat, 50)),
    p99Ms: Math.round(pct(lat, 99)),
    allRunningMs: Math.round(wallMs),
    criCallsPerPod: Math.round(((cri.callCount - calls0) / PODS) * 10) / 10,
    cpuMsPerPod: Math.round(((cpu.user + cpu.system) / 1000 / PODS) * 10) / 10,
  };
  console.log(JSON.stringify(out));
} finally {
  await host.stopAll().catch(() => {});
  await tk.stop();
  rmSync(root, { recursive: true, force: true });
}
