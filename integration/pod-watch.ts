// Following pods as a user's tools would: a REST watch of a namespace's pods, event by event (with
// the fewest ready pods seen, for "never more than one missing" assertions), and kubectl run without
// blocking the test process (so the watch keeps reading while kubectl drains or rolls out).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import type { SkiffProcess } from './skiff-process.ts';

type Obj = Record<string, unknown>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

export interface WatchedPod {
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; deletionTimestamp?: string; labels?: Record<string, string>; ownerReferences?: { name: string; controller?: boolean }[] };
  spec?: { nodeName?: string; tolerations?: Obj[] };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

/** Not being deleted. */
export const isAlive = (p: { metadata: { deletionTimestamp?: string } }) => !p.metadata.deletionTimestamp;
/** Ready and not being deleted (what a ReplicaSet counts as ready). */
export const isReady = (p: { metadata: { deletionTimestamp?: string }; status?: { conditions?: { type: string; status: string }[] } }) => isAlive(p) && !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

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

  /** the fewest ready pods seen since `reset` */
  minReady = Infinity;

  constructor(
    private readonly s: SkiffProcess,
    private readonly ns: string,
    private readonly onEvent: (e: PodEvent, w: PodWatch) => void = () => {},
    private readonly labelSelector?: string,
  ) {
    this.agent = new Agent({ connect: { ca: s.ca } });
    this.done = this.loop();
  }

  count(f: (p: WatchedPod) => boolean): number {
    let n = 0;
    for (const p of this.pods.values()) if (f(p)) n++;
    return n;
  }

  /** pods Ready and not being deleted */
  ready(): number {
    return this.count(isReady);
  }

  /** start counting the fewest ready pods from now */
  reset(): void {
    this.minReady = this.ready();
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
    const sel = this.labelSelector ? `&labelSelector=${encodeURIComponent(this.labelSelector)}` : '';
    const res = await request(`${this.s.url}/api/v1/namespaces/${this.ns}/pods?watch=1${rv}${sel}`, {
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
        this.minReady = Math.min(this.minReady, this.ready());
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
