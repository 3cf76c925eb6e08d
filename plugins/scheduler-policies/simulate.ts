// What-if views for preemption: a NodeInfo without some of its pods (requested, pods and usedPorts
// adjusted; a fresh negative generation so per-node caches never mistake it for the real node),
// and a ClusterSnapshot in which that node replaces the real one.
import type { ClusterSnapshot, NodeInfo, PodInfo } from '@skiff/plugin-scheduler/framework';
import { hostPortsOf } from './pod-spec.ts';

let simulatedGeneration = -1;

export function nodeWithout(node: NodeInfo, removed: ReadonlySet<PodInfo>): NodeInfo {
  const requested = { ...node.requested };
  const usedPorts = new Set(node.usedPorts);
  const pods: PodInfo[] = [];
  for (const p of node.pods) {
    if (!removed.has(p)) {
      pods.push(p);
      continue;
    }
    for (const k in p.requests) requested[k] = (requested[k] ?? 0) - p.requests[k];
    for (const port of hostPortsOf(p)) usedPorts.delete(port.key);
  }
  return { ...node, requested, pods, usedPorts, generation: simulatedGeneration-- };
}

export function snapshotWith(snapshot: ClusterSnapshot, replacement: NodeInfo): ClusterSnapshot {
  let nodes: NodeInfo[] | undefined;
  return {
    nodes() {
      return (nodes ??= snapshot.nodes().map((n) => (n.name === replacement.name ? replacement : n)));
    },
    node(name) {
      return name === replacement.name ? replacement : snapshot.node(name);
    },
  };
}
