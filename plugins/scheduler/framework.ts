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
}

/** Cluster changes that may make an unschedulable pod schedulable (requeue hints). */
export type ClusterEvent =
  | 'NodeAdd'
  | 'NodeUpdate'
  | 'NodeDelete'
  | 'PodAdd'
  | 'PodUpdate'
  | 'PodDelete';

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
  postFilter?(state: CycleState, pod: PodInfo, filtered: Map<string, PolicyStatus>, snapshot: ClusterSnapshot): PostFilterResult | Promise<PostFilterResult>;
  preScore?(state: CycleState, pod: PodInfo, nodes: NodeInfo[], snapshot: ClusterSnapshot): PolicyStatus | void;
  /** 0..100 (MaxNodeScore), before normalization and weight */
  score?(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /** batched Score: one score per node, same order (preferred over score when present) */
  scoreBatch?(state: CycleState, pod: PodInfo, nodes: NodeInfo[]): number[] | Promise<number[]>;
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
}

export const PolicyRegistryToken = createServiceToken<PolicyRegistry>('skiff.scheduler.policy-registry');
