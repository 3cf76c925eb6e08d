// For the rollout and scale CLI tests: a `skiff server` with the CLI and kubectl 1.32 pointed at it,
// a REST client for writing what controllers would write, and the workload objects themselves.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { RestClient } from '@skiff/client/rest';
import { defaultDistribution } from './distribution-file.ts';
import { kubectlFor, type Kubectl } from './kubectl-client.ts';
import { runSkiff, skiffBin, startSkiff, type CliRun, type SkiffProcess } from './skiff-process.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const repo = resolve(fileURLToPath(new URL('..', import.meta.url)));

export interface Cluster {
  skiff(args: string[], input?: string): Promise<CliRun>;
  kubectl: Kubectl;
  rest: RestClient;
  server: SkiffProcess;
  /** hollow nodes (`skiff sim`), for tests whose pods must become Ready */
  startSim(nodes: number): void;
  stop(): Promise<void>;
}

/** A server with the default distribution, less the controllers in `without`. */
export async function startCluster(opts: { without?: string[] } = {}): Promise<Cluster> {
  const home = mkdtempSync(join(tmpdir(), 'skiff-rollout-'));
  const without = opts.without ?? [];
  const server = await startSkiff(home, without.length ? ['--distribution', defaultDistribution(home, { without })] : []);
  const rest = new RestClient({ server: server.url, caCertPem: server.ca, token: server.token, insecureSkipTLSVerify: false });
  let sim: ChildProcess | undefined;
  return {
    server,
    rest,
    kubectl: kubectlFor(server.kubeconfig, home),
    skiff: (args, input) => runSkiff(args, { input, env: { ...process.env, KUBECONFIG: server.kubeconfig } }),
    startSim(nodes) {
      sim = spawn(process.execPath, [skiffBin(), 'sim', '--home', home, '--nodes', String(nodes), '--log-level', 'warn', '--report-interval', '0'], { stdio: ['ignore', 'inherit', 'inherit'] });
    },
    async stop() {
      if (sim && sim.exitCode === null) {
        sim.kill('SIGTERM');
        await new Promise((r) => sim!.once('exit', r));
      }
      await rest.close();
      await server.kill('SIGTERM');
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export const REVISION = 'deployment.kubernetes.io/revision';
export const CAUSE = 'kubernetes.io/change-cause';

export function template(app: string, image: string, extraLabels: Record<string, string> = {}): Obj {
  return { metadata: { labels: { app, ...extraLabels } }, spec: { containers: [{ name: app, image }] } };
}

export function deployment(ns: string, name: string, image: string, o: { replicas?: number; annotations?: Record<string, string> } = {}): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, annotations: o.annotations ?? {} },
    spec: { replicas: o.replicas ?? 3, selector: { matchLabels: { app: name } }, template: template(name, image) },
  };
}

const controllerRef = (owner: Obj) => [{ apiVersion: 'apps/v1', kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true }];

/** A ReplicaSet as the Deployment controller makes one: <name>-<hash>, hash label, revision annotation. */
export function replicaSet(d: Obj, hash: string, revision: number, image: string, replicas: number, cause?: string): Obj {
  const name = d.metadata.name;
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${name}-${hash}`,
      namespace: d.metadata.namespace,
      labels: { app: name, 'pod-template-hash': hash },
      annotations: { [REVISION]: String(revision), 'deployment.kubernetes.io/desired-replicas': String(d.spec.replicas), ...(cause ? { [CAUSE]: cause } : {}) },
      ownerReferences: controllerRef(d),
    },
    spec: { replicas, selector: { matchLabels: { app: name, 'pod-template-hash': hash } }, template: template(name, image, { 'pod-template-hash': hash }) },
  };
}

export function daemonSet(ns: string, name: string, image: string): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: ns },
    spec: { selector: { matchLabels: { app: name } }, template: template(name, image) },
  };
}

export function statefulSet(ns: string, name: string, image: string, replicas: number): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: ns },
    spec: { replicas, serviceName: name, selector: { matchLabels: { app: name } }, template: template(name, image) },
  };
}

/** A ControllerRevision as the DaemonSet and StatefulSet controllers store one: data replaces spec.template. */
export function controllerRevision(owner: Obj, revision: number, image: string, cause?: string): Obj {
  const name = owner.metadata.name;
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: { name: `${name}-r${revision}`, namespace: owner.metadata.namespace, labels: { app: name }, annotations: cause ? { [CAUSE]: cause } : {}, ownerReferences: controllerRef(owner) },
    revision,
    data: { spec: { template: { ...template(name, image), $patch: 'replace' } } },
  };
}

export const apps = (ns: string, plural: string, name = '') => `/apis/apps/v1/namespaces/${ns}/${plural}${name ? `/${name}` : ''}`;

/** Writes the status a controller would (the status subresource), keeping the object's generation observed. */
export async function writeStatus(rest: RestClient, path: string, status: Obj): Promise<Obj> {
  const cur = await rest.get(path);
  return rest.request('PUT', `${path}/status`, { body: { ...cur, status: { observedGeneration: cur.metadata.generation, ...status } } });
}

/** Polls until `f` returns something truthy. */
export async function eventually<T>(f: () => Promise<T | undefined | false | null>, what: string, ms = 30_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `skiff <args>` as a child process that keeps running (rollout status -w): its output so far, and its end. */
export function spawnSkiff(c: Cluster, args: string[]): { out: () => string; err: () => string; done: Promise<number | null>; kill: () => void } {
  const p = spawn(process.execPath, [skiffBin(), ...args], { env: { ...process.env, KUBECONFIG: c.server.kubeconfig } });
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (err += d));
  const done = new Promise<number | null>((r) => p.once('close', (code) => r(code)));
  return { out: () => out, err: () => err, done, kill: () => p.kill('SIGKILL') };
}
