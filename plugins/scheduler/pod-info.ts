// PodInfo: a pod as the scheduler sees it, computed once per pod version (requests parsed by
// Kubernetes' rules, priority resolved), plus the resource-list parsing nodes share.
import type { KObject } from '@skiff/kernel';
import { tryParseQuantity } from '@skiff/api';
import type { PodInfo, Resources } from './framework.ts';
import { DEFAULT_PROFILE } from './policy-registry.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A resource quantity in the scheduler's base units: cpu in millicores, everything else as is (bytes, counts). */
export function resourceValue(name: string, q: unknown): number | undefined {
  const v = tryParseQuantity(q);
  if (v === undefined) return undefined;
  // parseMilliQuantity's rounding (up to the next millicore), without throwing
  return name === 'cpu' ? Math.ceil(Math.round(v * 1e6) / 1e3) : v;
}

/** A ResourceList (`{cpu: "500m", memory: "1Gi", "example.com/gpu": "2"}`) in base units; unparsable entries are skipped. */
export function parseResourceList(list: unknown): Resources {
  const out: Resources = {};
  if (!isObj(list)) return out;
  for (const k of Object.keys(list)) {
    const v = resourceValue(k, list[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function add(into: Resources, r: Resources): void {
  for (const k in r) into[k] = (into[k] ?? 0) + r[k];
}

function maxInto(into: Resources, r: Resources): void {
  for (const k in r) if (r[k] > (into[k] ?? 0)) into[k] = r[k];
}

function containerRequests(c: unknown): Resources {
  if (!isObj(c) || !isObj(c.resources)) return {};
  const res = c.resources;
  const req = parseResourceList(res.requests);
  // requests default to limits (the kernel's admission does this too; stay right on raw objects)
  if (isObj(res.limits)) {
    const lim = parseResourceList(res.limits);
    for (const k in lim) if (!(k in req)) req[k] = lim[k];
  }
  return req;
}

/**
 * Effective requests, as kube-scheduler computes them: the sum of the app containers (plus
 * restartable "sidecar" init containers, which keep running), or, when larger per resource, the
 * peak while an init container runs (its request + the sidecars started before it); + overhead;
 * always `pods: 1`.
 */
export function podRequests(pod: KObject): Resources {
  const spec = isObj(pod.spec) ? pod.spec : {};
  const total: Resources = {};
  for (const c of arr(spec.containers)) add(total, containerRequests(c));
  const sidecars: Resources = {};
  const initPeak: Resources = {};
  for (const c of arr(spec.initContainers)) {
    const r = containerRequests(c);
    if (isObj(c) && c.restartPolicy === 'Always') {
      add(sidecars, r);
      add(total, r);
      maxInto(initPeak, { ...sidecars });
    } else {
      const atThisPoint = { ...sidecars };
      add(atThisPoint, r);
      maxInto(initPeak, atThisPoint);
    }
  }
  maxInto(total, initPeak);
  add(total, parseResourceList(spec.overhead));
  total.pods = 1;
  return total;
}

/** Build a PodInfo (once per pod version). */
export function podInfoOf(pod: KObject): PodInfo {
  const m = pod.metadata;
  const spec = isObj(pod.spec) ? pod.spec : {};
  const namespace = m.namespace ?? '';
  const name = m.name ?? '';
  const prio = spec.priority;
  const nodeName = typeof spec.nodeName === 'string' && spec.nodeName ? spec.nodeName : undefined;
  const info: PodInfo = {
    pod,
    key: `${namespace}/${name}`,
    uid: m.uid ?? `${namespace}/${name}`,
    namespace,
    name,
    labels: m.labels ?? {},
    requests: podRequests(pod),
    priority: typeof prio === 'number' && Number.isFinite(prio) ? prio : 0,
    schedulerName: typeof spec.schedulerName === 'string' && spec.schedulerName ? spec.schedulerName : DEFAULT_PROFILE,
  };
  if (nodeName) info.nodeName = nodeName;
  return info;
}

/** Host ports a pod uses, as `${protocol}/${hostIP}/${port}` (hostIP defaults to 0.0.0.0). */
export function podHostPorts(pod: KObject): string[] {
  const spec = isObj(pod.spec) ? pod.spec : {};
  const out: string[] = [];
  for (const list of [spec.containers, spec.initContainers]) {
    for (const c of arr(list)) {
      if (!isObj(c)) continue;
      for (const p of arr(c.ports)) {
        if (!isObj(p) || typeof p.hostPort !== 'number' || p.hostPort <= 0) continue;
        const proto = typeof p.protocol === 'string' && p.protocol ? p.protocol : 'TCP';
        const ip = typeof p.hostIP === 'string' && p.hostIP ? p.hostIP : '0.0.0.0';
        out.push(`${proto}/${ip}/${p.hostPort}`);
      }
    }
  }
  return out;
}

/** Creation time in ms (0 when missing), for the default queue order. */
export function creationMs(p: PodInfo): number {
  const t = p.pod.metadata.creationTimestamp;
  return t ? Date.parse(t) || 0 : 0;
}

/** A pod that no longer takes resources: terminal phase. */
export function isTerminal(pod: KObject): boolean {
  const phase = isObj(pod.status) ? pod.status.phase : undefined;
  return phase === 'Succeeded' || phase === 'Failed';
}
