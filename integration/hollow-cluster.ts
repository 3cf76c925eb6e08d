// What the hollow-node end-to-end tests share (rollout-hollow, node-failure, leader-election): a
// distribution file written from the default one, `skiff sim` processes, kubectl run without blocking
// this process, and a REST watch on a namespace's pods that applies every event to a map and calls
// back after each, so a test can check an invariant at every state the store went through.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { parse, stringify } from 'yaml';
import { until } from './kubectl-client.ts';
import { skiffBin, type SkiffProcess } from './skiff-process.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const repo = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes `dir/distribution.yaml`: deploy/distros/default.yaml with `config` merged into the named plugins' config. */
export function writeDistribution(dir: string, config: Record<string, Obj> = {}): string {
  const d = parse(readFileSync(join(repo, 'deploy/distros/default.yaml'), 'utf8'));
  const plugins: Obj[] = d.spec.plugins;
  for (const [name, cfg] of Object.entries(config)) {
    const p = plugins.find((q) => q.name === name);
    if (!p) throw new Error(`the distribution has no plugin ${name}`);
    p.config = { ...(p.config ?? {}), ...cfg };
  }
  const file = join(dir, 'distribution.yaml');
  writeFileSync(file, stringify(d));
  return file;
}

/** The NATS URL a server wrote to its home (`nats-url`). */
export async function natsUrlOf(home: string): Promise<string> {
  const f = join(home, 'nats-url');
  return until(() => existsSync(f) && readFileSync(f, 'utf8').trim(), `${f}`);
}

export interface Sim {
  pid: number;
  output(): string;
  exited: Promise<number | null>;
  /** signal it and wait for its exit (SIGTERM escalates to SIGKILL after 20 s) */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** `skiff sim --nodes n` against `natsUrl`; resolves once it says its nodes are up. */
export async function startSim(natsUrl: string, nodes: number, extra: string[] = []): Promise<Sim> {
  const child: ChildProcess = spawn(process.execPath, [skiffBin(), 'sim', '--nats', natsUrl, '--nodes', String(nodes), '--log-level', 'warn', '--report-interval', '0', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const sim: Sim = {
    pid: child.pid!,
    output: () => out,
    exited,
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      if (signal === 'SIGKILL') return void (await exited);
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    },
  };
  try {
    await until(() => new RegExp(`^${nodes} hollow nodes up`, 'm').test(out) || child.exitCode !== null, `skiff sim to register ${nodes} nodes`, 60_000);
  } catch (e) {
    await sim.kill('SIGKILL');
    throw e;
  }
  if (child.exitCode !== null) throw new Error(`skiff sim exited with ${child.exitCode}:\n${out}`);
  return sim;
}

export interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** kubectl 1.32, without blocking this process (a watch keeps reading meanwhile). */
export function kubectlAsync(kubeconfig: string, home: string, ...args: string[]): Promise<Run> {
  return new Promise((done) => {
    const c = spawn('/usr/bin/kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(home, 'kubectl-cache'), ...args]);
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.once('close', (code) => done({ code, out, err }));
  });
}

/** A REST client of one server (undici, its CA and token). */
export class Rest {
  private readonly agent: Agent;
  constructor(readonly s: SkiffProcess) {
    this.agent = new Agent({ connect: { ca: s.ca } });
  }

  async call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Obj> {
    const res = await request(`${this.s.url}${path}`, {
      method: method as 'GET',
      dispatcher: this.agent,
      headers: { authorization: `Bearer ${this.s.token}`, ...(body !== undefined ? { 'content-type': contentType } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    const obj = text ? JSON.parse(text) : {};
    if (res.statusCode >= 300) throw Object.assign(new Error(`${method} ${path}: ${res.statusCode} ${obj.message ?? text}`), { code: res.statusCode });
    return obj;
  }

  get = (path: string) => this.call('GET', path);

  close = () => this.agent.destroy();
}

export interface WatchedPod {
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; deletionTimestamp?: string; labels?: Record<string, string>; ownerReferences?: { name: string; controller?: boolean }[] };
  spec?: { nodeName?: string; tolerations?: Obj[] };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

/** Not being deleted. */
export const isAlive = (p: WatchedPod) => !p.metadata.deletionTimestamp;
/** Ready and not being deleted (what a ReplicaSet counts as ready). */
export const isReady = (p: WatchedPod) => isAlive(p) && !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

export type PodEvent = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; pod: WatchedPod; at: number };

/**
 * The pods of a namespace as one REST watch sees them, event by event: `onEvent` runs after each
 * event is applied to `pods`. Started without a resourceVersion on an empty namespace, its ADDED
 * events are the pods created. If the stream ends it is resumed from the last resourceVersion seen
 * (no event lost or repeated); anything else (an ERROR event, a failed resume) lands in `errors`.
 */
export class PodWatch {
  readonly pods = new Map<string, WatchedPod>();
  readonly errors: string[] = [];
  /** every ADDED event's pod name, in order */
  readonly added: string[] = [];
  events = 0;
  private lastRv?: string;
  private readonly ac = new AbortController();
  private readonly agent: Agent;
  readonly done: Promise<void>;

  constructor(
    private readonly s: SkiffProcess,
    private readonly ns: string,
    private readonly onEvent: (e: PodEvent, w: PodWatch) => void = () => {},
  ) {
    this.agent = new Agent({ connect: { ca: s.ca } });
    this.done = this.loop();
  }

  count(f: (p: WatchedPod) => boolean): number {
    let n = 0;
    for (const p of this.pods.values()) if (f(p)) n++;
    return n;
  }

  private async loop(): Promise<void> {
    while (!this.ac.signal.aborted) {
      try {
        await this.once();
      } catch (e) {
        if (this.ac.signal.aborted) return;
        this.errors.push(`watch failed: ${String(e)}`);
      }
      if (this.ac.signal.aborted || this.errors.length) return;
      await sleep(100); // the server ended the stream: resume from the last resourceVersion
    }
  }

  private async once(): Promise<void> {
    const rv = this.lastRv ? `&resourceVersion=${this.lastRv}` : '';
    const res = await request(`${this.s.url}/api/v1/namespaces/${this.ns}/pods?watch=1${rv}`, {
      dispatcher: this.agent,
      headers: { authorization: `Bearer ${this.s.token}` },
      signal: this.ac.signal,
      bodyTimeout: 0,
    });
    if (res.statusCode !== 200) throw new Error(`watch answered ${res.statusCode}: ${await res.body.text()}`);
    let buf = '';
    for await (const chunk of res.body) {
      buf += chunk.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        const ev = JSON.parse(line) as { type: string; object: WatchedPod };
        if (ev.type === 'BOOKMARK') continue;
        if (ev.type !== 'ADDED' && ev.type !== 'MODIFIED' && ev.type !== 'DELETED') {
          this.errors.push(`watch event ${ev.type}: ${JSON.stringify(ev.object)}`);
          this.ac.abort();
          return;
        }
        const p = ev.object;
        this.lastRv = p.metadata.resourceVersion;
        this.events++;
        if (ev.type === 'DELETED') this.pods.delete(p.metadata.name);
        else this.pods.set(p.metadata.name, p);
        if (ev.type === 'ADDED') this.added.push(p.metadata.name);
        this.onEvent({ type: ev.type, pod: p, at: Date.now() }, this);
      }
    }
  }

  async stop(): Promise<void> {
    this.ac.abort();
    await this.done.catch(() => {});
    await this.agent.destroy().catch(() => {});
  }
}

/** The name of a pod's controller (its ReplicaSet), if any. */
export const ownerOf = (p: WatchedPod) => p.metadata.ownerReferences?.find((r) => r.controller)?.name;
