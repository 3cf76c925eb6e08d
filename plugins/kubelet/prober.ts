// Liveness, readiness and startup probes, as kubelet runs them: one worker per probe of a running
// container, after `initialDelaySeconds`, every `periodSeconds`, each attempt cut off after
// `timeoutSeconds`; `failureThreshold` failures (or `successThreshold` successes) in a row flip the
// result. Until a startup probe succeeds the other two wait. Kinds: exec (through the CRI), httpGet
// (2xx/3xx is success; https without certificate checks, as kubelet), tcpSocket.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { CriRuntime } from '@skiff/node-api';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

interface ProbeSpec {
  exec?: { command?: string[] };
  httpGet?: { path?: string; port: number | string; host?: string; scheme?: string; httpHeaders?: { name: string; value: string }[] };
  tcpSocket?: { port: number | string; host?: string };
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

interface ContainerSpec {
  name: string;
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: ProbeSpec;
  readinessProbe?: ProbeSpec;
  startupProbe?: ProbeSpec;
}

export interface ProbeTarget {
  podUid: string;
  container: ContainerSpec;
  containerId: string;
  podIP: string;
}

interface Worker {
  kind: ProbeKind;
  target: ProbeTarget;
  timer?: NodeJS.Timeout;
  result: boolean;
  successes: number;
  failures: number;
  message: string;
  stopped: boolean;
}

export interface ProbeEvents {
  /** a result changed (readiness, startup) — the pod's status is to be written again */
  changed(podUid: string): void;
  /** the liveness (or startup) probe failed for good: the container is to be killed and restarted */
  failed(podUid: string, containerName: string, containerId: string, kind: ProbeKind, message: string): void;
  /** one attempt of a probe failed (kubelet's Warning Unhealthy event, every time) */
  unhealthy?(podUid: string, kind: ProbeKind, message: string): void;
}

export class Prober {
  /** by container id, then kind */
  private readonly workers = new Map<string, Map<ProbeKind, Worker>>();

  constructor(
    private readonly cri: CriRuntime,
    private readonly events: ProbeEvents,
  ) {}

  /** Start the probes of a running container (once per container id). */
  ensure(t: ProbeTarget): void {
    if (this.workers.has(t.containerId)) return;
    const m = new Map<ProbeKind, Worker>();
    this.workers.set(t.containerId, m);
    const specs: [ProbeKind, ProbeSpec | undefined][] = [
      ['startup', t.container.startupProbe],
      ['liveness', t.container.livenessProbe],
      ['readiness', t.container.readinessProbe],
    ];
    for (const [kind, spec] of specs) {
      if (!spec) continue;
      // readiness starts as failing; liveness and startup as passing / not yet
      const w: Worker = { kind, target: t, result: kind === 'liveness', successes: 0, failures: 0, message: '', stopped: false };
      m.set(kind, w);
      w.timer = setTimeout(() => void this.run(w, spec), (spec.initialDelaySeconds ?? 0) * 1000);
    }
  }

  /** Stop the probes of containers not in `running`. */
  retain(running: Set<string>): void {
    for (const [id, m] of this.workers) {
      if (running.has(id)) continue;
      for (const w of m.values()) this.stopWorker(w);
      this.workers.delete(id);
    }
  }

  /** Ready per the readiness probe (true when it has none); false until the startup probe passed. */
  ready(containerId: string): boolean {
    const m = this.workers.get(containerId);
    if (!m) return false;
    if (!this.started(containerId)) return false;
    return m.get('readiness')?.result ?? true;
  }

  /** Started per the startup probe (true when it has none). */
  started(containerId: string): boolean {
    return this.workers.get(containerId)?.get('startup')?.result ?? true;
  }

  stop(): void {
    this.retain(new Set());
  }

  private stopWorker(w: Worker): void {
    w.stopped = true;
    if (w.timer) clearTimeout(w.timer);
  }

  private async run(w: Worker, spec: ProbeSpec): Promise<void> {
    if (w.stopped) return;
    const m = this.workers.get(w.target.containerId);
    const waitsForStartup = w.kind !== 'startup' && m?.get('startup') && !m.get('startup')!.result;
    if (!waitsForStartup && !(w.kind === 'startup' && w.result)) {
      const [ok, message] = await this.probe(w.target, spec).catch((e) => [false, String(e)] as [boolean, string]);
      if (w.stopped) return;
      if (ok) {
        w.failures = 0;
        w.successes++;
      } else {
        w.successes = 0;
        w.failures++;
        w.message = message;
        this.events.unhealthy?.(w.target.podUid, w.kind, message);
      }
      const before = w.result;
      if (ok && w.successes >= (w.kind === 'readiness' ? (spec.successThreshold ?? 1) : 1)) w.result = true;
      if (!ok && w.failures >= (spec.failureThreshold ?? 3)) {
        w.result = false;
        if (w.kind === 'liveness' || w.kind === 'startup') {
          this.stopWorker(w);
          this.events.failed(w.target.podUid, w.target.container.name, w.target.containerId, w.kind, message);
          return;
        }
      }
      if (before !== w.result) this.events.changed(w.target.podUid);
    }
    w.timer = setTimeout(() => void this.run(w, spec), (spec.periodSeconds ?? 10) * 1000);
  }

  /** One attempt: [success, why not]. */
  private async probe(t: ProbeTarget, spec: ProbeSpec): Promise<[boolean, string]> {
    const timeoutMs = (spec.timeoutSeconds ?? 1) * 1000;
    if (spec.exec) {
      const cmd = spec.exec.command ?? [];
      const r = await this.cri.execSync(t.containerId, cmd, spec.timeoutSeconds ?? 1);
      const out = Buffer.from(r.stdout ?? []).toString() + Buffer.from(r.stderr ?? []).toString();
      // kube's exec prober: the output is the failure's message ("Liveness probe failed: <output>")
      return r.exitCode === 0 ? [true, ''] : [false, out];
    }
    if (spec.httpGet) {
      const g = spec.httpGet;
      const port = portOf(t.container, g.port);
      const https = (g.scheme ?? 'HTTP').toUpperCase() === 'HTTPS';
      const host = g.host || t.podIP;
      const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32', Accept: '*/*' };
      for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
      return new Promise((resolve) => {
        const req = (https ? httpsRequest : httpRequest)(
          { host, port, path: g.path || '/', method: 'GET', headers, timeout: timeoutMs, ...(https ? { rejectUnauthorized: false } : {}) },
          (res) => {
            res.resume();
            const code = res.statusCode ?? 0;
            resolve(code >= 200 && code < 400 ? [true, ''] : [false, `HTTP probe failed with statuscode: ${code}`]);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`Get "${https ? 'https' : 'http'}://${host}:${port}${g.path || '/'}": context deadline exceeded`)));
        req.on('error', (e) => resolve([false, e.message]));
        req.end();
      });
    }
    if (spec.tcpSocket) {
      const port = portOf(t.container, spec.tcpSocket.port);
      const host = spec.tcpSocket.host || t.podIP;
      return new Promise((resolve) => {
        const s = connect({ host, port, timeout: timeoutMs });
        s.once('connect', () => {
          s.destroy();
          resolve([true, '']);
        });
        s.once('timeout', () => {
          s.destroy();
          resolve([false, `dial tcp ${host}:${port}: i/o timeout`]);
        });
        s.once('error', (e) => resolve([false, `dial tcp ${host}:${port}: ${e.message}`]));
      });
    }
    return [true, '']; // grpc and unknown kinds: not probed (counts as success)
  }
}

/** A probe's port: a number, or the name of one of the container's ports. */
function portOf(c: ContainerSpec, port: number | string): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const p = c.ports?.find((x) => x.name === port);
  if (!p) throw new Error(`port "${port}" is not one of the container's named ports`);
  return p.containerPort;
}
