// Test helpers: Deployment objects, reads of what the controller made, and a stand-in for the
// ReplicaSet controller that only writes RS status (pods "exist" as soon as it syncs an RS and
// become available after a delay, or never), so rollouts can be driven and observed step by step.
import type { Kernel } from '@skiff/kernel';
import { rfc3339, DEPLOYMENTS, EVENTS, PODS, REPLICA_SETS, isConflict, isNotFound, type Deployment, type DeploymentSpec, type Pod, type ReplicaSet } from '@skiff/api';
import { startControllers, eventually, sleep, type ControllerTestEnv } from '../../client/testing.ts';
import controller from './plugin.ts';

export { eventually, sleep };
export const NS = 'default';

export function deployment(name: string, spec: Partial<DeploymentSpec> & { image?: string } = {}, annotations?: Record<string, string>): Deployment {
  const { image = 'nginx:1', ...rest } = spec;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, ...(annotations ? { annotations } : {}) },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
      ...rest,
    },
  };
}

export async function startDeploymentController(config: Record<string, unknown> = {}): Promise<ControllerTestEnv> {
  const env = await startControllers([{ descriptor: controller, config }]);
  await env.t.kernel.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } }).catch(() => undefined);
  return env;
}

export const getDeployment = async (k: Kernel, name: string) => (await k.get(DEPLOYMENTS, NS, name)) as Deployment;

/** The RSs the deployment controls, oldest revision first. */
export async function replicaSetsOf(k: Kernel, name: string): Promise<ReplicaSet[]> {
  const d = await getDeployment(k, name);
  const { items } = await k.list(REPLICA_SETS, { namespace: NS });
  return (items as ReplicaSet[])
    .filter((rs) => rs.metadata.ownerReferences?.some((r) => r.controller && r.uid === d.metadata.uid))
    .sort((a, b) => Number(a.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0) - Number(b.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0));
}

/** Sizes by revision: { 1: 3, 2: 1 } */
export async function sizes(k: Kernel, name: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const rs of await replicaSetsOf(k, name)) out[rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '?'] = rs.spec?.replicas ?? 0;
  return out;
}

/** Change the template (a new image): a rollout. */
export async function setImage(k: Kernel, name: string, image: string): Promise<Deployment> {
  return (await k.patch(DEPLOYMENTS, NS, name, 'json', [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: image }])) as Deployment;
}

export async function scaleDeployment(k: Kernel, name: string, replicas: number): Promise<Deployment> {
  return (await k.patch(DEPLOYMENTS, NS, name, 'merge', { spec: { replicas } })) as Deployment;
}

/** Write an RS's status as its controller would (observedGeneration = generation). */
export async function setRSStatus(k: Kernel, name: string, s: { replicas?: number; available?: number; ready?: number }): Promise<ReplicaSet> {
  for (;;) {
    const rs = (await k.get(REPLICA_SETS, NS, name)) as ReplicaSet;
    const replicas = s.replicas ?? rs.spec?.replicas ?? 0;
    const available = s.available ?? replicas;
    const status = { replicas, fullyLabeledReplicas: replicas, readyReplicas: s.ready ?? available, availableReplicas: available, observedGeneration: rs.metadata.generation };
    try {
      return (await k.update(REPLICA_SETS, { ...rs, status }, { subresource: 'status' })) as ReplicaSet;
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
  }
}

/** Events about an object, oldest first (the "combined from similar events" prefix dropped). */
export async function eventsOf(k: Kernel, name: string, reason?: string): Promise<{ message: string; count: number }[]> {
  const { items } = await k.list(EVENTS, { namespace: NS });
  type Ev = { metadata: { name?: string }; involvedObject?: { name?: string }; reason?: string; message: string; count?: number };
  return (items as unknown as Ev[])
    .filter((e) => e.involvedObject?.name === name && (!reason || e.reason === reason))
    // named <object>.<creation time in ms, hex><random>: by name is by creation
    .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1))
    .map((e) => ({ message: e.message.replace(/^\(combined from similar events\): /, ''), count: e.count ?? 1 }));
}

export async function eventMessages(k: Kernel, name: string, reason?: string): Promise<string[]> {
  return (await eventsOf(k, name, reason)).map((e) => e.message);
}

export interface FakeRSController {
  /** images whose pods never become available */
  stuckImages: Set<string>;
  /** each deployment's state after each status write: Σ pods (status.replicas), Σ available */
  samples: { deployment: string; pods: number; available: number }[];
  /** the samples of one deployment (its RSs are named <deployment>-<hash>) */
  of(deployment: string): { pods: number; available: number }[];
  stop(): void;
}

/**
 * Plays the ReplicaSet controller for status: on every RS change it sets status.replicas to
 * spec.replicas at once (pods created or deleted), drops availability with the size, and raises it
 * to the size `readyAfterMs` later (unless its image is stuck). One RS is synced at a time, in the
 * order of the changes.
 */
export function fakeReplicaSetController(k: Kernel, opts: { readyAfterMs?: number; prefix?: string } = {}): FakeRSController {
  const readyAfter = opts.readyAfterMs ?? 20;
  const available = new Map<string, number>();
  const statuses = new Map<string, { pods: number; available: number }>();
  const stuckImages = new Set<string>();
  const samples: { deployment: string; pods: number; available: number }[] = [];
  const owner = (rsName: string) => rsName.slice(0, rsName.lastIndexOf('-'));
  const queue: string[] = [];
  let running = false;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();

  const sample = (rsName: string) => {
    const deployment = owner(rsName);
    let pods = 0;
    let avail = 0;
    for (const [name, s] of statuses) {
      if (owner(name) !== deployment) continue;
      pods += s.pods;
      avail += s.available;
    }
    samples.push({ deployment, pods, available: avail });
  };

  const sync = async (name: string) => {
    let rs: ReplicaSet;
    try {
      rs = (await k.get(REPLICA_SETS, NS, name)) as ReplicaSet;
    } catch (e) {
      if (isNotFound(e)) {
        statuses.delete(name);
        return;
      }
      throw e;
    }
    const size = rs.spec?.replicas ?? 0;
    let avail = Math.min(available.get(name) ?? 0, size);
    available.set(name, avail);
    const image = rs.spec?.template?.spec?.containers?.[0]?.image ?? '';
    if (avail < size && !stuckImages.has(image)) {
      const t = setTimeout(() => {
        timers.delete(t);
        available.set(name, size);
        enqueue(name);
      }, readyAfter);
      timers.add(t);
    }
    const s = rs.status;
    if (s?.replicas === size && s.availableReplicas === avail && s.observedGeneration === rs.metadata.generation) return;
    try {
      await k.update(REPLICA_SETS, { ...rs, status: { replicas: size, fullyLabeledReplicas: size, readyReplicas: avail, availableReplicas: avail, observedGeneration: rs.metadata.generation } }, { subresource: 'status' });
      statuses.set(name, { pods: size, available: avail });
      sample(name);
    } catch (e) {
      if (isConflict(e)) enqueue(name);
      else if (!isNotFound(e)) throw e;
    }
  };

  const run = async () => {
    if (running) return;
    running = true;
    while (queue.length && !stopped) {
      const name = queue.shift()!;
      await sync(name).catch(() => undefined);
    }
    running = false;
  };
  const enqueue = (name: string) => {
    if (stopped) return;
    if (!queue.includes(name)) queue.push(name);
    void run();
  };

  const w = k.watch(REPLICA_SETS, { namespace: NS });
  void (async () => {
    for await (const ev of w) {
      const name = ev.object.metadata.name!;
      if (opts.prefix && !name.startsWith(opts.prefix)) continue;
      if (ev.type === 'ADDED' || ev.type === 'MODIFIED') enqueue(name);
      if (ev.type === 'DELETED') statuses.delete(name);
    }
  })().catch(() => undefined);

  return {
    stuckImages,
    samples,
    of: (deployment) => samples.filter((s) => s.deployment === deployment),
    stop() {
      stopped = true;
      w.stop();
      for (const t of timers) clearTimeout(t);
    },
  };
}

/** Marks every new pod of the namespace Running and Ready `delayMs` after it shows up. */
export function tinyKubelet(k: Kernel, delayMs: number): { stop(): void } {
  const w = k.watch(PODS, { namespace: NS });
  const timers = new Set<NodeJS.Timeout>();
  const ready = async (name: string) => {
    for (let i = 0; i < 5; i++) {
      try {
        const pod = (await k.get(PODS, NS, name)) as Pod;
        if (pod.metadata.deletionTimestamp) return;
        const now = rfc3339();
        await k.update(PODS, { ...pod, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } }, { subresource: 'status' });
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isConflict(e)) throw e;
      }
    }
  };
  void (async () => {
    for await (const ev of w) {
      if (ev.type !== 'ADDED') continue;
      const t = setTimeout(() => {
        timers.delete(t);
        void ready(ev.object.metadata.name!).catch(() => undefined);
      }, delayMs);
      timers.add(t);
    }
  })().catch(() => undefined);
  return {
    stop() {
      w.stop();
      for (const t of timers) clearTimeout(t);
    },
  };
}
