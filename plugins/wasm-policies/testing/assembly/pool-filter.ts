// Test policy: only nodes labelled pool=<config.pool> fit; scores the node's pod count low-first.
// Config: {"pool":"a"}
import { Node, Pod, SchedulerPolicy, jsonError, parseConfig, register } from "skiff";

class PoolFilter extends SchedulerPolicy {
  pool: string = "";
  reason: string = "";

  constructor() {
    super();
    this.implementsFilter = true;
    this.implementsScore = true;
  }

  configure(config: string): string | null {
    const c = parseConfig(config);
    if (c === null) return jsonError();
    this.pool = c.getString("pool", "");
    if (this.pool.length == 0) return "config: pool is required";
    this.reason = "node is not in pool " + this.pool;
    return null;
  }

  filter(pod: Pod, node: Node): string | null {
    const p = node.label("pool");
    return p !== null && p == this.pool ? null : this.reason;
  }

  score(pod: Pod, node: Node): i32 {
    const n = <i32>node.podCount;
    return n >= 100 ? 0 : 100 - n;
  }
}

register(new PoolFilter());
