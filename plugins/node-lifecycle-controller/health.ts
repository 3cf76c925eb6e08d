// Node health as kube's node lifecycle controller sees it: a node is heard from when its Lease in
// kube-node-lease is renewed or its Ready condition's heartbeat changes; the time is taken on this
// controller's own clock when it sees the change (so clock skew between machines does not matter).
// A node not heard from for the grace period has its conditions set to Unknown.
import type { KObject, Node, NodeCondition } from '@skiff/api';

/** the conditions kube sets to Unknown when the kubelet stops posting status */
export const MONITORED_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

export interface Probe {
  /** what was last seen: lease renewTime and Ready heartbeat */
  renew?: string;
  heartbeat?: string;
  /** when (local ms) it was last seen to change */
  at: number;
}

export class HealthTracker {
  private readonly probes = new Map<string, Probe>();

  /** Note what the node and its lease say now; returns when the node was last heard from (local ms). */
  observe(node: Node, lease: KObject | undefined, nowMs: number): number {
    const name = node.metadata.name!;
    const renew = (lease?.spec as { renewTime?: string } | undefined)?.renewTime;
    const heartbeat = readyCondition(node)?.lastHeartbeatTime;
    const p = this.probes.get(name);
    if (!p || p.renew !== renew || p.heartbeat !== heartbeat) {
      // a node seen for the first time counts as just heard from (kube does the same after a restart)
      this.probes.set(name, { renew, heartbeat, at: nowMs });
      return nowMs;
    }
    return p.at;
  }

  forget(name: string): void {
    this.probes.delete(name);
  }
}

export function readyCondition(node: Node): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready');
}

/** The node's conditions with every monitored one Unknown (kube's messages), or undefined if they are already. */
export function unknownConditions(node: Node, stamp: string): NodeCondition[] | undefined {
  const conds = [...(node.status?.conditions ?? [])];
  let changed = false;
  for (const type of MONITORED_CONDITIONS) {
    const i = conds.findIndex((c) => c.type === type);
    const cur = i >= 0 ? conds[i] : undefined;
    if (cur?.status === 'Unknown') continue;
    changed = true;
    const next: NodeCondition = {
      type,
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: cur ? 'Kubelet stopped posting node status.' : 'Kubelet never posted node status.',
      lastHeartbeatTime: cur?.lastHeartbeatTime ?? node.metadata.creationTimestamp,
      lastTransitionTime: stamp,
    };
    if (i >= 0) conds[i] = next;
    else conds.push(next);
  }
  return changed ? conds : undefined;
}
