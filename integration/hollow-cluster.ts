// What the hollow-node end-to-end tests share (rollout-hollow, node-failure, leader-election):
// `skiff sim` processes, the NATS URL of a server, and a small REST client (the pod watch and
// kubectl without blocking are in pod-watch.ts; distribution files in distribution-file.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { until } from './kubectl-client.ts';
import { skiffBin, type SkiffProcess } from './skiff-process.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
