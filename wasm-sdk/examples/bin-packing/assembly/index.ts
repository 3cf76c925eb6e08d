// Bin packing: a scorer that prefers fuller nodes, kube's MostAllocated over cpu and memory:
// per resource floor(min(requested + pod, allocatable) * 100 / allocatable), weighted average.
// A pod that requests no cpu / memory counts as 100m / 200Mi (kube's non-zero defaults).
// Config (optional): {"resources":[{"name":"cpu","weight":1},{"name":"memory","weight":1}]}
import { JsonValue, Node, Pod, SchedulerPolicy, jsonError, parseConfig, register } from "skiff";

const DEFAULT_MILLI_CPU: i64 = 100;
const DEFAULT_MEMORY: i64 = 200 * 1024 * 1024;

const CPU: u8 = 1;
const MEMORY: u8 = 2;
const OTHER: u8 = 0;

class BinPacking extends SchedulerPolicy {
  names: string[] = ["cpu", "memory"];
  kinds: u8[] = [CPU, MEMORY];
  weights: f64[] = [1, 1];
  // the pod's request per resource, worked out once per call (one Pod object per call)
  pod: Pod | null = null;
  podRequests: f64[] = [];

  constructor() {
    super();
    this.implementsScore = true;
  }

  configure(config: string): string | null {
    const c = parseConfig(config);
    if (c === null) return jsonError();
    const resources = c.get("resources");
    if (resources === null) return null;
    if (!resources.isArray() || resources.length == 0) return "config: resources must be a non-empty array";
    const names = new Array<string>();
    const kinds = new Array<u8>();
    const weights = new Array<f64>();
    for (let i = 0; i < resources.length; i++) {
      const r = changetype<JsonValue>(resources.at(i));
      const name = r.getString("name");
      const weight = r.getNumber("weight", 1);
      if (name.length == 0 || weight < 1 || weight > 100) return "config: each resource needs a name and a weight in 1..100";
      names.push(name);
      kinds.push(name == "cpu" ? CPU : name == "memory" ? MEMORY : OTHER);
      weights.push(weight);
    }
    this.names = names;
    this.kinds = kinds;
    this.weights = weights;
    this.pod = null;
    return null;
  }

  private preparePod(pod: Pod): void {
    this.pod = pod;
    const r = pod.requests;
    const requests = new Array<f64>(this.names.length);
    for (let i = 0; i < this.names.length; i++) {
      const kind = this.kinds[i];
      if (kind == CPU) requests[i] = <f64>(r.milliCpu != 0 ? r.milliCpu : DEFAULT_MILLI_CPU);
      else if (kind == MEMORY) requests[i] = <f64>(r.memory != 0 ? r.memory : DEFAULT_MEMORY);
      else requests[i] = <f64>r.get(this.names[i]);
    }
    this.podRequests = requests;
  }

  score(pod: Pod, node: Node): i32 {
    if (pod !== this.pod) this.preparePod(pod);
    let nodeScore: f64 = 0;
    let weightSum: f64 = 0;
    for (let i = 0, n = this.names.length; i < n; i++) {
      const podRequest = unchecked(this.podRequests[i]);
      const kind = unchecked(this.kinds[i]);
      let capacity: f64;
      let requested: f64;
      if (kind == CPU) {
        capacity = <f64>node.allocatable.milliCpu;
        requested = <f64>node.requested.milliCpu + podRequest;
      } else if (kind == MEMORY) {
        capacity = <f64>node.allocatable.memory;
        requested = <f64>node.requested.memory + podRequest;
      } else {
        const name = unchecked(this.names[i]);
        // an extended resource the pod does not request is left out (kube)
        if (podRequest == 0 && isExtended(name)) continue;
        capacity = <f64>node.allocatable.get(name);
        requested = <f64>node.requested.get(name) + podRequest;
      }
      if (capacity == 0) continue;
      const w = unchecked(this.weights[i]);
      nodeScore += Math.floor((min(requested, capacity) * 100) / capacity) * w;
      weightSum += w;
    }
    return weightSum == 0 ? 0 : <i32>Math.trunc(nodeScore / weightSum);
  }
}

function isExtended(name: string): bool {
  return name != "cpu" && name != "memory" && name != "ephemeral-storage" && name != "pods";
}

register(new BinPacking());
