// Following pods as a user's tools would: a REST watch of a namespace's pods (with the fewest
// healthy ones seen, for "never more than one missing" assertions), and kubectl run without
// blocking the test process (so the watch keeps reading while kubectl drains).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { isHealthy } from './drain-cluster.ts';
import type { SkiffProcess } from './skiff-process.ts';

export interface WatchedPod {
  metadata: { name: string; deletionTimestamp?: string };
  spec?: { nodeName?: string };
  status?: { conditions?: { type: string; status: string }[] };
}

/** The pods a label selector picks in a namespace, as a REST watch sees them, and the fewest healthy ones seen since `reset`. */
export class PodWatch {
  readonly pods = new Map<string, WatchedPod>();
  minHealthy = Infinity;
  private readonly ac = new AbortController();
  private readonly agent: Agent;
  readonly done: Promise<void>;

  constructor(
    s: SkiffProcess,
    private readonly namespace: string,
    private readonly labelSelector: string,
  ) {
    this.agent = new Agent({ connect: { ca: s.ca } });
    this.done = this.run(s);
  }

  healthy(): number {
    return [...this.pods.values()].filter(isHealthy).length;
  }

  reset(): void {
    this.minHealthy = this.healthy();
  }

  private async run(s: SkiffProcess): Promise<void> {
    const res = await request(`${s.url}/api/v1/namespaces/${this.namespace}/pods?watch=1&labelSelector=${encodeURIComponent(this.labelSelector)}`, {
      dispatcher: this.agent,
      headers: { authorization: `Bearer ${s.token}` },
      signal: this.ac.signal,
      bodyTimeout: 0,
    });
    let buf = '';
    try {
      for await (const chunk of res.body) {
        buf += chunk.toString();
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const ev = JSON.parse(buf.slice(0, nl)) as { type: string; object: WatchedPod };
          buf = buf.slice(nl + 1);
          if (ev.type === 'DELETED') this.pods.delete(ev.object.metadata.name);
          else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.pods.set(ev.object.metadata.name, ev.object);
          this.minHealthy = Math.min(this.minHealthy, this.healthy());
        }
      }
    } catch (e) {
      if (!this.ac.signal.aborted) throw e;
    }
  }

  async stop(): Promise<void> {
    this.ac.abort();
    await this.done.catch(() => {});
    await this.agent.destroy().catch(() => {});
  }
}

/** kubectl, without blocking this process (the watch keeps reading meanwhile). */
export function kubectlAsync(kubeconfig: string, home: string, ...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn('/usr/bin/kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(home, 'kubectl-cache'), ...args]);
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.once('close', (code) => resolve({ code, out, err }));
  });
}

