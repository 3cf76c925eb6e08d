// The scheduling framework's contract: what a scheduler policy plugin implements, modelled on
// kube-scheduler's extension points (QueueSort, PreFilter, Filter, PostFilter, PreScore, Score,
// NormalizeScore, Reserve/Unreserve, Permit, PreBind, Bind, PostBind). Policies are plugins
// (type skiff.io/scheduler-policy) that register a SchedulerPolicy with the scheduler's
// PolicyRegistry; the scheduler swaps its policy set between scheduling cycles, so policies can be
// added, reconfigured and removed while pods are being scheduled.
//
// Filter and Score also have batched forms (one pod against many nodes per call) for policies whose
// calls are expensive to cross into, such as WebAssembly components.
import type { KObject } from '@skiff/kernel';
import { createServiceToken } from '@skiff/kernel/plugins';

/** Resource amounts in base units: cpu in millicores, memory and storage in bytes, pods and extended resources as counts. */
export type Resources = Record<string, number>;

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** A pod as the scheduler sees it; computed once per pod (requests parsed, priority resolved). */
export interface PodInfo {
  pod: KObject;
  /** namespace/name */
  key: string;
  uid: string;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** effective requests: max(sum of containers, any init container) + overhead; cpu milli, memory bytes; always includes pods: 1 */
  requests: Resources;
  priority: number;
  schedulerName: string;
  /** set once bound or assumed */
  nodeName?: string;
}

/** A node with what is placed on it, as the scheduler cache keeps it. Read-only to policies. */
export interface NodeInfo {
  name: string;
  node: KObject;
  labels: Record<string, string>;
  taints: Taint[];
  unschedulable: boolean;
  allocatable: Resources;
  /** sum of requests of the pods on the node, assumed ones included */
  requested: Resources;
  pods: PodInfo[];
  /** host ports in use: `${protocol}/${hostIP}/${port}` */
  usedPorts: Set<string>;
  /** images present on the node: name -> size in bytes */
  images: Map<string, number>;
  /** bumps on every change; lets policies cache per-node work */
  generation: number;
  /**
   * A small integer naming this node for as long as the scheduler runs (never reused), for
   * policies that keep per-node state in arrays instead of maps keyed by name.
   */
  readonly id: number;
}

export type Code = 'Success' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error' | 'Skip' | 'Wait';

export interface PolicyStatus {
  code: Code;
  /** human reasons, aggregated into "0/5 nodes are available: 3 Insufficient cpu, ..." */
  reasons?: string[];
  /** the policy that produced it (filled in by the framework) */
  policy?: string;
}

export const SUCCESS: PolicyStatus = Object.freeze({ code: 'Success' }) as PolicyStatus;

/** Per scheduling-cycle scratch space, shared by the extension points of one pod's cycle. */
export interface CycleState {
  read<T>(key: string): T | undefined;
  write<T>(key: string, value: T): void;
}

export interface NodeScore {
  name: string;
  score: number;
}

/** What the cluster offers policies beyond the candidate nodes: every node, for spread and affinity. */
export interface ClusterSnapshot {
  nodes(): NodeInfo[];
  node(name: string): NodeInfo | undefined;
  /**
   * Optional change feed, for policies that keep cluster-wide aggregates over the nodes (pods with
   * affinity terms, nodes per image — kube's snapshot lists) up to date without walking every node
   * on every cycle. `changeSeq()` advances whenever a node or the pods on it change.
   */
  changeSeq?(): number;
  /**
   * The nodes changed after `changeSeq()` returned `seq` (possibly repeated, possibly nodes not in
   * `nodes()`), or undefined when it cannot tell (too long ago): then walk `nodes()`. Adding or
   * removing a node also changes `nodes()` (its length, or a new array).
   */
  changedSince?(seq: number): readonly NodeInfo[] | undefined;
}

/** Cluster changes that may make an unschedulable pod schedulable (requeue hints). */
export type ClusterEvent =
  | 'NodeAdd'
  | 'NodeUpdate'
  | 'NodeDelete'
  | 'PodAdd'
  | 'PodUpdate'
  | 'PodDelete'
  /** a PersistentVolumeClaim, PersistentVolume, StorageClass or CSI object changed (announced by the volume policies) */
  | 'StorageChange';

export interface PreFilterResult {
  status?: PolicyStatus;
  /** restrict the candidates to these nodes (NodeName, NodeAffinity with a fixed set) */
  nodeNames?: Set<string>;
}

export interface PostFilterResult {
  status: PolicyStatus;
  /** preemption's choice: the pod should land here once victims are gone */
  nominatedNodeName?: string;
}

/** A scheduler policy: implement only the extension points you need. */
export interface SchedulerPolicy {
  name: string;
  /** events after which pods this policy rejected may fit; default: all */
  events?: ClusterEvent[];
  /** QueueSort: at most one policy per profile provides it (PrioritySort) */
  less?(a: PodInfo, b: PodInfo): boolean;
  preFilter?(state: CycleState, pod: PodInfo, snapshot: ClusterSnapshot): PreFilterResult | PolicyStatus | void;
  filter?(state: CycleState, pod: PodInfo, node: NodeInfo): PolicyStatus;
  /** batched Filter: one status per node, same order (preferred over filter when present) */
  filterBatch?(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): PolicyStatus[] | Promise<PolicyStatus[]>;
  /**
   * Split-phase batched Filter, for policies whose work runs elsewhere (a WebAssembly guest in its
   * own thread): start it and return the function that finishes it. The runtime starts these first,
   * runs the other filters meanwhile, then finishes them, so the two overlap. Preferred over
   * filterBatch and filter when present.
   */
  beginFilterBatch?(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): () => PolicyStatus[];
  postFilter?(state: CycleState, pod: PodInfo, filtered: Map<string, PolicyStatus>, snapshot: ClusterSnapshot): PostFilterResult | Promise<PostFilterResult>;
  preScore?(state: CycleState, pod: PodInfo, nodes: NodeInfo[], snapshot: ClusterSnapshot): PolicyStatus | void;
  /** 0..100 (MaxNodeScore), before normalization and weight */
  score?(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /** batched Score: one score per node, same order (preferred over score when present) */
  scoreBatch?(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): number[] | Promise<number[]>;
  /** Split-phase batched Score (see beginFilterBatch): started before the other scorers run. */
  beginScoreBatch?(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): () => number[];
  normalizeScore?(state: CycleState, pod: PodInfo, scores: NodeScore[]): void;
  reserve?(state: CycleState, pod: PodInfo, nodeName: string): PolicyStatus | void;
  unreserve?(state: CycleState, pod: PodInfo, nodeName: string): void;
  permit?(state: CycleState, pod: PodInfo, nodeName: string): PolicyStatus | void | Promise<PolicyStatus | void>;
  preBind?(state: CycleState, pod: PodInfo, nodeName: string): PolicyStatus | void | Promise<PolicyStatus | void>;
  postBind?(state: CycleState, pod: PodInfo, nodeName: string): void;
}

export const MAX_NODE_SCORE = 100;

export interface PolicyRegistration {
  policy: SchedulerPolicy;
  /** Score weight (default 1) */
  weight?: number;
  /** scheduler profiles (spec.schedulerName) it applies to; default ['default-scheduler'] */
  profiles?: string[];
}

export interface Disposable {
  dispose(): void;
}

/** Provided by the scheduler plugin; policy plugins register themselves on start and dispose on stop. */
export interface PolicyRegistry {
  /** Registering a policy with the name of a registered one replaces it (a reconfiguration). */
  register(reg: PolicyRegistration): Disposable;
  list(): { name: string; weight: number; profiles: string[] }[];
  /**
   * Announce a change of objects the scheduler does not watch itself (the volume policies watch
   * claims and volumes): unschedulable pods whose policies listen for `event` are retried.
   */
  clusterEvent?(event: ClusterEvent): void;
}

export const PolicyRegistryToken = createServiceToken<PolicyRegistry>('skiff.scheduler.policy-registry');

// ---------------------------------------------------------------------------------------------
// How the scheduler runs policies (plugins/scheduler: scheduler.ts, runtime.ts). Nothing above is
// changed by this section; it documents the runtime's side of the contract.
//
// - Order: extension points run in registration order (a re-registration keeps its place). The
//   policy set of a profile is snapshotted at the start of a scheduling cycle and used for that
//   whole cycle and its binding cycle: register/replace/dispose take effect between cycles.
// - QueueSort: one queue serves all profiles; it is ordered by the `less` of the first profile's
//   first policy that has one (default: priority desc, then creation time).
// - PreFilter: returning a status with code Skip skips that policy's Filter for the cycle; any other
//   non-Success status rejects the pod on every node. `nodeNames` sets are intersected.
// - Filter: a node stops at its first failing policy; its status (with `policy` filled in) is what
//   PostFilter sees in `filtered` and what the "0/N nodes are available: ..." message counts (every
//   reason of every failed node). Return frozen constants for the common outcomes (SUCCESS, and
//   e.g. `Object.freeze({code: 'Unschedulable', reasons: ['Insufficient cpu']})`): the runtime copies
//   a frozen status once per policy to fill in `policy`, and sets `policy` on an unfrozen one.
//   An exception counts as an Error status. Any Error among the failures makes the cycle an error
//   (retried after backoff) instead of "unschedulable".
// - Split-phase Filter/Score (beginFilterBatch, beginScoreBatch): started before the other
//   policies of the chunk run and finished after them; a node's diagnosis is still the first
//   failing policy in registration order.
// - Sampling: Filter stops once numFeasibleNodesToFind nodes fit (percentageOfNodesToScore, adaptive
//   like kube by default), starting where the previous cycle stopped. With a batched policy the
//   candidates go through the policies in chunks (at least 64 nodes, or as many as still needed).
// - Score: `scores` given to normalizeScore is reused between cycles — change `score` in place, do
//   not reorder or keep the array. NaN counts as 0. PreScore returning Skip skips that policy's
//   Score. Weight 0 disables a scorer. Highest weighted total wins; ties go round-robin.
// - Reserve runs after the pod is assumed in the cache; if a Reserve or Permit fails, every
//   policy's unreserve runs (reverse order). Permit waits by returning a Promise (awaited in the
//   binding cycle); a plain status with code Wait is treated as an Error.
// - Bind is always the kernel's pods/binding; PreBind may be async; PostBind runs after success.
//   A failed binding runs unreserve, forgets the assumed pod and retries after backoff.
// - Requeue: a pod a policy rejected waits for one of that policy's `events` (all events when it
//   lists none); any change of the registry retries every unschedulable pod.
// - ClusterSnapshot and NodeInfo are the scheduler cache's own objects, stable for the length of a
//   cycle: read them, never change them.
