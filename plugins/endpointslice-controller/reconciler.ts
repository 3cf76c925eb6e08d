// The slice reconciler of kube's endpointslice controller (pkg/controller/endpointslice/reconciler.go),
// as a pure function from (Service, its pods, its slices) to the writes that bring the slices there:
//  - pods are grouped by their resolved ports: one set of slices per port combination;
//  - an existing slice keeps the endpoints still wanted (updated in place when one changed) and is
//    deleted when none is left; a slice nothing changed in is left alone (no churn);
//  - new endpoints fill the slices being updated first (fullest first), then the unchanged slice
//    that fits them most tightly, and only then new slices, at most maxEndpointsPerSlice each;
//  - with no endpoints at all one empty placeholder slice stays;
//  - a create and a delete of the same address type become an update of the slice to delete.
import { apiVersionOf, SERVICES, type AddressType, type Endpoint, type EndpointPort, type EndpointSlice, type Node, type Pod, type Service } from '@skiff/api';
import {
  CONTROLLER_NAME,
  endpointKey,
  endpointPorts,
  endpointsEqualBeyondKey,
  LABEL_HEADLESS,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
  podToEndpoint,
  portMapKey,
  shouldPodBeInEndpoints,
} from './desired.ts';

export interface DesiredGroup {
  ports: EndpointPort[];
  /** endpoint key -> endpoint, in pod-name order */
  endpoints: Map<string, Endpoint>;
}

export interface Problems {
  /** pods left out because their Node is not known (kube retries the Service later) */
  missingNode: string[];
  /** pod/port pairs left out of a port's slices: no container has the named targetPort */
  missingPort: { pod: string; port: string; targetPort: string }[];
}

/** The desired endpoints of one address type, grouped by port set. */
export function desiredGroups(svc: Service, pods: Pod[], type: AddressType, nodeOf: (name: string) => Node | undefined): { groups: Map<string, DesiredGroup>; problems: Problems } {
  const groups = new Map<string, DesiredGroup>();
  const problems: Problems = { missingNode: [], missingPort: [] };
  const sorted = [...pods].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0));
  for (const pod of sorted) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const { ports, missing } = endpointPorts(svc, pod);
    for (const m of missing) problems.missingPort.push({ pod: pod.metadata.name!, ...m });
    const key = portMapKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: new Map() }));
    const nodeName = pod.spec?.nodeName ?? '';
    const node = nodeName ? nodeOf(nodeName) : undefined;
    if (!node && svc.spec?.publishNotReadyAddresses !== true) {
      // a pod pointing at no known Node would leave the slice stuck on it: left out, retried later
      problems.missingNode.push(pod.metadata.name!);
      continue;
    }
    const ep = podToEndpoint(pod, node, svc, type);
    if (ep.addresses.length > 0) g.endpoints.set(endpointKey(ep), ep);
  }
  return { groups, problems };
}

export interface SlicePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
  /** existing slices left as they are (the topology step may still move them to update) */
  unchanged: EndpointSlice[];
}

export function ownedBy(slice: EndpointSlice, svc: Service): boolean {
  return (slice.metadata.ownerReferences ?? []).some((r) => r.uid === svc.metadata.uid && r.kind === 'Service' && r.apiVersion === 'v1');
}

const isIPSet = (svc: Service) => !!svc.spec?.clusterIP && svc.spec.clusterIP !== 'None';

/** setEndpointSliceLabels: the Service's labels, plus the reserved ones. */
export function sliceLabels(svc: Service): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) if (k !== LABEL_SERVICE_NAME && k !== LABEL_MANAGED_BY && k !== LABEL_HEADLESS) out[k] = v;
  if (!isIPSet(svc)) out[LABEL_HEADLESS] = '';
  out[LABEL_SERVICE_NAME] = svc.metadata.name!;
  out[LABEL_MANAGED_BY] = CONTROLLER_NAME;
  return out;
}

const sameLabels = (a: Record<string, string> = {}, b: Record<string, string>) => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
};

/** newEndpointSlice: generateName `<service>-`, controlled by the Service. */
export function newSlice(svc: Service, type: AddressType, ports: EndpointPort[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${svc.metadata.name}-`,
      namespace: svc.metadata.namespace,
      labels: sliceLabels(svc),
      ownerReferences: [{ apiVersion: apiVersionOf(SERVICES), kind: 'Service', name: svc.metadata.name!, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    addressType: type,
    endpoints: [],
    ports: structuredClone(ports),
  };
}

const copy = (s: EndpointSlice): EndpointSlice => structuredClone(s);

/** reconcileByPortMapping: the writes for the slices of one port set. */
function reconcilePortMapping(svc: Service, type: AddressType, existing: EndpointSlice[], desired: DesiredGroup, max: number): SlicePlan {
  const want = new Map(desired.endpoints);
  const labels = sliceLabels(svc);
  const byName = new Map<string, EndpointSlice>();
  const toUpdate = new Set<string>();
  const toDelete = new Set<string>();
  const unchanged = new Set<string>();
  // 1. existing slices keep what is still wanted; changed endpoints are taken as wanted now
  for (const slice of existing) {
    const name = slice.metadata.name!;
    byName.set(name, slice);
    const kept: Endpoint[] = [];
    let changed = false;
    for (const ep of slice.endpoints ?? []) {
      const k = endpointKey(ep);
      const got = want.get(k);
      if (!got) continue;
      kept.push(got);
      if (!endpointsEqualBeyondKey(got, ep)) changed = true;
      want.delete(k);
    }
    const labelsChanged = !sameLabels(slice.metadata.labels, labels);
    if (changed || kept.length !== (slice.endpoints ?? []).length) {
      if (kept.length === 0) toDelete.add(name);
      else {
        const s = copy(slice);
        s.endpoints = kept;
        s.metadata.labels = { ...labels };
        byName.set(name, s);
        toUpdate.add(name);
      }
    } else if (labelsChanged) {
      const s = copy(slice);
      s.metadata.labels = { ...labels };
      byName.set(name, s);
      toUpdate.add(name);
    } else unchanged.add(name);
  }
  const rest = [...want.values()];
  // 2. fill the slices being updated anyway, fullest first
  if (rest.length && toUpdate.size) {
    const slices = [...toUpdate].map((n) => byName.get(n)!).sort((a, b) => b.endpoints.length - a.endpoints.length);
    for (const s of slices) while (rest.length && s.endpoints.length < max) s.endpoints.push(rest.shift()!);
  }
  // 3. what is left goes into the unchanged slice it fits most tightly, else into new slices
  const create: EndpointSlice[] = [];
  while (rest.length) {
    let fill: EndpointSlice | undefined;
    if (rest.length < max && unchanged.size) {
      let closest = max;
      for (const n of unchanged) {
        const s = byName.get(n)!;
        const diff = max - (rest.length + s.endpoints.length);
        if (diff >= 0 && diff < closest) {
          closest = diff;
          fill = s;
        }
      }
    }
    if (fill) {
      fill = copy(fill);
      fill.metadata.labels = { ...labels };
      byName.set(fill.metadata.name!, fill);
    } else fill = newSlice(svc, type, desired.ports);
    while (rest.length && fill.endpoints.length < max) fill.endpoints.push(rest.shift()!);
    if (fill.metadata.name) {
      toUpdate.add(fill.metadata.name);
      unchanged.delete(fill.metadata.name);
    } else create.push(fill);
  }
  return {
    create,
    update: [...toUpdate].map((n) => byName.get(n)!),
    delete: [...toDelete].map((n) => byName.get(n)!),
    unchanged: [...unchanged].map((n) => byName.get(n)!),
  };
}

/** reconcileByAddressType: every write for the Service's slices of one address type. */
export function planSlices(svc: Service, type: AddressType, existing: EndpointSlice[], groups: Map<string, DesiredGroup>, max: number): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [], unchanged: [] };
  const byPorts = new Map<string, EndpointSlice[]>();
  for (const s of existing) {
    if (!ownedBy(s, svc)) {
      plan.delete.push(s); // a slice of an old Service of the same name
      continue;
    }
    const k = portMapKey(s.ports);
    byPorts.set(k, [...(byPorts.get(k) ?? []), s]);
  }
  for (const [k, g] of groups) {
    const p = reconcilePortMapping(svc, type, byPorts.get(k) ?? [], g, max);
    plan.create.push(...p.create);
    plan.update.push(...p.update);
    plan.delete.push(...p.delete);
    plan.unchanged.push(...p.unchanged);
  }
  for (const [k, slices] of byPorts) if (!groups.has(k)) plan.delete.push(...slices);
  // no endpoints at all: one empty placeholder slice (kept as it is when it exists already)
  if (existing.length === plan.delete.length && plan.create.length === 0) {
    const placeholder = newSlice(svc, type, []);
    const only = plan.delete.length === 1 ? plan.delete[0] : undefined;
    if (only && isPlaceholder(only, placeholder)) {
      plan.delete = [];
      plan.unchanged.push(only);
    } else plan.create.push(placeholder);
  }
  return plan;
}

function isPlaceholder(s: EndpointSlice, want: EndpointSlice): boolean {
  return (
    s.addressType === want.addressType &&
    (s.endpoints ?? []).length === 0 &&
    (s.ports ?? []).length === 0 &&
    sameLabels(s.metadata.labels, want.metadata.labels!) &&
    (s.metadata.ownerReferences ?? []).some((r) => r.uid === want.metadata.ownerReferences![0].uid)
  );
}

/** finalize: a create and a delete of the same address type (owned by this Service) become one update. */
export function recycleDeletes(svc: Service, plan: SlicePlan): SlicePlan {
  const create = [...plan.create];
  const update = [...plan.update];
  const del: EndpointSlice[] = [];
  for (const d of plan.delete) {
    const c = create[create.length - 1];
    if (c && d.addressType === c.addressType && ownedBy(d, svc)) {
      create.pop();
      // the slice to delete, rewritten as the one to create (its name and resourceVersion kept)
      update.push({ ...c, metadata: { ...d.metadata, labels: c.metadata.labels, ownerReferences: c.metadata.ownerReferences } });
    } else del.push(d);
  }
  return { create, update, delete: del, unchanged: plan.unchanged };
}
