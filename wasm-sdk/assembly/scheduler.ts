// The base class of a scheduler policy. Subclass it, override what the policy implements, say so
// with `implementsFilter` / `implementsScore`, and register an instance:
//
//   class MyPolicy extends SchedulerPolicy {
//     constructor() { super(); this.implementsFilter = true; }
//     filter(pod: Pod, node: Node): string | null { return node.unschedulable ? "node is unschedulable" : null; }
//   }
//   register(new MyPolicy());
import { Node, Pod } from "./types";

/** Joins several reasons into one filter reason; the host splits a reason message on "\n". */
export const REASON_SEPARATOR = "\n";

export class SchedulerPolicy {
  /** Does the policy filter / score? The host asks after `configure`, so configure may change them. */
  implementsFilter: bool = false;
  implementsScore: bool = false;
  /** Set by unresolvable() while filtering one node; read and cleared by the SDK. */
  markedUnresolvable: bool = false;

  /** The Plugin object's spec.config as JSON ("{}" when none). Returns an error message to reject it, or null. */
  configure(config: string): string | null {
    return null;
  }

  /** May `pod` run on `node`? null: it fits; otherwise the reason (e.g. "Insufficient cpu"). */
  filter(pod: Pod, node: Node): string | null {
    return null;
  }

  /** 0..100, higher is better (before the plugin's weight). */
  score(pod: Pod, node: Node): i32 {
    return 0;
  }

  /**
   * Marks a filter reason as unresolvable (no cluster change can make the pod fit that node, kube's
   * UnschedulableAndUnresolvable): `return this.unresolvable("node(s) didn't match Pod's node affinity")`.
   */
  unresolvable(reason: string): string {
    this.markedUnresolvable = true;
    return reason;
  }
}

/** Several reasons as one (kube reports each; the host splits them again). */
export function joinReasons(reasons: string[]): string {
  return reasons.join(REASON_SEPARATOR);
}
