// The JS values jco's generated glue takes and returns for the policy WIT (instantiation mode),
// as TypeScript types (what the generated .d.ts says, in one place): records are objects with camelCase fields, s64 is a BigInt, u32 /
// s32 / u8 are numbers, list<u32> is a Uint32Array (or number[]), list<u8> / list<s32> come back as
// Uint8Array / Int32Array, option<T> is T | undefined (null accepted), enums are kebab-case strings,
// and a result's err is thrown as a ComponentError whose message (and `payload`) is the string.
export interface WitLabel { key: string; value: string }
export interface WitQuantity { name: string; value: bigint }
export interface WitResources { milliCpu: bigint; memory: bigint; ephemeralStorage: bigint; pods: bigint; extended: WitQuantity[] }
export type WitTaintEffect = 'no-schedule' | 'prefer-no-schedule' | 'no-execute';
export interface WitTaint { key: string; value: string; effect: WitTaintEffect }
export interface WitToleration { key: string; operator: string; value: string; effect: string }
export interface WitNode {
  name: string;
  labels: WitLabel[];
  taints: WitTaint[];
  unschedulable: boolean;
  allocatable: WitResources;
  requested: WitResources;
  podCount: number;
}
export interface WitNodeUpdate { slot: number; node?: WitNode }
export interface WitPod {
  namespace: string;
  name: string;
  uid: string;
  labels: WitLabel[];
  requests: WitResources;
  priority: number;
  schedulerName: string;
  nodeSelector: WitLabel[];
  tolerations: WitToleration[];
}
export interface WitReason { message: string; unresolvable: boolean }
export interface WitFilterResult { verdicts: Uint8Array; reasons: WitReason[] }

export interface SchedulerPolicyExports {
  /** throws ComponentError(message) for err */
  configure(config: string): { filter: boolean; score: boolean };
  updateNodes(updates: WitNodeUpdate[]): void;
  filter(pod: WitPod, slots: Uint32Array | number[]): WitFilterResult;
  score(pod: WitPod, slots: Uint32Array | number[]): Int32Array;
}

export type WitOperation = 'create' | 'update' | 'delete' | 'connect';
export interface WitAdmissionRequest {
  operation: WitOperation;
  group: string;
  version: string;
  kind: string;
  namespace: string;
  name: string;
  labels: WitLabel[];
  annotations: WitLabel[];
  object: string;
  oldObject?: string;
  dryRun: boolean;
}

export interface AdmissionPolicyExports {
  configure(config: string): { validate: boolean; mutate: boolean };
  /** returns when allowed; throws ComponentError(denial message) when denied */
  validate(request: WitAdmissionRequest): void;
  /** undefined: unchanged; a JSON patch; throws ComponentError(message) when denied */
  mutate(request: WitAdmissionRequest): string | undefined;
}

/**
 * A filter reason may carry several of kube's reasons joined with "\n" (the SDK's joinReasons;
 * NodeResourcesFit reports e.g. "Insufficient cpu" and "Insufficient memory" for one node). A host
 * splits the message on it to count each reason, as for a TS policy's PolicyStatus.reasons.
 */
export const REASON_SEPARATOR = '\n';
