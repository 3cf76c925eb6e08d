// GPU placement: Filter drops nodes without enough free nvidia.com/gpu for the pod (allocatable -
// requested, as for any extended resource); Score packs GPU pods, preferring nodes that will have
// fewer free GPUs left. Pods that request no GPU pass the filter and score 0 everywhere.
// Config (optional): {"resource":"nvidia.com/gpu"}
import { Node, Pod, SchedulerPolicy, jsonError, parseConfig, register } from "skiff";

class GpuFilter extends SchedulerPolicy {
  resource: string = "nvidia.com/gpu";
  reason: string = "Insufficient nvidia.com/gpu";

  constructor() {
    super();
    this.implementsFilter = true;
    this.implementsScore = true;
  }

  configure(config: string): string | null {
    const c = parseConfig(config);
    if (c === null) return jsonError();
    this.resource = c.getString("resource", "nvidia.com/gpu");
    this.reason = "Insufficient " + this.resource;
    return null;
  }

  filter(pod: Pod, node: Node): string | null {
    const wanted = pod.requests.extendedAmount(this.resource);
    if (wanted == 0) return null;
    const free = node.allocatable.extendedAmount(this.resource) - node.requested.extendedAmount(this.resource);
    return wanted > free ? this.reason : null;
  }

  score(pod: Pod, node: Node): i32 {
    const wanted = pod.requests.extendedAmount(this.resource);
    const capacity = node.allocatable.extendedAmount(this.resource);
    if (wanted == 0 || capacity == 0) return 0;
    const left = capacity - node.requested.extendedAmount(this.resource) - wanted;
    if (left < 0) return 0;
    // the fraction of the node's GPUs in use once the pod is there
    return <i32>(((capacity - left) * 100) / capacity);
  }
}

register(new GpuFilter());
