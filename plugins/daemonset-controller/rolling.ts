// RollingUpdate, as kube's daemon controller's rollingUpdate, as a plan. Without surge: delete old
// pods so that at most maxUnavailable nodes lack an available pod (old unavailable pods always go);
// the core loop makes the new ones. With surge: make a new pod beside an old one on at most maxSurge
// nodes at a time (at once where the old one is unavailable), and delete the old pod once the new one
// is available.
import { isPodAvailable, type DaemonSet, type Node, type Pod } from '@skiff/api';
import type { NodeToPods } from './manage.ts';
import { isPodUpdated, templateGenerationOrUndefined } from './pod-template.ts';
import { nodeShouldRunDaemonPod } from './predicates.ts';
import { surgeCount, unavailableCount } from './strategy.ts';

/**
 * findUpdatedPodsOnNode: the node's one new and one old pod (deleted pods ignored); ok false when it
 * has more than one of either (the core loop prunes those first).
 */
export function findUpdatedPodsOnNode(ds: DaemonSet, pods: readonly Pod[] | undefined, hash: string): { newPod?: Pod; oldPod?: Pod; ok: boolean } {
  const generation = templateGenerationOrUndefined(ds);
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const pod of pods ?? []) {
    if (pod.metadata.deletionTimestamp) continue;
    if (isPodUpdated(pod, hash, generation)) {
      if (newPod) return { ok: false };
      newPod = pod;
    } else {
      if (oldPod) return { ok: false };
      oldPod = pod;
    }
  }
  return { newPod, oldPod, ok: true };
}

export interface NodeCounts {
  maxSurge: number;
  maxUnavailable: number;
  desiredNumberScheduled: number;
}

/**
 * updatedDesiredNodeCounts: the numbers, and every node that should run a pod gets an (empty) entry in
 * `byNode`. Zero surge and zero unavailability is impossible: then one may be unavailable.
 */
export function updatedDesiredNodeCounts(ds: DaemonSet, nodes: readonly Node[], byNode: NodeToPods): NodeCounts {
  let desired = 0;
  for (const node of nodes) {
    if (!nodeShouldRunDaemonPod(node, ds).shouldRun) continue;
    desired++;
    if (!byNode.has(node.metadata.name!)) byNode.set(node.metadata.name!, []);
  }
  let maxUnavailable: number;
  let maxSurge: number;
  try {
    maxUnavailable = unavailableCount(ds, desired);
  } catch (e) {
    throw new Error(`invalid value for MaxUnavailable: ${(e as Error).message}`);
  }
  try {
    maxSurge = surgeCount(ds, desired);
  } catch (e) {
    throw new Error(`invalid value for MaxSurge: ${(e as Error).message}`);
  }
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable, desiredNumberScheduled: desired };
}

export interface RollingPlan {
  deletes: Pod[];
  nodesToCreate: string[];
}

export interface RollingInput {
  ds: DaemonSet;
  nodes: readonly Node[];
  /** a copy: nodes that should run a pod are added to it */
  byNode: NodeToPods;
  hash: string;
  now: number;
}

export function planRollingUpdate({ ds, nodes, byNode, hash, now }: RollingInput): RollingPlan {
  const { maxSurge, maxUnavailable, desiredNumberScheduled } = updatedDesiredNodeCounts(ds, nodes, byNode);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const available = (p: Pod) => isPodAvailable(p, minReady, now);

  if (maxSurge === 0) {
    let numUnavailable = 0;
    const allowedReplacements: Pod[] = [];
    const candidates: Pod[] = [];
    for (const pods of byNode.values()) {
      const { newPod, oldPod, ok } = findUpdatedPodsOnNode(ds, pods, hash);
      if (!ok) {
        // the core loop prunes this node first; it counts as unavailable
        numUnavailable++;
        continue;
      }
      if ((!oldPod && !newPod) || (oldPod && newPod)) {
        // the core loop creates or deletes here
        numUnavailable++;
      } else if (newPod) {
        if (!available(newPod)) numUnavailable++;
      } else if (oldPod) {
        if (!available(oldPod)) {
          // an old pod that is not available is replaced at once
          allowedReplacements.push(oldPod);
          numUnavailable++;
        } else if (numUnavailable < maxUnavailable) {
          candidates.push(oldPod);
        }
      }
    }
    const remaining = Math.min(Math.max(maxUnavailable - numUnavailable, 0), candidates.length);
    return { deletes: [...allowedReplacements, ...candidates.slice(0, remaining)], nodesToCreate: [] };
  }

  const nodeByName = new Map(nodes.map((n) => [n.metadata.name!, n]));
  // (kube fails the sync on a pod whose node is gone until its pod GC removes the pod; here such a
  // node simply should not run one)
  const shouldRun = (name: string) => {
    const node = nodeByName.get(name);
    return node !== undefined && nodeShouldRunDaemonPod(node, ds).shouldRun;
  };
  const oldPodsToDelete: Pod[] = [];
  const shouldNotRunPodsToDelete: Pod[] = [];
  const candidateNewNodes: string[] = [];
  const allowedNewNodes: string[] = [];
  let numSurge = 0;
  let numAvailable = 0;
  for (const [name, pods] of byNode) {
    const { newPod, oldPod, ok } = findUpdatedPodsOnNode(ds, pods, hash);
    if (!ok) {
      numSurge++;
      continue;
    }
    // availability over every node, those being given up included
    if (oldPod ? available(oldPod) : newPod ? available(newPod) : false) numAvailable++;
    if (!oldPod) continue; // the core loop handles it
    if (!newPod) {
      if (!available(oldPod)) {
        if (!shouldRun(name)) {
          oldPodsToDelete.push(oldPod);
          continue;
        }
        allowedNewNodes.push(name);
      } else {
        if (!shouldRun(name)) {
          shouldNotRunPodsToDelete.push(oldPod);
          continue;
        }
        if (numSurge >= maxSurge) continue;
        candidateNewNodes.push(name);
      }
    } else if (!available(newPod)) {
      numSurge++;
    } else {
      oldPodsToDelete.push(oldPod);
    }
  }
  // with surge the owner expects full availability: a pod on a node given up goes only when a pod
  // elsewhere has become available in its place
  const deletable = Math.min(numAvailable - desiredNumberScheduled, shouldNotRunPodsToDelete.length);
  if (deletable > 0) oldPodsToDelete.push(...shouldNotRunPodsToDelete.slice(0, deletable));
  const remainingSurge = Math.min(Math.max(maxSurge - numSurge, 0), candidateNewNodes.length);
  return { deletes: oldPodsToDelete, nodesToCreate: [...allowedNewNodes, ...candidateNewNodes.slice(0, remainingSurge)] };
}
