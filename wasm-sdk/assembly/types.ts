// The WIT records of skiff:policy/types as AssemblyScript classes (see wit/policy.wit). The SDK
// lifts them from the canonical ABI (lift.ts). They are read-only for policies: empty lists share
// one array (no allocation per call), so never push onto them.

export class Label {
  constructor(public key: string, public value: string) {}
}

// the shared empty lists of lifted records
export const NO_LABELS: Label[] = [];

/** The value of `key` in `labels`, or null. */
export function findLabel(labels: Label[], key: string): string | null {
  for (let i = 0, n = labels.length; i < n; i++) {
    const l = unchecked(labels[i]);
    if (l.key == key) return l.value;
  }
  return null;
}

/** An extended resource (e.g. nvidia.com/gpu) or any resource beyond the four named ones. */
export class Quantity {
  constructor(public name: string, public value: i64) {}
}

export const NO_QUANTITIES: Quantity[] = [];

/** Amounts in base units: cpu in millicores, memory and storage in bytes, the rest as counts. */
export class Resources {
  milliCpu: i64 = 0;
  memory: i64 = 0;
  ephemeralStorage: i64 = 0;
  pods: i64 = 0;
  extended: Quantity[] = NO_QUANTITIES;

  /** The amount of a resource by its Kubernetes name ("cpu", "memory", "nvidia.com/gpu", ...); 0 when absent. */
  get(name: string): i64 {
    if (name == "cpu") return this.milliCpu;
    if (name == "memory") return this.memory;
    if (name == "ephemeral-storage") return this.ephemeralStorage;
    if (name == "pods") return this.pods;
    return this.extendedAmount(name);
  }

  /** The amount of an extended resource; 0 when absent. */
  extendedAmount(name: string): i64 {
    const ext = this.extended;
    for (let i = 0, n = ext.length; i < n; i++) {
      const q = unchecked(ext[i]);
      if (q.name == name) return q.value;
    }
    return 0;
  }
}

export enum TaintEffect {
  NoSchedule = 0,
  PreferNoSchedule = 1,
  NoExecute = 2,
}

export class Taint {
  constructor(public key: string, public value: string, public effect: TaintEffect) {}
}

export const NO_TAINTS: Taint[] = [];

/** `operator` is "Equal" or "Exists"; an empty `effect` matches every effect. */
export class Toleration {
  constructor(public key: string, public operator: string, public value: string, public effect: string) {}
}

export const NO_TOLERATIONS: Toleration[] = [];

/** A node as the scheduler's cache sees it, with what is placed on it. */
export class Node {
  name: string = "";
  labels: Label[] = NO_LABELS;
  taints: Taint[] = NO_TAINTS;
  unschedulable: bool = false;
  allocatable: Resources = new Resources();
  /** the sum of the requests of the pods on the node (assumed ones included) */
  requested: Resources = new Resources();
  /** how many pods run there */
  podCount: u32 = 0;

  label(key: string): string | null {
    return findLabel(this.labels, key);
  }
}

/** The pod being scheduled. */
export class Pod {
  namespace: string = "";
  name: string = "";
  uid: string = "";
  labels: Label[] = NO_LABELS;
  /** effective requests (containers, init containers and overhead), pods = 1 */
  requests: Resources = new Resources();
  priority: i32 = 0;
  schedulerName: string = "";
  nodeSelector: Label[] = NO_LABELS;
  tolerations: Toleration[] = NO_TOLERATIONS;

  label(key: string): string | null {
    return findLabel(this.labels, key);
  }
}

export enum Operation {
  Create = 0,
  Update = 1,
  Delete = 2,
  Connect = 3,
}

export class AdmissionRequest {
  operation: Operation = Operation.Create;
  group: string = "";
  version: string = "";
  kind: string = "";
  namespace: string = "";
  name: string = "";
  labels: Label[] = NO_LABELS;
  annotations: Label[] = NO_LABELS;
  /** the whole object as JSON (empty for a delete) */
  object: string = "";
  /** the stored object as JSON, for update and delete */
  oldObject: string | null = null;
  dryRun: bool = false;

  label(key: string): string | null {
    return findLabel(this.labels, key);
  }

  annotation(key: string): string | null {
    return findLabel(this.annotations, key);
  }
}
