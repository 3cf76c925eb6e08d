// {{name}}: a Skiff scheduler policy, in AssemblyScript.
//   Filter: a node fits when it has the label named by the config's "nodeLabel" (when one is set).
//   Score:  emptier nodes first (fewer pods for their pod capacity), 0..100.
// The host calls filter / score for one pod and many nodes at a time; keep them allocation-free.
import { Node, Pod, SchedulerPolicy, jsonError, parseConfig, register } from "skiff";

class {{className}} extends SchedulerPolicy {
  nodeLabel: string = "";
  reason: string = "";

  constructor() {
    super();
    this.implementsFilter = true;
    this.implementsScore = true;
  }

  // config: the Plugin's spec.config as JSON; return an error message to reject it
  configure(config: string): string | null {
    const c = parseConfig(config);
    if (c === null) return jsonError();
    this.nodeLabel = c.getString("nodeLabel");
    this.reason = "node(s) didn't have label " + this.nodeLabel;
    return null;
  }

  // null: the pod fits the node; otherwise why not
  filter(pod: Pod, node: Node): string | null {
    if (this.nodeLabel.length == 0 || node.label(this.nodeLabel) !== null) return null;
    return this.unresolvable(this.reason); // adding pods elsewhere will not label this node
  }

  score(pod: Pod, node: Node): i32 {
    const capacity = node.allocatable.pods;
    if (capacity <= 0) return 0;
    const used = (<i64>node.podCount * 100) / capacity;
    return used >= 100 ? 0 : <i32>(100 - used);
  }
}

register(new {{className}}());
