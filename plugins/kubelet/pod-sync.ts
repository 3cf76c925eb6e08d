// One pass of kubelet's SyncPod for one pod, against what the runtime holds: make sure the pod has
// a ready sandbox (a new one, with the old one's containers killed, if it died), run the init
// containers one after another, then start every app container that is not running and should
// be (restartPolicy, with crash-loop back-off), restart containers whose liveness probe failed or
// whose spec changed, and clean up dead containers beyond the last one of each name (kept for
// `logs --previous`). Returns why containers wait, and when to come back.
import type { CriRuntime, Input, PodSandboxConfig } from '@skiff/plugin-cri-containerd';
import type { KObject } from '@skiff/kernel';
import { CrashLoopBackoff } from './backoff.ts';
import { ImageError, ImageManager } from './images.ts';
import type { PodConfigurer } from './pod-configurer.ts';
import type { Waiting } from './pod-status.ts';
import type { RuntimeContainer, RuntimePod } from './runtime-pods.ts';

interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: string;
}

export interface SyncResult {
  waiting: Map<string, Waiting>;
  /** come back after this many ms (a back-off ends), if set */
  retryInMs?: number;
  /** the sandbox in use and its IP */
  sandboxId?: string;
  podIP?: string;
  /** something was created, started or killed: the runtime's state is to be read again */
  changed: boolean;
}

export interface SyncDeps {
  cri: CriRuntime;
  images: ImageManager;
  backoff: CrashLoopBackoff;
  config: PodConfigurer;
  /** Warning events about the pod */
  warn(pod: KObject, reason: string, message: string): void;
  /** containers whose liveness/startup probe failed: killed and restarted by the next sync */
  unhealthy: Map<string, string>;
}

const TERMINATED = 'CONTAINER_EXITED';
const msOf = (nanos: number) => Math.floor(nanos / 1e6);

export function specContainers(pod: KObject): { inits: Container[]; apps: Container[]; restartPolicy: string } {
  const spec = (pod.spec ?? {}) as { containers?: Container[]; initContainers?: Container[]; restartPolicy?: string };
  return { inits: spec.initContainers ?? [], apps: spec.containers ?? [], restartPolicy: spec.restartPolicy ?? 'Always' };
}

/** Whether every container is done for good (the pod is Succeeded or Failed and nothing restarts). */
export function podIsDone(pod: KObject, rp: RuntimePod | undefined): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (phase !== 'Succeeded' && phase !== 'Failed') return false;
  return !(rp?.containers ?? []).some((c) => c.status.state === 'CONTAINER_RUNNING' || c.status.state === 'CONTAINER_CREATED');
}

export async function syncPod(pod: KObject, rp: RuntimePod | undefined, d: SyncDeps): Promise<SyncResult> {
  const uid = pod.metadata.uid!;
  const { inits, apps, restartPolicy } = specContainers(pod);
  const out: SyncResult = { waiting: new Map(), changed: false };
  const latest = (name: string, kind: string): RuntimeContainer | undefined => rp?.containers.find((c) => c.name === name && c.kind === kind);
  const soon = (ms: number) => (out.retryInMs = out.retryInMs === undefined ? ms : Math.min(out.retryInMs, ms));

  // --- the sandbox ----------------------------------------------------------------------------
  let sandbox = rp?.sandboxes[0];
  let sandboxConfig: Input<PodSandboxConfig>;
  if (!sandbox || sandbox.state !== 'SANDBOX_READY') {
    const everRan = (rp?.containers.length ?? 0) > 0;
    if (everRan && restartPolicy !== 'Always' && allDone(apps, rp!, restartPolicy)) return out; // finished: no new sandbox
    if (rp) {
      // the old sandbox died: its containers go with it (kubelet kills the whole pod)
      await Promise.all(rp.containers.filter((c) => c.status.state !== TERMINATED).map((c) => d.cri.stopContainer(c.id, 0).catch(() => {})));
    }
    const attempt = sandbox ? (sandbox.metadata?.attempt ?? 0) + 1 : 0;
    sandboxConfig = await d.config.sandbox(pod, attempt);
    try {
      const id = await d.cri.runPodSandbox(sandboxConfig);
      out.changed = true;
      sandbox = { id, metadata: sandboxConfig.metadata as never, state: 'SANDBOX_READY', createdAt: Date.now() * 1e6, labels: {}, annotations: {}, runtimeHandler: '' };
    } catch (e) {
      const message = `Failed to create pod sandbox: ${e instanceof Error ? e.message : String(e)}`;
      d.warn(pod, 'FailedCreatePodSandBox', message);
      for (const c of [...inits, ...apps]) out.waiting.set(c.name, { reason: 'ContainerCreating', message });
      soon(5_000);
      return out;
    }
  } else {
    sandboxConfig = await d.config.sandbox(pod, sandbox.metadata?.attempt ?? 0);
  }
  out.sandboxId = sandbox.id;
  out.podIP = await d.config.podIP(sandbox.id);
  const sandboxId = sandbox.id;
  const fresh = (c: RuntimeContainer | undefined) => (c && c.sandboxId === sandboxId ? c : undefined);

  const start = async (c: Container, kind: 'init' | 'app', prev: RuntimeContainer | undefined): Promise<void> => {
    const attempt = prev ? prev.attempt + 1 : 0;
    let image: string;
    try {
      image = await d.images.ensure(c.image ?? '', c.imagePullPolicy, sandboxConfig, (m) => d.warn(pod, 'Failed', m));
    } catch (e) {
      const reason = e instanceof ImageError ? e.reason : 'ErrImagePull';
      out.waiting.set(c.name, { reason, message: e instanceof Error ? e.message : String(e) });
      if (reason !== 'ErrImageNeverPull') soon(10_000);
      return;
    }
    let config;
    try {
      config = await d.config.container(pod, c.name, kind, { attempt, image, podIP: out.podIP ?? '' });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      out.waiting.set(c.name, { reason: 'CreateContainerConfigError', message });
      d.warn(pod, 'Failed', `Error: ${message}`);
      soon(5_000);
      return;
    }
    let id: string;
    try {
      id = await d.cri.createContainer(sandboxId, config, sandboxConfig);
      out.changed = true;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      out.waiting.set(c.name, { reason: 'CreateContainerError', message });
      d.warn(pod, 'Failed', `Error: ${message}`);
      soon(5_000);
      return;
    }
    try {
      await d.cri.startContainer(id);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      out.waiting.set(c.name, { reason: 'RunContainerError', message });
      d.warn(pod, 'Failed', `Error: ${message}`);
      soon(5_000);
    }
  };

  /** exited: start again now, or wait (CrashLoopBackOff) */
  const restartAfterBackoff = async (c: Container, kind: 'init' | 'app', prev: RuntimeContainer): Promise<void> => {
    const key = `${uid}/${c.name}`;
    const wait = d.backoff.wait(key, msOf(prev.status.startedAt), msOf(prev.status.finishedAt) || Date.now());
    if (wait > 0) {
      const secs = Math.round(d.backoff.delayMs(key) / 1000);
      out.waiting.set(c.name, {
        reason: 'CrashLoopBackOff',
        message: `back-off ${secs}s restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${uid})`,
      });
      soon(wait + 50);
      return;
    }
    await start(c, kind, prev);
  };

  // --- init containers, one after another -----------------------------------------------------
  for (const c of inits) {
    const cur = fresh(latest(c.name, 'init'));
    const prev = latest(c.name, 'init');
    if (cur?.status.state === TERMINATED && cur.status.exitCode === 0) continue;
    if (cur?.status.state === 'CONTAINER_RUNNING') return out;
    if (cur?.status.state === TERMINATED) {
      if (restartPolicy === 'Never') return out; // the pod failed
      await restartAfterBackoff(c, 'init', cur);
      return out;
    }
    await start(c, 'init', prev);
    return out;
  }

  // --- app containers -------------------------------------------------------------------------
  for (const c of apps) {
    const prev = latest(c.name, 'app');
    const cur = fresh(prev);
    if (cur?.status.state === 'CONTAINER_RUNNING') {
      const why = d.unhealthy.get(cur.id) ?? (cur.hash && cur.hash !== d.config.hash(pod, c.name) ? 'its spec changed' : undefined);
      if (!why) continue;
      d.unhealthy.delete(cur.id);
      d.warn(pod, 'Killing', `Container ${c.name} ${why}, will be restarted`);
      await d.cri.stopContainer(cur.id, d.config.gracePeriod(pod)).catch(() => {});
      out.changed = true;
      soon(0);
      continue;
    }
    if (cur?.status.state === 'CONTAINER_CREATED') {
      await d.cri.startContainer(cur.id).catch((e) => out.waiting.set(c.name, { reason: 'RunContainerError', message: String(e) }));
      out.changed = true;
      continue;
    }
    if (cur?.status.state === TERMINATED) {
      if (!shouldRestart(restartPolicy, cur.status.exitCode)) continue;
      await restartAfterBackoff(c, 'app', cur);
      continue;
    }
    if (prev && !cur && prev.status.state === TERMINATED && !shouldRestart(restartPolicy, prev.status.exitCode)) continue; // done before the sandbox changed
    await start(c, 'app', prev);
  }

  await removeDeadContainers(rp, d.cri);
  return out;
}

const shouldRestart = (policy: string, exitCode: number) => policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);

function allDone(apps: Container[], rp: RuntimePod, policy: string): boolean {
  return apps.every((c) => {
    const last = rp.containers.find((x) => x.name === c.name && x.kind === 'app');
    return last && last.status.state === TERMINATED && !shouldRestart(policy, last.status.exitCode);
  });
}

/** Dead containers beyond the latest two of each name, and dead sandboxes without containers, go. */
async function removeDeadContainers(rp: RuntimePod | undefined, cri: CriRuntime): Promise<void> {
  if (!rp) return;
  const seen = new Map<string, number>();
  const removals: Promise<unknown>[] = [];
  for (const c of rp.containers) {
    const k = `${c.kind}/${c.name}`;
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    if (n > 2 && c.status.state === TERMINATED) removals.push(cri.removeContainer(c.id).catch(() => {}));
  }
  const used = new Set(rp.containers.map((c) => c.sandboxId));
  for (const s of rp.sandboxes.slice(1)) if (!used.has(s.id)) removals.push(cri.stopPodSandbox(s.id).then(() => cri.removePodSandbox(s.id)).catch(() => {}));
  await Promise.all(removals);
}
