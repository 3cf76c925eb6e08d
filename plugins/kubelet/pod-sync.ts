// One pass of kubelet's SyncPod for one pod, against what the runtime holds: make sure the pod has
// a ready sandbox (its volumes set up first; a new sandbox, with the old one's containers killed,
// if it died), run the init containers one after another, then start every app container that is
// not running and should be (restartPolicy, with crash-loop back-off), restart containers whose
// liveness probe failed or whose spec changed, and clean up dead containers beyond the last one of
// each name (kept for `logs --previous`). Returns why containers wait, and when to come back.
// Every step a user should hear of is an Event with kube's reason and message (events.ts).
import type { CriRuntime, Input, PodSandboxConfig } from '@skiff/node-api';
import type { KObject } from '@skiff/kernel';
import { CrashLoopBackoff } from './backoff.ts';
import { errorMessage, errorString, formatPod, goDuration, Reason, type EventType, type PodEventSink } from './events.ts';
import { ImageError, ImageManager } from './images.ts';
import { SandboxConfigError, VolumesNotReady, type PodConfigurer } from './pod-configurer.ts';
import type { EventRecorder } from './pod-config/types.ts';
import type { Waiting } from './pod-status.ts';
import type { RuntimeChange, RuntimeContainer, RuntimePod } from './runtime-pods.ts';

interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  /** ephemeral containers: whose process namespace to share */
  targetContainerName?: string;
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
  /** what exactly (RuntimePods.refresh reads back only that) */
  change: RuntimeChange;
}

export interface SyncDeps {
  cri: CriRuntime;
  images: ImageManager;
  backoff: CrashLoopBackoff;
  config: PodConfigurer;
  /** Events about the pod */
  event: PodEventSink;
  /** containers whose liveness/startup probe failed: killed and restarted by the next sync */
  unhealthy: Map<string, string>;
}

const TERMINATED = 'CONTAINER_EXITED';
const msOf = (nanos: number) => Math.floor(nanos / 1e6);

export function specContainers(pod: KObject): { inits: Container[]; apps: Container[]; ephemerals: Container[]; restartPolicy: string } {
  const spec = (pod.spec ?? {}) as { containers?: Container[]; initContainers?: Container[]; ephemeralContainers?: Container[]; restartPolicy?: string };
  return { inits: spec.initContainers ?? [], apps: spec.containers ?? [], ephemerals: spec.ephemeralContainers ?? [], restartPolicy: spec.restartPolicy ?? 'Always' };
}

/** Whether every container is done for good (the pod is Succeeded or Failed and nothing restarts). */
export function podIsDone(pod: KObject, rp: RuntimePod | undefined): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (phase !== 'Succeeded' && phase !== 'Failed') return false;
  return !(rp?.containers ?? []).some((c) => c.status.state === 'CONTAINER_RUNNING' || c.status.state === 'CONTAINER_CREATED');
}

export async function syncPod(pod: KObject, rp: RuntimePod | undefined, d: SyncDeps): Promise<SyncResult> {
  const uid = pod.metadata.uid!;
  const { inits, apps, ephemerals, restartPolicy } = specContainers(pod);
  const out: SyncResult = { waiting: new Map(), changed: false, change: { touched: [], removed: [], removedSandboxes: [] } };
  const touched = (id: string, sandboxId: string) => {
    out.changed = true;
    out.change.touched.push({ id, sandboxId });
  };
  const latest = (name: string, kind: string): RuntimeContainer | undefined => rp?.containers.find((c) => c.name === name && c.kind === kind);
  const soon = (ms: number) => (out.retryInMs = out.retryInMs === undefined ? ms : Math.min(out.retryInMs, ms));
  const record = (type: EventType, reason: string, message: string) => d.event(pod, type, reason, message);
  const recorder: EventRecorder = (e) => record(e.type, e.reason, e.message);
  /** no sandbox: every container waits, as kubelet's default waiting state says (PodInitializing with init containers), with why */
  const waitAll = (message: string) => {
    for (const c of [...inits, ...apps]) out.waiting.set(c.name, { reason: inits.length ? 'PodInitializing' : 'ContainerCreating', message });
  };
  /** the pod cannot go on: every container waits, saying why */
  const blocked = (e: unknown): SyncResult => {
    let message: string;
    if (e instanceof VolumesNotReady) message = e.message; // FailedMount events came from the volumes
    else if (e instanceof SandboxConfigError) {
      message = `Failed to create pod sandbox: ${e.message}`;
      record('Warning', Reason.FailedCreatePodSandBox, message);
    } else throw e;
    waitAll(message);
    soon(5_000);
    return out;
  };

  // --- the sandbox ----------------------------------------------------------------------------
  let sandbox = rp?.sandboxes[0];
  let sandboxConfig: Input<PodSandboxConfig>;
  if (!sandbox || sandbox.state !== 'SANDBOX_READY') {
    const everRan = (rp?.containers.length ?? 0) > 0;
    if (everRan && restartPolicy !== 'Always' && allDone(apps, rp!, restartPolicy)) return out; // finished: no new sandbox
    if (sandbox) record('Normal', Reason.SandboxChanged, 'Pod sandbox changed, it will be killed and re-created.');
    if (rp) {
      // the old sandbox died: its containers go with it (kubelet kills the whole pod)
      const running = rp.containers.filter((c) => c.status.state !== TERMINATED);
      for (const c of running) record('Normal', Reason.Killing, `Stopping container ${c.name}`);
      await Promise.all(running.map((c) => d.cri.stopContainer(c.id, 0).catch(() => {})));
      for (const c of running) touched(c.id, c.sandboxId);
    }
    const attempt = sandbox ? (sandbox.metadata?.attempt ?? 0) + 1 : 0;
    try {
      sandboxConfig = await d.config.sandbox(pod, attempt, recorder);
    } catch (e) {
      return blocked(e);
    }
    try {
      const id = await d.cri.runPodSandbox(sandboxConfig);
      out.changed = true;
      sandbox = { id, metadata: sandboxConfig.metadata as never, state: 'SANDBOX_READY', createdAt: Date.now() * 1e6, labels: {}, annotations: {}, runtimeHandler: '' };
      out.change.sandbox = sandbox;
    } catch (e) {
      const message = `Failed to create pod sandbox: ${errorString(e)}`;
      record('Warning', Reason.FailedCreatePodSandBox, message);
      waitAll(message);
      soon(5_000);
      return out;
    }
    out.sandboxId = sandbox.id;
    out.podIP = await d.config.podIP(sandbox.id);
  } else {
    out.sandboxId = sandbox.id;
    out.podIP = await d.config.podIP(sandbox.id);
    try {
      sandboxConfig = await d.config.sandbox(pod, sandbox.metadata?.attempt ?? 0, recorder, false);
    } catch (e) {
      return blocked(e);
    }
  }
  const sandboxId = sandbox.id;
  const fresh = (c: RuntimeContainer | undefined) => (c && c.sandboxId === sandboxId ? c : undefined);

  /** kube's startContainer: image, config, create, start; a failure is the container's waiting reason and a Failed event */
  const start = async (c: Container, kind: 'init' | 'app' | 'ephemeral', prev: RuntimeContainer | undefined, targetId?: string): Promise<void> => {
    const attempt = prev ? prev.attempt + 1 : 0;
    const fail = (reason: string, message: string, eventMessage: string, retryMs: number | undefined) => {
      out.waiting.set(c.name, { reason, message });
      record('Warning', Reason.Failed, `Error: ${eventMessage}`);
      if (retryMs !== undefined) soon(retryMs);
    };
    let image: string;
    try {
      image = await d.images.ensure({ podUid: uid, image: c.image ?? '', pullPolicy: c.imagePullPolicy, sandbox: sandboxConfig }, record);
    } catch (e) {
      const reason = e instanceof ImageError ? e.reason : 'ErrImagePull';
      // a missing image with policy Never is looked for again at the next resync
      return fail(reason, errorMessage(e), reason, reason === 'ErrImageNeverPull' ? undefined : 10_000);
    }
    let config;
    try {
      config = await d.config.container(pod, c.name, kind, { attempt, image, podIP: out.podIP ?? '', targetId });
    } catch (e) {
      return fail('CreateContainerConfigError', errorMessage(e), errorMessage(e), 5_000);
    }
    let id: string;
    try {
      id = await d.cri.createContainer(sandboxId, config, sandboxConfig);
      touched(id, sandboxId);
    } catch (e) {
      d.images.forgetImage(c.image ?? ''); // it may be gone: ask the runtime again next time
      return fail('CreateContainerError', errorMessage(e), errorMessage(e), 5_000);
    }
    record('Normal', Reason.Created, `Created container: ${c.name}`);
    await startCreated(c, id);
  };

  const startCreated = async (c: Container, id: string): Promise<void> => {
    try {
      await d.cri.startContainer(id);
      touched(id, sandboxId);
    } catch (e) {
      touched(id, sandboxId); // created, not running: its state is read back
      out.waiting.set(c.name, { reason: 'RunContainerError', message: errorMessage(e) });
      record('Warning', Reason.Failed, `Error: ${errorMessage(e)}`);
      soon(5_000);
      return;
    }
    record('Normal', Reason.Started, `Started container ${c.name}`);
  };

  /** exited: start again now, or wait (CrashLoopBackOff) */
  const restartAfterBackoff = async (c: Container, kind: 'init' | 'app', prev: RuntimeContainer): Promise<void> => {
    const key = `${uid}/${c.name}`;
    const wait = d.backoff.wait(key, msOf(prev.status.startedAt), msOf(prev.status.finishedAt) || Date.now());
    if (wait > 0) {
      record('Warning', Reason.BackOff, `Back-off restarting failed container ${c.name} in pod ${formatPod(pod)}`);
      out.waiting.set(c.name, {
        reason: 'CrashLoopBackOff',
        message: `back-off ${goDuration(d.backoff.delayMs(key))} restarting failed container=${c.name} pod=${formatPod(pod)}`,
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
    if (cur?.status.state === 'CONTAINER_CREATED') {
      await startCreated(c, cur.id);
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
      const why = d.unhealthy.get(cur.id) ?? (cur.hash && cur.hash !== d.config.hash(pod, c.name) ? 'definition changed' : undefined);
      if (!why) continue;
      d.unhealthy.delete(cur.id);
      record('Normal', Reason.Killing, `Container ${c.name} ${why}, will be restarted`);
      await d.cri.stopContainer(cur.id, d.config.gracePeriod(pod)).catch(() => {});
      touched(cur.id, cur.sandboxId);
      soon(0);
      continue;
    }
    if (cur?.status.state === 'CONTAINER_CREATED') {
      await startCreated(c, cur.id);
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

  // --- ephemeral containers (kubectl debug): started once, never restarted -------------------
  for (const c of ephemerals) {
    if (latest(c.name, 'ephemeral')) continue;
    const target = c.targetContainerName ? fresh(latest(c.targetContainerName, 'app')) : undefined;
    if (c.targetContainerName && target?.status.state !== 'CONTAINER_RUNNING') {
      // its target is not running (yet): wait for it
      out.waiting.set(c.name, { reason: 'ContainerCreating', message: `waiting for target container "${c.targetContainerName}" to run` });
      soon(1_000);
      continue;
    }
    await start(c, 'ephemeral', undefined, target?.id);
  }

  await removeDeadContainers(rp, d.cri, out.change);
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
async function removeDeadContainers(rp: RuntimePod | undefined, cri: CriRuntime, change: RuntimeChange): Promise<void> {
  if (!rp) return;
  const seen = new Map<string, number>();
  const removals: Promise<unknown>[] = [];
  for (const c of rp.containers) {
    const k = `${c.kind}/${c.name}`;
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    if (n > 2 && c.status.state === TERMINATED) removals.push(cri.removeContainer(c.id).then(() => void change.removed.push(c.id), () => {}));
  }
  const used = new Set(rp.containers.map((c) => c.sandboxId));
  for (const s of rp.sandboxes.slice(1)) if (!used.has(s.id)) removals.push(cri.stopPodSandbox(s.id).then(() => cri.removePodSandbox(s.id)).then(() => void change.removedSandboxes.push(s.id), () => {}));
  await Promise.all(removals);
}
