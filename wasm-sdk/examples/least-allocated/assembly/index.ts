// Skiff's default NodeResourcesFit (plugins/scheduler-policies/node-resources-fit.ts) as a
// WebAssembly policy, with the same verdicts, reasons and scores:
// - Filter: "Too many pods" when the node has no pod slot left, then "Insufficient <resource>" for
//   each resource the pod requests more of than the node has free (allocatable - requested), in the
//   order cpu, memory, ephemeral-storage, then the others by name. Several reasons are joined with
//   "\n" (the host splits them). Extended resources can be ignored by name or group.
// - Score: LeastAllocated, per resource floor((allocatable - requested) * 100 / allocatable) with the
//   pod's request added (cpu / memory: kube's non-zero defaults, 100m / 200Mi, when it requests none),
//   weighted average; default weights cpu 1, memory 1.
// Config: {"ignoredResources":[],"ignoredResourceGroups":[],
//          "scoringStrategy":{"type":"LeastAllocated","resources":[{"name":"cpu","weight":1}]}}
import { JsonValue, Node, Pod, Resources, SchedulerPolicy, jsonError, joinReasons, parseConfig, register } from "skiff";

const TOO_MANY_PODS = "Too many pods";
const DEFAULT_MILLI_CPU: i64 = 100;
const DEFAULT_MEMORY: i64 = 200 * 1024 * 1024;
const MAX_NODE_SCORE: f64 = 100;

const CPU: u8 = 1;
const MEMORY: u8 = 2;
const OTHER: u8 = 0;

/** kube's IsExtendedResourceName (as node-resources-fit.ts has it). */
function isExtendedResourceName(name: string): bool {
  return name.includes("/") && !name.includes("kubernetes.io/") && !name.startsWith("requests.");
}

function isScalarResource(name: string): bool {
  return name != "cpu" && name != "memory" && name != "ephemeral-storage" && name != "pods";
}

function byName(a: string, b: string): i32 {
  return a < b ? -1 : a > b ? 1 : 0;
}

class LeastAllocated extends SchedulerPolicy {
  ignored: Set<string> = new Set<string>();
  ignoredGroups: Set<string> = new Set<string>();
  scoreNames: string[] = ["cpu", "memory"];
  scoreWeights: f64[] = [1, 1];
  scoreKinds: u8[] = [CPU, MEMORY];

  // What the pod asks for, worked out once per call (the SDK passes one Pod object per call).
  fitPod: Pod | null = null;
  fitCpu: i64 = 0;
  fitMemory: i64 = 0;
  /** the other checked resources (ephemeral-storage, then extended by name), their amounts and reasons */
  fitNames: string[] = [];
  fitAmounts: i64[] = [];
  fitReasons: string[] = [];
  scorePod: Pod | null = null;
  scoreRequests: f64[] = [];

  constructor() {
    super();
    this.implementsFilter = true;
    this.implementsScore = true;
  }

  configure(config: string): string | null {
    const c = parseConfig(config);
    if (c === null) return jsonError();
    this.ignored = toSet(c.getStrings("ignoredResources"));
    this.ignoredGroups = toSet(c.getStrings("ignoredResourceGroups"));
    const strategy = c.get("scoringStrategy");
    if (strategy !== null) {
      const type = strategy.getString("type", "LeastAllocated");
      if (type != "LeastAllocated") return "config: this policy implements the LeastAllocated scoring strategy only, not " + type;
      const resources = strategy.get("resources");
      if (resources !== null && resources.isArray() && resources.length > 0) {
        const names = new Array<string>();
        const weights = new Array<f64>();
        const kinds = new Array<u8>();
        for (let i = 0; i < resources.length; i++) {
          const r = changetype<JsonValue>(resources.at(i));
          const name = r.getString("name");
          const weight = r.getNumber("weight", 1);
          if (name.length == 0 || weight < 1 || weight > 100) return "config: each scored resource needs a name and a weight in 1..100";
          names.push(name);
          weights.push(weight);
          kinds.push(name == "cpu" ? CPU : name == "memory" ? MEMORY : OTHER);
        }
        this.scoreNames = names;
        this.scoreWeights = weights;
        this.scoreKinds = kinds;
      }
    }
    this.fitPod = null;
    this.scorePod = null;
    return null;
  }

  private isIgnored(name: string): bool {
    if (!isExtendedResourceName(name)) return false;
    return this.ignored.has(name) || this.ignoredGroups.has(name.substring(0, name.indexOf("/")));
  }

  private prepareFit(pod: Pod): void {
    this.fitPod = pod;
    const r = pod.requests;
    this.fitCpu = r.milliCpu > 0 ? r.milliCpu : 0;
    this.fitMemory = r.memory > 0 ? r.memory : 0;
    const names = new Array<string>();
    if (r.ephemeralStorage > 0) names.push("ephemeral-storage");
    const extended = new Array<string>();
    for (let i = 0; i < r.extended.length; i++) {
      const q = unchecked(r.extended[i]);
      if (q.value > 0 && !this.isIgnored(q.name)) extended.push(q.name);
    }
    extended.sort(byName);
    for (let i = 0; i < extended.length; i++) names.push(unchecked(extended[i]));
    const amounts = new Array<i64>(names.length);
    const reasons = new Array<string>(names.length);
    for (let i = 0; i < names.length; i++) {
      amounts[i] = r.get(names[i]);
      reasons[i] = "Insufficient " + names[i];
    }
    this.fitNames = names;
    this.fitAmounts = amounts;
    this.fitReasons = reasons;
  }

  // Filter: the fast test first (no allocation), the reasons only for a node that does not fit.
  filter(pod: Pod, node: Node): string | null {
    if (pod !== this.fitPod) this.prepareFit(pod);
    const alloc = node.allocatable;
    const req = node.requested;
    let failed = 0;
    let reason = "";
    if (<i64>node.podCount + 1 > alloc.pods) {
      failed++;
      reason = TOO_MANY_PODS;
    }
    const cpu = this.fitCpu;
    if (cpu > 0 && cpu > alloc.milliCpu - req.milliCpu) {
      if (failed++ == 0) reason = "Insufficient cpu";
    }
    const memory = this.fitMemory;
    if (memory > 0 && memory > alloc.memory - req.memory) {
      if (failed++ == 0) reason = "Insufficient memory";
    }
    const names = this.fitNames;
    for (let i = 0, n = names.length; i < n; i++) {
      if (unchecked(this.fitAmounts[i]) > free(alloc, req, unchecked(names[i]))) {
        if (failed++ == 0) reason = unchecked(this.fitReasons[i]);
      }
    }
    if (failed == 0) return null;
    return failed == 1 ? reason : joinReasons(this.reasons(node));
  }

  /** Every reason the pod does not fit the node, in NodeResourcesFit's order. */
  private reasons(node: Node): string[] {
    const alloc = node.allocatable;
    const req = node.requested;
    const out = new Array<string>();
    if (<i64>node.podCount + 1 > alloc.pods) out.push(TOO_MANY_PODS);
    if (this.fitCpu > 0 && this.fitCpu > alloc.milliCpu - req.milliCpu) out.push("Insufficient cpu");
    if (this.fitMemory > 0 && this.fitMemory > alloc.memory - req.memory) out.push("Insufficient memory");
    const names = this.fitNames;
    for (let i = 0; i < names.length; i++) {
      if (this.fitAmounts[i] > free(alloc, req, names[i])) out.push(this.fitReasons[i]);
    }
    return out;
  }

  private prepareScore(pod: Pod): void {
    this.scorePod = pod;
    const r = pod.requests;
    const requests = new Array<f64>(this.scoreNames.length);
    for (let i = 0; i < this.scoreNames.length; i++) {
      const kind = unchecked(this.scoreKinds[i]);
      if (kind == CPU) requests[i] = <f64>(r.milliCpu != 0 ? r.milliCpu : DEFAULT_MILLI_CPU);
      else if (kind == MEMORY) requests[i] = <f64>(r.memory != 0 ? r.memory : DEFAULT_MEMORY);
      else requests[i] = <f64>r.get(unchecked(this.scoreNames[i]));
    }
    this.scoreRequests = requests;
  }

  score(pod: Pod, node: Node): i32 {
    if (pod !== this.scorePod) this.prepareScore(pod);
    let nodeScore: f64 = 0;
    let weightSum: f64 = 0;
    for (let i = 0; i < this.scoreNames.length; i++) {
      const podRequest = unchecked(this.scoreRequests[i]);
      const kind = unchecked(this.scoreKinds[i]);
      let capacity: f64 = 0;
      let requested: f64 = 0;
      if (kind == CPU) {
        capacity = <f64>node.allocatable.milliCpu;
        requested = <f64>node.requested.milliCpu + podRequest;
      } else if (kind == MEMORY) {
        capacity = <f64>node.allocatable.memory;
        requested = <f64>node.requested.memory + podRequest;
      } else {
        const name = unchecked(this.scoreNames[i]);
        // a scalar resource the pod does not request is left out
        if (podRequest == 0 && isScalarResource(name)) continue;
        capacity = <f64>node.allocatable.get(name);
        requested = <f64>node.requested.get(name) + podRequest;
      }
      if (capacity == 0) continue;
      const w = unchecked(this.scoreWeights[i]);
      if (requested <= capacity) nodeScore += Math.floor(((capacity - requested) * MAX_NODE_SCORE) / capacity) * w;
      weightSum += w;
    }
    return weightSum == 0 ? 0 : <i32>Math.trunc(nodeScore / weightSum);
  }
}

/** allocatable - requested of a resource other than cpu and memory */
// @ts-ignore: decorator
@inline function free(alloc: Resources, req: Resources, name: string): i64 {
  return name == "ephemeral-storage" ? alloc.ephemeralStorage - req.ephemeralStorage : alloc.extendedAmount(name) - req.extendedAmount(name);
}

function toSet(values: string[]): Set<string> {
  const s = new Set<string>();
  for (let i = 0; i < values.length; i++) s.add(unchecked(values[i]));
  return s;
}

register(new LeastAllocated());
