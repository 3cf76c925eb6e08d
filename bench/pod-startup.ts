// `npm run bench -- pod-startup [--pods 50] [--rate 10]`
// Pod startup latency on one real node: a `skiff server` and a `skiff agent` (this machine's
// containerd and CNI plugins) as child processes; pods (busybox, image already on the node) are
// created at `rate` per second through the kernel bus, scheduled by the scheduler, started by the
// agent; the figure is each pod's time from create to its status saying Running (seen through a
// watch), as Kubernetes' pod startup SLO measures it (SLO: p99 <= 5 s). The last line is JSON.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { connectKernel } from '@skiff/kernel/bus';
import type { KObject } from '@skiff/kernel';
import { CriClient } from '@skiff/plugin-cri-containerd';
import { ensureTestImages } from '@skiff/plugin-cri-containerd/testing';
import { pct, repoRoot, sleep, type Figures } from './_util.ts';

const { values: flags } = parseArgs({
  options: { pods: { type: 'string', default: '50' }, rate: { type: 'string', default: '10' } },
  allowPositionals: true,
});
const PODS = Number(flags.pods);
const RATE = Number(flags.rate);
const PODS_REF = { group: '', version: 'v1', resource: 'pods' };
const NODES_REF = { group: '', version: 'v1', resource: 'nodes' };

const out: Figures = { bench: 'pod-startup', pods: PODS, rate: RATE };
const home = mkdtempSync(join(tmpdir(), 'skiff-bench-pods-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGTERM');
});
const bin = join(repoRoot(), 'dist', 'skiff.mjs');
if (!existsSync(bin)) throw new Error('dist/skiff.mjs is missing: run `npm run build` first');
const run = (args: string[]) => {
  const c = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(c);
  return c;
};

const cri = new CriClient();
await ensureTestImages(cri, join(home, 'images'), 'docker.io/library/busybox:latest');
cri.close();

run(['server', '--home', home, '--port', '0', '--log-level', 'warn']);
const urlFile = join(home, 'nats-url');
for (let t0 = Date.now(); !existsSync(join(home, 'kubeconfig')); ) {
  if (Date.now() - t0 > 30_000) throw new Error('skiff server did not start');
  await sleep(50);
}
const node = `bench-node-${process.pid}`;
run(['agent', '--home', home, '--name', node, '--root-dir', join(home, 'kubelet'), '--log-level', 'warn']);
const nc = await connect({ servers: readFileSync(urlFile, 'utf8').trim(), noAsyncTraces: true });
const kernel = await connectKernel(nc);

const ready = (n: KObject) => ((n.status as { conditions?: { type: string; status: string }[] })?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
for (let t0 = Date.now(); ; await sleep(200)) {
  const n = await kernel.get(NODES_REF, undefined, node).catch(() => undefined);
  if (n && ready(n)) break;
  if (Date.now() - t0 > 60_000) throw new Error(`node ${node} did not turn Ready`);
}

const created = new Map<string, number>();
const running = new Map<string, number>();
const w = kernel.watch(PODS_REF, { namespace: 'default' });
const watching = (async () => {
  for await (const ev of w) {
    const name = ev.object.metadata?.name;
    if (!name || running.has(name) || !created.has(name)) continue;
    if ((ev.object.status as { phase?: string } | undefined)?.phase === 'Running') running.set(name, performance.now());
  }
})();

const pod = (i: number): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `startup-${i}`, namespace: 'default' },
  spec: {
    terminationGracePeriodSeconds: 1,
    containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'exec sleep 3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
  },
});

const start = performance.now();
for (let i = 0; i < PODS; i++) {
  const due = start + (i * 1000) / RATE;
  if (due > performance.now()) await sleep(due - performance.now());
  created.set(`startup-${i}`, performance.now());
  await kernel.create(PODS_REF, pod(i));
}
for (let t0 = Date.now(); running.size < PODS && Date.now() - t0 < 120_000; ) await sleep(50);
const lat = [...created].filter(([n]) => running.has(n)).map(([n, t]) => running.get(n)! - t);
Object.assign(out, {
  running: lat.length,
  p50Ms: Math.round(pct(lat, 50)),
  p90Ms: Math.round(pct(lat, 90)),
  p99Ms: Math.round(pct(lat, 99)),
  maxMs: Math.round(Math.max(...lat)),
});

// clean up: the pods (and their containers) go, then the processes
for (const name of created.keys()) await kernel.delete(PODS_REF, 'default', name).catch(() => {});
for (let t0 = Date.now(); Date.now() - t0 < 60_000; await sleep(250)) {
  const left = (await kernel.list(PODS_REF, { namespace: 'default' })).items.filter((p) => created.has(p.metadata.name!));
  if (left.length === 0) break;
}
w.stop();
await watching.catch(() => {});
await kernel.close();
await nc.drain();
for (const c of children.reverse()) {
  c.kill('SIGTERM');
  await new Promise((r) => c.once('exit', r));
}
rmSync(home, { recursive: true, force: true });
console.log(JSON.stringify(out));
process.exit(lat.length === PODS ? 0 : 1);
