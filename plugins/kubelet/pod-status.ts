// A pod's status as kubelet reports it, from what the runtime holds (runtime-pods.ts), what the
// probes say and why containers are waiting: container statuses (state, last state, ready,
// started, restart count, image, ids), the phase (kubelet's getPhase), conditions, IPs, QoS class.
import { rfc3339 as timeString } from '@skiff/api';
import { now } from '@skiff/kernel';
import type { ContainerStatus } from '@skiff/node-api';
import type { RuntimeContainer, RuntimePod } from './runtime-pods.ts';

type Obj = Record<string, unknown>;

export interface ContainerSpecLike {
  name: string;
  image?: string;
}

export interface PodSpecLike {
  containers: ContainerSpecLike[];
  initContainers?: ContainerSpecLike[];
  ephemeralContainers?: ContainerSpecLike[];
  restartPolicy?: string;
}

/** why a container is waiting, as the last sync found (ContainerCreating, CrashLoopBackOff, ErrImagePull, ...) */
export interface Waiting {
  reason: string;
  message?: string;
}

export interface StatusInputs {
  pod: { spec: PodSpecLike; status?: Obj };
  runtime?: RuntimePod;
  waiting: Map<string, Waiting>;
  ready(containerId: string): boolean;
  started(containerId: string): boolean;
  hostIP: string;
  podIP?: string;
  startTime: string;
  qosClass: string;
  /** the runtime's name (CRI Version's runtimeName): containerIDs read "<type>://<id>" (default containerd) */
  runtimeType?: string;
}

export const rfc3339 = (nanos: number) => (nanos > 0 ? timeString(Math.floor(nanos / 1e6)) : undefined);

function terminated(s: ContainerStatus, containerID: string): Obj {
  return {
    terminated: {
      exitCode: s.exitCode,
      reason: s.reason || (s.exitCode === 0 ? 'Completed' : 'Error'),
      ...(s.message ? { message: s.message } : {}),
      startedAt: rfc3339(s.startedAt) ?? null,
      finishedAt: rfc3339(s.finishedAt) ?? null,
      containerID,
    },
  };
}

type Kind = 'init' | 'app' | 'ephemeral';
const kindOf = (r: RuntimeContainer): Kind => (r.kind === 'init' || r.kind === 'ephemeral' ? r.kind : 'app');

function containerStatus(c: ContainerSpecLike, all: RuntimeContainer[], inp: StatusInputs, kind: Kind): Obj {
  const isInit = kind === 'init';
  const mine = all.filter((r) => r.name === c.name && kindOf(r) === kind);
  const latest = mine[0];
  const previous = mine.find((r) => r !== latest && r.status.state === 'CONTAINER_EXITED');
  const waiting = inp.waiting.get(c.name);
  const idOf = (id: string) => `${inp.runtimeType || 'containerd'}://${id}`;
  const out: Obj = { name: c.name, image: c.image ?? '', imageID: '', restartCount: latest?.restartCount ?? 0, ready: false, started: false };
  let lastState: Obj = {};
  let state: Obj;
  if (latest) {
    out.containerID = idOf(latest.id);
    out.imageID = latest.status.imageRef ?? '';
    const s = latest.status;
    if (s.state === 'CONTAINER_RUNNING') {
      state = { running: { startedAt: rfc3339(s.startedAt) ?? null } };
      out.ready = inp.ready(latest.id);
      out.started = inp.started(latest.id);
      if (previous) lastState = terminated(previous.status, idOf(previous.id));
    } else if (s.state === 'CONTAINER_EXITED' && waiting) {
      // exited and to be started again: waiting (e.g. CrashLoopBackOff), the exit as the last state
      state = { waiting: { reason: waiting.reason, ...(waiting.message ? { message: waiting.message } : {}) } };
      lastState = terminated(s, idOf(latest.id));
    } else if (s.state === 'CONTAINER_EXITED') {
      state = terminated(s, idOf(latest.id));
      if (previous) lastState = terminated(previous.status, idOf(previous.id));
    } else {
      state = { waiting: { reason: waiting?.reason ?? 'ContainerCreating', ...(waiting?.message ? { message: waiting.message } : {}) } };
    }
  } else {
    state = { waiting: { reason: waiting?.reason ?? (isInit ? 'PodInitializing' : 'ContainerCreating'), ...(waiting?.message ? { message: waiting.message } : {}) } };
  }
  return { ...out, state, lastState };
}

/** kubelet's getPhase. */
export function podPhase(spec: PodSpecLike, inits: Obj[], containers: Obj[]): string {
  const policy = spec.restartPolicy ?? 'Always';
  let pendingInit = false;
  let failedInit = false;
  for (const s of inits) {
    const st = s.state as Obj;
    const t = st.terminated as { exitCode: number } | undefined;
    if (t) {
      if (t.exitCode !== 0) failedInit = true;
      continue;
    }
    const last = (s.lastState as Obj)?.terminated as { exitCode: number } | undefined;
    if (st.waiting && last && last.exitCode === 0) continue; // done; waiting only to be cleaned up
    pendingInit = true;
  }
  if (failedInit && policy === 'Never') return 'Failed';
  if (pendingInit || failedInit) return 'Pending';
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of containers) {
    const st = s.state as Obj;
    if (st.running) running++;
    else if (st.terminated) {
      stopped++;
      if ((st.terminated as { exitCode: number }).exitCode === 0) succeeded++;
    } else if ((s.lastState as Obj)?.terminated) stopped++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

/** The status to write (the whole status subresource; PodScheduled and other conditions kept). */
export function podStatus(inp: StatusInputs): Obj {
  const all = inp.runtime?.containers ?? [];
  const inits = (inp.pod.spec.initContainers ?? []).map((c) => containerStatus(c, all, inp, 'init'));
  const containers = inp.pod.spec.containers.map((c) => containerStatus(c, all, inp, 'app'));
  // ephemeral containers (kubectl debug) count for neither phase nor readiness
  const ephemerals = (inp.pod.spec.ephemeralContainers ?? []).map((c) => containerStatus(c, all, inp, 'ephemeral'));
  const phase = podPhase(inp.pod.spec, inits, containers);
  const old = ((inp.pod.status?.conditions as Obj[] | undefined) ?? []);
  const stamp = now();
  const cond = (type: string, ok: boolean, reason?: string): Obj => {
    const status = ok ? 'True' : 'False';
    const prev = old.find((c) => c.type === type);
    return {
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : stamp,
      ...(ok || !reason ? {} : { reason }),
    };
  };
  const sandboxReady = inp.runtime?.sandboxes[0]?.state === 'SANDBOX_READY';
  const initialized = inits.every((s) => ((s.state as Obj).terminated as { exitCode?: number } | undefined)?.exitCode === 0);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const containersReady = !terminal && containers.every((s) => s.ready === true);
  const ours = new Set(['PodReadyToStartContainers', 'Initialized', 'ContainersReady', 'Ready']);
  const conditions = [
    cond('PodReadyToStartContainers', sandboxReady && !terminal),
    cond('Initialized', initialized, 'ContainersNotInitialized'),
    cond('Ready', containersReady, terminal ? 'PodCompleted' : 'ContainersNotReady'),
    cond('ContainersReady', containersReady, terminal ? 'PodCompleted' : 'ContainersNotReady'),
    ...old.filter((c) => !ours.has(c.type as string)),
  ];
  return {
    phase,
    conditions,
    hostIP: inp.hostIP,
    hostIPs: [{ ip: inp.hostIP }],
    ...(inp.podIP ? { podIP: inp.podIP, podIPs: [{ ip: inp.podIP }] } : {}),
    startTime: inp.startTime,
    ...(inits.length ? { initContainerStatuses: inits } : {}),
    containerStatuses: containers,
    ...(ephemerals.length ? { ephemeralContainerStatuses: ephemerals } : {}),
    qosClass: inp.qosClass,
  };
}
