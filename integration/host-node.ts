// A real node on this machine for an end-to-end test: the busybox test image in containerd, `skiff
// server` and `skiff agent` (or `skiff up`, both in one process) as a user runs them, kubectl 1.32
// against it, and the node Ready. What such a node programs belongs to the host, not to the test:
// the nftables table `inet skiff`, the bridge `skiff0`, the node-local DNS at 10.96.0.10:53. So the
// node runs under the host lock (host-lock.ts): test files on real agents (two vitest workers, or
// two vitest runs on one machine) take turns, and a file waits in its beforeAll for the one before
// it to be done — give that hook HOST_NODE_START_MS.
//
//   const node = new HostNode({ name: 'node-agent', nodeName: NODE });
//   beforeAll(() => node.start(), HOST_NODE_START_MS);
//   afterAll(() => node.stop(() => node.kubectl('delete', 'pod', 'a', ...)));
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { CriClient } from '@skiff/plugin-cri-containerd';
import { ensureTestImages } from '@skiff/plugin-cri-containerd/testing';
import { acquireHostLock, type HostLock } from './host-lock.ts';
import { kubectlFor, until, type Kubectl } from './kubectl-client.ts';
import { skiffBin, startSkiff, type SkiffProcess } from './skiff-process.ts';

/** A beforeAll that starts a HostNode may first wait for another file's node: this long at most. */
export const HOST_NODE_START_MS = 25 * 60_000;
/** ... and an afterAll that stops it: the pods' removal, then the agent's and the server's stops */
export const HOST_NODE_STOP_MS = 90_000;
const LOCK_WAIT_MS = 20 * 60_000;

export interface HostNodeOptions {
  /** names the test's home (`skiff-<name>-…`) and the lock's holder */
  name: string;
  /** agent (default): `skiff server` + `skiff agent --name <nodeName>`; up: `skiff up`, whose node is the host name */
  mode?: 'agent' | 'up';
  /** the agent's node name (agent mode; default `<name>-<pid>`) */
  nodeName?: string;
  /** more flags for `skiff server` / `skiff up` */
  serverArgs?: string[] | ((home: string) => string[]);
  /** more flags for `skiff agent` */
  agentArgs?: string[];
  /** wait for the node to be Ready in start() (default true) */
  ready?: boolean;
  /** keep the output of `skiff server` / `skiff up` (skiff.output()) */
  capture?: boolean;
}

export class HostNode {
  readonly nodeName: string;
  home = '';
  skiff!: SkiffProcess;
  kubectl!: Kubectl;
  /** the running `skiff agent` (agent mode) */
  agent?: ChildProcess;
  private lock?: HostLock;

  constructor(private readonly o: HostNodeOptions) {
    this.nodeName = o.mode === 'up' ? hostname().toLowerCase() : (o.nodeName ?? `${o.name}-${process.pid}`);
  }

  async start(): Promise<void> {
    this.home = mkdtempSync(join(tmpdir(), `skiff-${this.o.name}-`));
    // the lock first: a file waiting for it runs nothing (a server idling for minutes beside another
    // file's node would only take that node's CPU)
    await this.takeLock();
    const cri = new CriClient();
    try {
      await ensureTestImages(cri, join(this.home, 'images'), 'docker.io/library/busybox:latest');
    } finally {
      cri.close();
    }
    const serverArgs = typeof this.o.serverArgs === 'function' ? this.o.serverArgs(this.home) : (this.o.serverArgs ?? []);
    this.skiff = await startSkiff(this.home, serverArgs, { command: this.o.mode === 'up' ? 'up' : 'server', capture: this.o.capture });
    this.kubectl = kubectlFor(this.skiff.kubeconfig, this.home);
    if (this.o.mode !== 'up') this.startAgent();
    if (this.o.ready !== false) await this.waitReady();
  }

  private async takeLock(): Promise<void> {
    const t0 = Date.now();
    this.lock = await acquireHostLock({
      owner: `${this.o.name} (pid ${process.pid}, node ${this.nodeName})`,
      timeoutMs: LOCK_WAIT_MS,
      onWait: (holder) => process.stderr.write(`[host-node] ${this.o.name} waits for this host's node agent lock, held by ${holder}\n`),
    });
    if (this.lock.waitedMs > 1_000) process.stderr.write(`[host-node] ${this.o.name} got the host lock after ${Math.round((Date.now() - t0) / 1000)} s\n`);
  }

  /** `skiff agent` for this node (agent mode), in the background. */
  startAgent(): ChildProcess {
    if (this.o.mode === 'up') throw new Error('skiff up runs its agent in its own process');
    if (!this.lock) throw new Error('the agent runs under the host lock: start() first');
    const args = ['agent', '--home', this.home, '--name', this.nodeName, '--root-dir', join(this.home, 'kubelet'), '--log-level', 'warn', ...(this.o.agentArgs ?? [])];
    this.agent = spawn(process.execPath, [skiffBin(), ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    return this.agent;
  }

  /** Signal the agent and wait for it to exit (SIGKILL after `graceMs`). */
  async stopAgent(signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<void> {
    const a = this.agent;
    if (!a) return;
    await stopChild(a, signal, graceMs);
  }

  async waitReady(ms = 60_000): Promise<void> {
    await until(() => this.kubectl('get', 'node', this.nodeName, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}').out === 'True', `node ${this.nodeName} to be Ready`, ms);
  }

  /** `kubectl apply -f` of `yaml` (more kubectl flags after it), which must succeed. */
  apply(yaml: string, ...args: string[]): void {
    const f = join(this.home, `m-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(f, yaml);
    const r = this.kubectl('apply', '-f', f, ...args);
    expect(r.code, r.err).toBe(0);
  }

  /** The pods bound to this node (`pod/<name>`), [] when kubectl fails. */
  podsOnNode(): string[] {
    const r = this.kubectl('get', 'pods', '-A', '--field-selector', `spec.nodeName=${this.nodeName}`, '-o', 'name');
    return r.code === 0 ? r.out.split('\n').filter(Boolean) : [];
  }

  /**
   * The end of the file: `cleanup` (the test's deletes, while the agent still runs), the node's
   * pods gone (up to 30 s) and a moment for the agent to remove their containers — containers
   * left behind would run on after the test —, then the agent and the server stopped (waited for),
   * the host lock let go and the home removed. Safe after a start that failed half way. Give the
   * afterAll HOST_NODE_STOP_MS.
   */
  async stop(cleanup?: () => unknown, settleMs = 1_500): Promise<void> {
    try {
      if (this.skiff && cleanup) {
        await cleanup();
        await until(() => this.podsOnNode().length === 0, `the pods on ${this.nodeName} to be gone`, 30_000, 500).catch((e) =>
          process.stderr.write(`[host-node] ${this.o.name}: ${e.message}: ${this.podsOnNode().join(' ')}\n`),
        );
        await new Promise((r) => setTimeout(r, settleMs));
      }
    } finally {
      await this.stopAgent().catch(() => {});
      if (this.skiff) await Promise.race([this.skiff.kill('SIGTERM'), new Promise((r) => setTimeout(r, 20_000))]);
      if (this.skiff) await this.skiff.kill('SIGKILL');
      await this.lock?.release();
      if (this.home) rmSync(this.home, { recursive: true, force: true });
    }
  }
}

async function stopChild(c: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill(signal);
  const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
