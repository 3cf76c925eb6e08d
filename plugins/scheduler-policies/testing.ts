// Test builders: hand-built PodInfo / NodeInfo values and a harness that runs one policy's
// extension points the way the scheduler does.
//
//   const n1 = node('n1', { cpu: '4', memory: '8Gi', labels: { zone: 'a' }, pods: [pod('x', { requests: { cpu: '1' } })] });
//   const { statuses } = runFilter(nodeResourcesFit(), pod('p', { requests: { cpu: '3500m' } }), [n1]);
import type { KObject } from '@skiff/kernel';
import type {
  ClusterSnapshot,
  NodeInfo,
  NodeScore,
  PodInfo,
  PolicyStatus,
  PreFilterResult,
  Resources,
  SchedulerPolicy,
  Taint,
} from '@skiff/plugin-scheduler/framework';
import { SUCCESS } from '@skiff/plugin-scheduler/framework';
import { parseMilliQuantity, parseQuantity } from '@skiff/api';
import { MapCycleState } from './cycle-state.ts';
import { hostPortsOf, type Affinity, type Container, type ContainerPort, type Toleration, type TopologySpreadConstraint } from './pod-spec.ts';

export type Quantities = Record<string, string | number>;

export function parseResources(q: Quantities | undefined): Resources {
  const out: Resources = {};
  for (const [k, v] of Object.entries(q ?? {})) out[k] = k === 'cpu' ? parseMilliQuantity(v) : parseQuantity(v);
  return out;
}

export interface PodOptions {
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  /** requests of the (first) container */
  requests?: Quantities;
  /** full control over containers (then `requests`, `ports` and `images` are ignored) */
  containers?: Container[];
  initContainers?: Container[];
  priority?: number;
  affinity?: Affinity;
  tolerations?: Toleration[];
  nodeSelector?: Record<string, string>;
  nodeName?: string;
  ports?: ContainerPort[];
  images?: string[];
  topologySpreadConstraints?: TopologySpreadConstraint[];
  preemptionPolicy?: 'PreemptLowerPriority' | 'Never';
  creationTimestamp?: string;
  startTime?: string;
  deletionTimestamp?: string;
  nominatedNodeName?: string;
}

let uidSeq = 0;

export function pod(name: string, o: PodOptions = {}): PodInfo {
  const namespace = o.namespace ?? 'default';
  const containers: Container[] = o.containers ?? [
    { name: 'c0', image: o.images?.[0] ?? 'busybox', resources: o.requests ? { requests: o.requests } : {}, ...(o.ports ? { ports: o.ports } : {}) },
    ...(o.images ?? []).slice(1).map((image, i) => ({ name: `c${i + 1}`, image })),
  ];
  const spec: Record<string, unknown> = { containers };
  if (o.initContainers) spec.initContainers = o.initContainers;
  if (o.priority !== undefined) spec.priority = o.priority;
  if (o.affinity) spec.affinity = o.affinity;
  if (o.tolerations) spec.tolerations = o.tolerations;
  if (o.nodeSelector) spec.nodeSelector = o.nodeSelector;
  if (o.nodeName) spec.nodeName = o.nodeName;
  if (o.topologySpreadConstraints) spec.topologySpreadConstraints = o.topologySpreadConstraints;
  if (o.preemptionPolicy) spec.preemptionPolicy = o.preemptionPolicy;
  const status: Record<string, unknown> = {};
  if (o.startTime) status.startTime = o.startTime;
  if (o.nominatedNodeName) status.nominatedNodeName = o.nominatedNodeName;
  const uid = o.uid ?? `uid-${name}-${++uidSeq}`;
  const obj: KObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid,
      labels: o.labels ?? {},
      creationTimestamp: o.creationTimestamp ?? '2024-01-01T00:00:00Z',
      ...(o.deletionTimestamp ? { deletionTimestamp: o.deletionTimestamp } : {}),
    },
    spec,
    status,
  };
  // effective requests: sum of containers, or the largest init container when larger; pods: 1
  const requests: Resources = {};
  for (const c of containers) for (const [k, v] of Object.entries(parseResources(c.resources?.requests))) requests[k] = (requests[k] ?? 0) + v;
  for (const c of o.initContainers ?? []) {
    for (const [k, v] of Object.entries(parseResources(c.resources?.requests))) if (v > (requests[k] ?? 0)) requests[k] = v;
  }
  requests.pods = 1;
  const info: PodInfo = {
    pod: obj,
    key: `${namespace}/${name}`,
    uid,
    namespace,
    name,
    labels: o.labels ?? {},
    requests,
    priority: o.priority ?? 0,
    schedulerName: 'default-scheduler',
  };
  if (o.nodeName) info.nodeName = o.nodeName;
  return info;
}

export interface NodeOptions {
  cpu?: string | number;
  memory?: string | number;
  ephemeralStorage?: string | number;
  /** pod capacity; default 110 */
  maxPods?: number;
  /** other allocatable resources (extended resources) */
  allocatable?: Quantities;
  /** merged over { 'kubernetes.io/hostname': name } */
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  /** pods placed on the node (their nodeName is set) */
  pods?: PodInfo[];
  /** image name -> size in bytes */
  images?: Record<string, number>;
}

let generation = 0;

let testNodeIds = 0;

export function node(name: string, o: NodeOptions = {}): NodeInfo {
  const allocatable: Resources = parseResources({
    cpu: o.cpu ?? '4',
    memory: o.memory ?? '8Gi',
    ...(o.ephemeralStorage !== undefined ? { 'ephemeral-storage': o.ephemeralStorage } : {}),
    ...(o.allocatable ?? {}),
  });
  allocatable.pods = o.maxPods ?? 110;
  const pods = o.pods ?? [];
  const requested: Resources = {};
  const usedPorts = new Set<string>();
  for (const p of pods) {
    p.nodeName = name;
    for (const [k, v] of Object.entries(p.requests)) requested[k] = (requested[k] ?? 0) + v;
    for (const port of hostPortsOf(p)) usedPorts.add(port.key);
  }
  const labels = { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) };
  const taints = o.taints ?? [];
  return {
    name,
    id: testNodeIds++,
    node: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels },
      spec: { taints, unschedulable: o.unschedulable ?? false },
      status: { allocatable: {} },
    },
    labels,
    taints,
    unschedulable: o.unschedulable ?? false,
    allocatable,
    requested,
    pods,
    usedPorts,
    images: new Map(Object.entries(o.images ?? {})),
    generation: ++generation,
  };
}

export function snapshot(nodes: NodeInfo[]): ClusterSnapshot {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  return { nodes: () => nodes, node: (name) => byName.get(name) };
}

export interface FilterRun {
  state: MapCycleState;
  preFilter: PreFilterResult;
  /** PreFilter said Skip: Filter was not run */
  skipped: boolean;
  statuses: Record<string, PolicyStatus>;
}

function asPreFilterResult(r: PreFilterResult | PolicyStatus | void): PreFilterResult {
  if (!r) return {};
  return 'code' in r ? { status: r as PolicyStatus } : (r as PreFilterResult);
}

/** PreFilter then Filter on every node, as the scheduler does (a PreFilter rejection applies to every node). */
export function runFilter(policy: SchedulerPolicy, p: PodInfo, nodes: NodeInfo[], snap = snapshot(nodes)): FilterRun {
  const state = new MapCycleState();
  const preFilter = asPreFilterResult(policy.preFilter?.(state, p, snap));
  const skipped = preFilter.status?.code === 'Skip';
  const statuses: Record<string, PolicyStatus> = {};
  for (const n of nodes) {
    if (preFilter.status && preFilter.status.code !== 'Success' && !skipped) statuses[n.name] = preFilter.status;
    else if (skipped || !policy.filter) statuses[n.name] = SUCCESS;
    else statuses[n.name] = policy.filter(state, p, n);
  }
  return { state, preFilter, skipped, statuses };
}

export interface ScoreRun {
  skipped: boolean;
  raw: Record<string, number>;
  normalized: Record<string, number>;
}

/** PreScore, Score on every node, NormalizeScore. */
export function runScore(policy: SchedulerPolicy, p: PodInfo, nodes: NodeInfo[], snap = snapshot(nodes), state = new MapCycleState()): ScoreRun {
  const pre = policy.preScore?.(state, p, nodes, snap);
  const skipped = pre?.code === 'Skip';
  const scores: NodeScore[] = nodes.map((n) => ({ name: n.name, score: skipped || !policy.score ? 0 : policy.score(state, p, n) }));
  const raw = Object.fromEntries(scores.map((s) => [s.name, s.score]));
  if (!skipped) policy.normalizeScore?.(state, p, scores);
  return { skipped, raw, normalized: Object.fromEntries(scores.map((s) => [s.name, s.score])) };
}

/** Just the reasons per node ([] for success), for compact assertions. */
export function reasons(run: FilterRun): Record<string, string[]> {
  return Object.fromEntries(Object.entries(run.statuses).map(([k, s]) => [k, s.code === 'Success' ? [] : (s.reasons ?? [s.code])]));
}
