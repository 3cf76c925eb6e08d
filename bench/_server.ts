// A `skiff server` child process (the built dist/skiff.mjs, default distribution unless told
// otherwise) and a small REST client for it, shared by the benchmarks.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { parse as parseYaml } from 'yaml';
import { closedLoop, repoRoot, sleep, WARM_UP_OPS } from './_util.ts';

export interface Rest {
  base: string;
  agent: Agent;
  headers: Record<string, string>;
}

export async function call(r: Rest, method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH', path: string, body?: unknown): Promise<unknown> {
  const res = await request(r.base + path, {
    method,
    dispatcher: r.agent,
    headers: { ...r.headers, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

/**
 * Connections a benchmark's REST client keeps to a server. The warm-up opens them all
 * (`warmUpRest`): a connection opened mid-run costs a TLS handshake on both event loops, and after
 * any hold-up the client would open dozens at once — a stall of its own making, not the server's.
 */
export const REST_CONNECTIONS = 64;

/** A benchmark's REST client connections to a server whose certificate `ca` signed. */
export function restAgent(ca: string): Agent {
  return new Agent({ connect: { ca }, connections: REST_CONNECTIONS, pipelining: 1, keepAliveTimeout: 60_000 });
}

/** Warm-up before a measured run: JIT (WARM_UP_OPS), and every connection of the pool open. */
export function warmUpRest(op: (i: number) => Promise<unknown>): Promise<unknown> {
  return closedLoop(WARM_UP_OPS, REST_CONNECTIONS, op);
}

export async function startServerProcess(home: string, extraArgs: string[] = []): Promise<{ pid: number; ca: string; rest: Rest; stop: () => Promise<void>; natsPid: () => number | undefined; readyMs: number }> {
  const root = repoRoot();
  const t0 = Date.now();
  // SKIFF_BENCH_NODE_ARGS: extra node flags for the server (e.g. --cpu-prof) when looking into a figure
  const nodeArgs = (process.env.SKIFF_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, join(root, 'dist', 'skiff.mjs'), 'server', '--home', home, '--port', '0', '--log-level', 'warn', ...extraArgs], { stdio: ['ignore', 'inherit', 'inherit'] });
  // never leave the server behind, whatever happens to the benchmark
  process.on('exit', () => child.kill('SIGTERM'));
  const kubeconfig = join(home, 'kubeconfig');
  while (!existsSync(kubeconfig)) {
    if (child.exitCode !== null) throw new Error('server exited');
    await sleep(20);
  }
  const readyMs = Date.now() - t0;
  const kc = parseYaml(readFileSync(kubeconfig, 'utf8'));
  const server = kc.clusters[0].cluster.server as string;
  const ca = Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
  const token = kc.users[0].user.token as string;
  const agent = restAgent(ca);
  return {
    pid: child.pid!,
    ca,
    readyMs,
    rest: { base: server, agent, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } },
    natsPid: () => {
      const f = join(home, 'data', 'nats', 'nats-server.pid');
      return existsSync(f) ? Number(readFileSync(f, 'utf8')) : undefined;
    },
    stop: async () => {
      await agent.close();
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}


/** The server's process figures from GET /metrics (prom-client's Node.js metrics). */
export interface ServerRuntime {
  gcCount: number;
  gcSeconds: number;
  /** GC pauses longer than 10 ms (the histogram's buckets end at 1, 10, 100 ms...) */
  gcOver10ms: number;
  /** event-loop lag since the previous scrape (each scrape starts it over) */
  loopLagP99Ms: number;
  loopLagMaxMs: number;
}

export async function serverRuntime(r: Rest): Promise<ServerRuntime> {
  const res = await request(r.base + '/metrics', { dispatcher: r.agent, headers: r.headers });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET /metrics: ${res.statusCode} ${text.slice(0, 200)}`);
  const sum = (re: RegExp) => [...text.matchAll(re)].reduce((a, m) => a + Number(m[1]), 0);
  const gcCount = sum(/^nodejs_gc_duration_seconds_count\{[^}]*\} (\S+)$/gm);
  return {
    gcCount,
    gcSeconds: sum(/^nodejs_gc_duration_seconds_sum\{[^}]*\} (\S+)$/gm),
    gcOver10ms: gcCount - sum(/^nodejs_gc_duration_seconds_bucket\{le="0\.01",[^}]*\} (\S+)$/gm),
    loopLagP99Ms: Number(/^nodejs_eventloop_lag_p99_seconds (\S+)$/m.exec(text)?.[1] ?? NaN) * 1000,
    loopLagMaxMs: Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text)?.[1] ?? NaN) * 1000,
  };
}
