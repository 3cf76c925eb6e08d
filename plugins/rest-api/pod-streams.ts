// The pods/log, exec, attach and portforward subresources: what they need (the pod, its container
// as kube-apiserver picks and checks it, its node), and their registration on the server. The
// PodStreams service (@skiff/client/api-frontend; node-streams provides it) does the work.
import type { FastifyInstance } from 'fastify';
import { errors, StatusError, type Kernel, type KObject, type Status } from '@skiff/kernel';
import { PodStreamError, type ApiGate, type PodStreams, type StreamStatus } from '@skiff/client/api-frontend';
import { podLog } from './pod-log.ts';
import { handleStreamUpgrade } from './pod-exec.ts';

export interface PodStreamsOptions {
  kernel: Kernel;
  /** the current PodStreams service; without one, the streams answer 503 */
  podStreams: () => PodStreams | undefined;
  /** authentication and authorization (the server's); undefined: everybody may do everything */
  gate?: ApiGate;
  /** errors nobody expected, with the request they happened in */
  onInternalError?: (err: unknown, req: { method?: string; url?: string }) => void;
}

/** Streams in progress, each with how to end it (the server is closing). */
export type ActiveStreams = Set<() => void>;

export const PODS = { group: '', version: 'v1', resource: 'pods' } as const;

type Obj = Record<string, any>;

export interface PodTarget {
  pod: KObject;
  container: string;
  nodeName: string;
}

/** kube-apiserver's validateContainer: the container named, or the only one, or a 400 listing them. */
export function chooseContainer(pod: KObject, requested: string | undefined): string {
  const spec = (pod.spec ?? {}) as Obj;
  const names = (list: unknown): string[] => (Array.isArray(list) ? list.map((c: Obj) => String(c?.name)) : []);
  const containers = names(spec.containers);
  const all = [...names(spec.initContainers), ...containers, ...names(spec.ephemeralContainers)];
  const podName = pod.metadata.name;
  if (!requested) {
    if (containers.length === 1) return containers[0]!;
    if (containers.length === 0) throw errors.badRequest(`a container name must be specified for pod ${podName}`);
    throw errors.badRequest(`a container name must be specified for pod ${podName}, choose one of: [${all.join(' ')}]`);
  }
  if (!all.includes(requested)) throw errors.badRequest(`container ${requested} is not valid for pod ${podName}`);
  return requested;
}

export function nodeOf(pod: KObject): string {
  const node = (pod.spec as Obj | undefined)?.nodeName;
  if (typeof node !== 'string' || node === '') throw errors.badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
  return node;
}

export function containerStatusOf(pod: KObject, name: string): Obj | undefined {
  const st = (pod.status ?? {}) as Obj;
  for (const list of [st.containerStatuses, st.initContainerStatuses, st.ephemeralContainerStatuses]) {
    if (!Array.isArray(list)) continue;
    const found = list.find((c: Obj) => c?.name === name);
    if (found) return found;
  }
  return undefined;
}

/**
 * The kubelet's validateContainerLogStatus, for the current container: running or terminated (or
 * with a terminated last state) has logs; waiting (or no status yet) is a 400.
 */
export function checkHasLogs(pod: KObject, container: string): void {
  const cs = containerStatusOf(pod, container);
  const podName = pod.metadata.name;
  const state = (cs?.state ?? {}) as Obj;
  if (state.running || state.terminated || cs?.lastState?.terminated) return;
  const reason: string = cs ? state.waiting?.reason ?? '' : 'ContainerCreating';
  if (cs && !state.waiting) throw errors.badRequest(`container "${container}" in pod "${podName}" is waiting to start - no logs yet`);
  const why = reason === 'ErrImagePull' ? "image can't be pulled" : reason === 'ImagePullBackOff' ? 'trying and failing to pull image' : reason;
  throw errors.badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${why}`);
}

export async function podTarget(kernel: Kernel, namespace: string, name: string, container: string | undefined): Promise<PodTarget> {
  const pod = await kernel.get(PODS, namespace, name);
  const c = chooseContainer(pod, container);
  return { pod, container: c, nodeName: nodeOf(pod) };
}

export function requirePodStreams(o: PodStreamsOptions): PodStreams {
  const p = o.podStreams();
  if (!p) throw errors.serviceUnavailable('this API server has no way to reach the node agents (no pod-streams service)');
  return p;
}

/** A pod-streams failure as the StatusError the API answers. */
export function toStatusError(e: unknown): unknown {
  if (!(e instanceof PodStreamError)) return e;
  return new StatusError(asStatus(e.status));
}

export function asStatus(s: StreamStatus): Status {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: s.message ?? '',
    reason: s.reason ?? '',
    code: s.code ?? 500,
    ...(s.details ? { details: s.details as Status['details'] } : {}),
  };
}

/** Routes for pods/log, exec, attach and portforward; register before the catch-all resource routes. */
export function registerPodStreams(app: FastifyInstance, o: PodStreamsOptions): void {
  const active: ActiveStreams = new Set();
  // a closing server waits for its connections: end the follows and exec sessions first
  app.addHook('preClose', (done) => {
    for (const stop of [...active]) stop();
    done();
  });
  app.get('/api/v1/namespaces/:namespace/pods/:name/log', (req, reply) => podLog(o, req, reply, active));
  // exec, attach and portforward are upgrades (WebSocket or SPDY), served from the server's 'upgrade' event
  for (const sub of ['exec', 'attach', 'portforward']) {
    app.route({
      method: ['GET', 'POST'],
      url: `/api/v1/namespaces/:namespace/pods/:name/${sub}`,
      handler: async () => {
        throw errors.badRequest('Upgrade request required');
      },
    });
  }
  app.server.on('upgrade', (req, socket, head) => {
    handleStreamUpgrade(o, req, socket, head, active).catch((e) => {
      o.onInternalError?.(e, req);
      socket.destroy();
    });
  });
}
