// The core loop of kube's daemon controller (manage / podsShouldBeOnNode), as a plan: which nodes need a
// daemon pod and which pods go. Failed pods are deleted (with a per-node back-off) to be made again;
// extra pods on a node are pruned (oldest kept; with surge, one old and one new while the new one is
// not available yet); pods on nodes that should not run them, and on nodes that no longer exist, go.
import { isPodAvailable, isPodReady, isPodTerminal, type DaemonSet, type Node, type Pod } from '@skiff/api';
import { Backoff } from './backoff.ts';
import { REVISION_HASH_LABEL, targetNodeName } from './pod-template.ts';
import { nodeShouldRunDaemonPod } from './predicates.ts';
import { allowsSurge } from './strategy.ts';

export type NodeToPods = Map<string, Pod[]>;

/**
 * getNodesToDaemonPods: pods by the node they are for. Terminal pods being deleted are done with (the
 * controller has nothing left to do with them) unless `includeDeletedTerminal` (history cleanup).
 */
export function nodesToDaemonPods(pods: readonly Pod[], includeDeletedTerminal = false): NodeToPods {
  const out: NodeToPods = new Map();
  for (const pod of pods) {
    if (!includeDeletedTerminal && isPodTerminal(pod) && pod.metadata.deletionTimestamp) continue;
    const node = targetNodeName(pod);
    if (node === undefined) continue;
    const list = out.get(node);
    if (list) list.push(pod);
    else out.set(node, [pod]);
  }
  return out;
}

const ts = (p: Pod) => Date.parse(p.metadata.creationTimestamp ?? '') || 0;

/** podByCreationTimestampAndPhase: scheduled pods first, then oldest first, then by name. */
export function byCreationAndPhase(a: Pod, b: Pod): number {
  const sa = !!a.spec?.nodeName;
  const sb = !!b.spec?.nodeName;
  if (sa !== sb) return sa ? -1 : 1;
  const d = ts(a) - ts(b);
  if (d !== 0) return d;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

export interface DeleteItem {
  pod: Pod;
  /** set for pods of nodes that are gone (deleted at once, as kube's pod GC does) */
  gracePeriodSeconds?: number;
}

export interface ManagePlan {
  nodesNeedingPods: string[];
  deletes: DeleteItem[];
  /** FailedDaemonPod (Warning) and SucceededDaemonPod (Normal) events to record */
  events: { type: 'Normal' | 'Warning'; reason: string; message: string }[];
  /** handle the DaemonSet again after this long (a failed pod in back-off) */
  requeueAfterMs?: number;
}

export interface ManageInput {
  ds: DaemonSet;
  nodes: readonly Node[];
  byNode: NodeToPods;
  hash: string;
  now: number;
  backoff: Backoff;
  /** delete pods whose node no longer exists (bound ones too; kube leaves those to its pod GC) */
  deletePodsOfMissingNodes: boolean;
}

/** failedPodsBackoffKey */
export const backoffKey = (ds: DaemonSet, node: string) => `${ds.metadata.uid}/${ds.status?.observedGeneration ?? 0}/${node}`;

export function planManage(input: ManageInput): ManagePlan {
  const { ds, nodes, byNode, hash, now, backoff } = input;
  const plan: ManagePlan = { nodesNeedingPods: [], deletes: [], events: [] };
  const requeue = (ms: number) => (plan.requeueAfterMs = plan.requeueAfterMs === undefined ? ms : Math.min(plan.requeueAfterMs, ms));
  const surge = allowsSurge(ds);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const del = (pod: Pod) => plan.deletes.push({ pod });

  for (const node of nodes) {
    const name = node.metadata.name!;
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
    const pods = byNode.get(name);
    if (shouldRun && !pods) {
      plan.nodesNeedingPods.push(name);
    } else if (shouldContinueRunning && pods) {
      const running: Pod[] = [];
      for (const pod of pods) {
        if (pod.metadata.deletionTimestamp) continue;
        const phase = pod.status?.phase;
        if (phase === 'Failed') {
          // a failed pod is killed so the node gets a new one, at most once per back-off period
          const key = backoffKey(ds, name);
          if (backoff.inBackoffSinceUpdate(key, now)) {
            requeue(backoff.get(key));
            continue;
          }
          backoff.next(key, now);
          const message = `Found failed daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${name}, will try to kill it`;
          plan.events.push({ type: 'Warning', reason: 'FailedDaemonPod', message });
          del(pod);
        } else if (phase === 'Succeeded') {
          // a daemon pod should never end: it goes, and the node gets a new one
          const message = `Found succeeded daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${name}, will try to delete it`;
          plan.events.push({ type: 'Normal', reason: 'SucceededDaemonPod', message });
          del(pod);
        } else {
          running.push(pod);
        }
      }
      if (!surge) {
        // more than one: keep the oldest (a node left without one gets it on the next sync)
        if (running.length <= 1) continue;
        running.sort(byCreationAndPhase);
        for (const p of running.slice(1)) del(p);
        continue;
      }
      if (running.length <= 1) {
        // surging: a node keeps at least one pod that is not being deleted
        if (running.length === 0 && shouldRun) plan.nodesNeedingPods.push(name);
        continue;
      }
      running.sort(byCreationAndPhase);
      // surge: keep the oldest new pod, and the oldest old pod while it is ready and the new one is not available
      let oldestNew: Pod | undefined;
      let oldestOld: Pod | undefined;
      for (const p of running) {
        if (p.metadata.labels?.[REVISION_HASH_LABEL] === hash) {
          if (!oldestNew) {
            oldestNew = p;
            continue;
          }
        } else if (!oldestOld) {
          oldestOld = p;
          continue;
        }
        del(p);
      }
      if (oldestNew && oldestOld) {
        if (!isPodReady(oldestOld) || isPodAvailable(oldestNew, minReady, now)) del(oldestOld);
      }
    } else if (!shouldContinueRunning && pods) {
      for (const p of pods) if (!p.metadata.deletionTimestamp) del(p);
    }
  }

  // pods for nodes that are not there: kube deletes the unscheduled ones (the pod GC takes bound ones)
  const present = new Set(nodes.map((n) => n.metadata.name!));
  for (const [name, pods] of byNode) {
    if (present.has(name)) continue;
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp) continue;
      if (!pod.spec?.nodeName) del(pod);
      else if (input.deletePodsOfMissingNodes && !pod.metadata.deletionTimestamp) plan.deletes.push({ pod, gracePeriodSeconds: 0 });
    }
  }
  return plan;
}
