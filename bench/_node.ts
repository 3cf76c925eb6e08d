// One real node on this machine for the benchmarks, as a user runs one: the busybox test image in
// containerd, `skiff server` (default distribution) and `skiff agent` as child processes of the
// built dist/skiff.mjs, a kernel client over the server's NATS, and the node Ready. The node runs
// under the host lock (integration/host-lock.ts), as HostNode's tests do: the host's containerd,
// the nft table `inet skiff` and the bridge skiff0 are shared, so a benchmark never runs beside a
// real-node test (nor they beside it).
//
// Also here: the open-loop pod creator the pod benchmarks time with (create -> Running seen
// through a watch, as Kubernetes' pod startup SLO measures it) and the deletion that waits for the
// pods to be gone.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { connectKernel, type KernelBusClient } from '@skiff/kernel/bus';
import type { KObject, Kernel, ResourceRef } from '@skiff/kernel';
import { CriClient } from '@skiff/plugin-cri-containerd';
import { ensureTestImages } from '@skiff/plugin-cri-containerd/testing';
import { acquireHostLock, type HostLock } from '../integration/host-lock.ts';
import { repoRoot, sleep } from './_util.ts';

export const PODS_REF: ResourceRef = { group: '', version: 'v1', resource: 'pods' };
export const NODES_REF: ResourceRef = { group: '', version: 'v1', resource: 'nodes' };

export interface BenchNodeOptions {
  /** names the home (`skiff-bench-<name>-…`), the node (`bench-node-<pid>`) and the lock's holder */
  name: string;
  /** more flags for `skiff agent` */
  agentArgs?: string[];
}

export interface BenchNode {
  home: string;
  nodeName: string;
  /** the agent's --root-dir */
  rootDir: string;
  kernel: KernelBusClient;
  nc: NatsConnection;
  cri: CriClient;
  server: ChildProcess;
  agent: ChildProcess;
  /** Runs `skiff <args>` as another child (stopped by stop(), before the agent). */
  run(args: string[], stdio?: 'ignore' | 'inherit' | number): ChildProcess;
  /** Ends the clients, the children (last started first, each waited for), the lock and the home. */
  stop(): Promise<void>;
}

export async function startBenchNode(o: BenchNodeOptions): Promise<BenchNode> {
  const bin = join(repoRoot(), 'dist', 'skiff.mjs');
  if (!existsSync(bin)) throw new Error('dist/skiff.mjs is missing: run `npm run build` first');
  const lock: HostLock = await acquireHostLock({
    owner: `bench ${o.name} (pid ${process.pid})`,
    onWait: (holder) => process.stderr.write(`[bench] ${o.name} waits for this host's node agent lock, held by ${holder}\n`),
  });
  const home = mkdtempSync(join(tmpdir(), `skiff-bench-${o.name}-`));
  const children: ChildProcess[] = [];
  // whatever happens to the benchmark, no child outlives it (the lock goes with this process)
  const onExit = () => children.forEach((c) => c.kill('SIGTERM'));
  process.on('exit', onExit);
  const run = (args: string[], stdio: 'ignore' | 'inherit' | number = 'ignore') => {
    const c = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', stdio, stdio === 'ignore' ? 'inherit' : stdio] });
    children.push(c);
    return c;
  };
  const cri = new CriClient();
  await ensureTestImages(cri, join(home, 'images'), 'docker.io/library/busybox:latest');

  const server = run(['server', '--home', home, '--port', '0', '--log-level', 'warn']);
  for (let t0 = Date.now(); !existsSync(join(home, 'kubeconfig')); await sleep(50)) {
    if (server.exitCode !== null) throw new Error(`skiff server exited with ${server.exitCode}`);
    if (Date.now() - t0 > 30_000) throw new Error('skiff server did not start');
  }
  const nodeName = `bench-node-${process.pid}`;
  const rootDir = join(home, 'kubelet');
  const agent = run(['agent', '--home', home, '--name', nodeName, '--root-dir', rootDir, '--log-level', 'warn', ...(o.agentArgs ?? [])]);
  const nc = await connect({ servers: readFileSync(join(home, 'nats-url'), 'utf8').trim(), noAsyncTraces: true });
  const kernel = await connectKernel(nc);
  const ready = (n: KObject) => ((n.status as { conditions?: { type: string; status: string }[] })?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  for (let t0 = Date.now(); ; await sleep(200)) {
    const n = await kernel.get(NODES_REF, undefined, nodeName).catch(() => undefined);
    if (n && ready(n)) break;
    if (agent.exitCode !== null) throw new Error(`skiff agent exited with ${agent.exitCode}`);
    if (Date.now() - t0 > 60_000) throw new Error(`node ${nodeName} did not turn Ready`);
  }

  return {
    home, nodeName, rootDir, kernel, nc, cri, server, agent, run,
    async stop() {
      cri.close();
      await kernel.close();
      await nc.drain();
      for (const c of [...children].reverse()) {
        if (c.exitCode !== null || c.signalCode !== null) continue;
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        const force = setTimeout(() => c.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(force);
      }
      process.off('exit', onExit);
      // the lock's flock child is unref'd: something must keep the loop alive until it has let go
      const alive = setInterval(() => {}, 1000);
      await lock.release();
      clearInterval(alive);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** What a watch saw of one pod, in performance.now() ms. */
export interface PodTimes {
  /** when its create was due (open loop: i/rate after the start), or later if the loop fell behind */
  due: number;
  /** spec.nodeName first seen set */
  scheduled?: number;
  /** status.phase first seen Running */
  running?: number;
}

export interface OpenLoopPodsOptions {
  kernel: Kernel;
  namespace: string;
  names: string[];
  /** creates per second */
  rate: number;
  /** creates pod `name` (and whatever goes with it); rejections are counted, not thrown */
  create(name: string, i: number): Promise<unknown>;
  /** give up waiting for Running after this long once the last create is done (default 120 s) */
  timeoutMs?: number;
}

/**
 * Open loop: pod i's create is due at start + i/rate and is issued then whether or not earlier ones
 * are done; its latency counts from when it was due (or from when the loop got to it, if it fell
 * behind). A watch on the namespace's pods, opened first, sees each pod scheduled and Running.
 */
export async function openLoopPods(o: OpenLoopPodsOptions): Promise<{ times: Map<string, PodTimes>; failedCreates: string[] }> {
  const times = new Map<string, PodTimes>();
  const w = o.kernel.watch(PODS_REF, { namespace: o.namespace });
  const watching = (async () => {
    for await (const ev of w) {
      const t = times.get(ev.object.metadata?.name ?? '');
      if (!t) continue;
      const now = performance.now();
      if (t.scheduled === undefined && (ev.object.spec as { nodeName?: string } | undefined)?.nodeName) t.scheduled = now;
      if (t.running === undefined && (ev.object.status as { phase?: string } | undefined)?.phase === 'Running') t.running = now;
    }
  })();
  const failedCreates: string[] = [];
  const creates: Promise<unknown>[] = [];
  const start = performance.now();
  for (const [i, name] of o.names.entries()) {
    const due = start + (i * 1000) / o.rate;
    if (due - performance.now() > 1) await sleep(due - performance.now());
    times.set(name, { due: Math.max(due, performance.now()) });
    creates.push(
      o.create(name, i).catch((e) => {
        failedCreates.push(name);
        process.stderr.write(`[bench] create ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
      }),
    );
  }
  await Promise.all(creates);
  const want = o.names.length - failedCreates.length;
  const allRunning = () => [...times.values()].filter((t) => t.running !== undefined).length >= want;
  for (let t0 = Date.now(); !allRunning() && Date.now() - t0 < (o.timeoutMs ?? 120_000); ) await sleep(50);
  w.stop();
  await watching.catch(() => {});
  return { times, failedCreates };
}

/** ms from due to `at` for the pods that got there */
export const latencies = (times: Map<string, PodTimes>, at: 'scheduled' | 'running'): number[] =>
  [...times.values()].filter((t) => t[at] !== undefined).map((t) => t[at]! - t.due);

/** Deletes the named objects and waits (up to `timeoutMs`) until none of them is listed; returns those left. */
export async function deleteAndWait(kernel: Kernel, ref: ResourceRef, namespace: string | undefined, names: Iterable<string>, timeoutMs = 60_000): Promise<string[]> {
  const set = new Set(names);
  for (const name of set) await kernel.delete(ref, namespace, name).catch(() => {});
  let left: string[] = [];
  for (let t0 = Date.now(); Date.now() - t0 < timeoutMs; await sleep(250)) {
    left = (await kernel.list(ref, namespace ? { namespace } : {})).items.map((p) => p.metadata.name!).filter((n) => set.has(n));
    if (left.length === 0) break;
  }
  return left;
}
