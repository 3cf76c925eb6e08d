// Which pods go first on a scale-down: kube's ActivePodsWithRanks ordering (pkg/controller), with
// the LogarithmicScaleDown and PodDeletionCost features on (their defaults). Lower sorts first and
// is deleted first:
//  1. unassigned < assigned
//  2. Pending < Unknown < Running
//  3. not ready < ready
//  4. lower controller.kubernetes.io/pod-deletion-cost < higher
//  5. more pods of related ReplicaSets on the same node (higher rank) < fewer
//  6. ready more recently < ready longer (log2 buckets of the time since; ties by uid)
//  7. more container restarts < fewer (regular containers, then restartable init containers)
//  8. created more recently < created earlier (log2 buckets; ties by uid)
import { isPodActive, isPodReady, podReadyCondition, type Pod } from '@skiff/api';

export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/** The pod-deletion-cost annotation as an int32; missing or malformed counts as 0. */
export function deletionCost(pod: Pod): number {
  const v = pod.metadata.annotations?.[POD_DELETION_COST];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return 0;
  const n = Number(v);
  return n >= -2147483648 && n <= 2147483647 ? n : 0;
}

/** Time of the Ready=True transition of a ready pod (0: not ready or unknown). */
function readyTime(pod: Pod): number {
  if (!isPodReady(pod)) return 0;
  const t = podReadyCondition(pod.status)?.lastTransitionTime;
  return t ? Date.parse(t) || 0 : 0;
}

const created = (pod: Pod) => (pod.metadata.creationTimestamp ? Date.parse(pod.metadata.creationTimestamp) || 0 : 0);

/** afterOrZero: a zero time counts as after any other. */
const afterOrZero = (a: number, b: number) => (a === 0 || b === 0 ? a === 0 : a > b);

/** int(log2(now - t in nanoseconds)), or -1 for t not in the past (kube's logarithmicRankDiff). */
function logRank(t: number, now: number): number {
  const d = (now - t) * 1e6;
  return d > 0 ? Math.floor(Math.log2(d)) : -1;
}

function maxRestarts(pod: Pod): [regular: number, sidecar: number] {
  let regular = 0;
  for (const c of pod.status?.containerStatuses ?? []) regular = Math.max(regular, c.restartCount ?? 0);
  let sidecar = 0;
  const restartable = new Set((pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  if (restartable.size) for (const c of pod.status?.initContainerStatuses ?? []) if (restartable.has(c.name)) sidecar = Math.max(sidecar, c.restartCount ?? 0);
  return [regular, sidecar];
}

/** Compare two timestamps the LogarithmicScaleDown way: the newer first. */
function newerFirst(a: number, b: number, uidA: string, uidB: string, now: number): number | undefined {
  if (a === b) return undefined;
  if (now === 0 || a === 0 || b === 0) return afterOrZero(a, b) ? -1 : 1;
  const diff = logRank(a, now) - logRank(b, now);
  if (diff === 0) return uidA < uidB ? -1 : uidA > uidB ? 1 : 0;
  return diff < 0 ? -1 : 1;
}

interface Ranked {
  pod: Pod;
  rank: number;
  nodeName: string;
  phase: number;
  ready: boolean;
  cost: number;
  readyAt: number;
  restarts: [number, number];
  created: number;
  uid: string;
}

function compare(a: Ranked, b: Ranked, now: number): number {
  // 1. unassigned < assigned
  if (a.nodeName !== b.nodeName && (a.nodeName === '' || b.nodeName === '')) return a.nodeName === '' ? -1 : 1;
  // 2. Pending < Unknown < Running
  if (a.phase !== b.phase) return a.phase - b.phase;
  // 3. not ready < ready
  if (a.ready !== b.ready) return a.ready ? 1 : -1;
  // 4. lower deletion cost < higher
  if (a.cost !== b.cost) return a.cost - b.cost;
  // 5. doubled up (more related pods on the node) < not
  if (a.rank !== b.rank) return b.rank - a.rank;
  // 6. ready for less time < more
  if (a.ready && b.ready) {
    const r = newerFirst(a.readyAt, b.readyAt, a.uid, b.uid, now);
    if (r !== undefined) return r;
  }
  // 7. more restarts < fewer
  if (a.restarts[0] !== b.restarts[0]) return b.restarts[0] - a.restarts[0];
  if (a.restarts[1] !== b.restarts[1]) return b.restarts[1] - a.restarts[1];
  // 8. newer < older
  return newerFirst(a.created, b.created, a.uid, b.uid, now) ?? 0;
}

/**
 * Sort `pods` with their ranks (count of related pods on the same node), least useful first.
 * `ranks[i]` belongs to `pods[i]`.
 */
export function sortByDeletionOrder(pods: readonly Pod[], ranks: readonly number[], now = Date.now()): Pod[] {
  const items: Ranked[] = pods.map((pod, i) => ({
    pod,
    rank: ranks[i] ?? 0,
    nodeName: pod.spec?.nodeName ?? '',
    phase: PHASE_ORDINAL[pod.status?.phase ?? 'Pending'] ?? 0,
    ready: isPodReady(pod),
    cost: deletionCost(pod),
    readyAt: readyTime(pod),
    restarts: maxRestarts(pod),
    created: created(pod),
    uid: pod.metadata.uid ?? '',
  }));
  // Array.prototype.sort is stable; kube's sort.Sort is not, which only matters for equal pods
  items.sort((a, b) => compare(a, b, now));
  return items.map((r) => r.pod);
}

/** For each pod, how many active related pods share its node (getPodsRankedByRelatedPodsOnSameNode). */
export function ranksByRelatedPodsOnSameNode(pods: readonly Pod[], related: readonly Pod[]): number[] {
  const onNode = new Map<string, number>();
  for (const p of related) {
    const node = p.spec?.nodeName;
    if (node && isPodActive(p)) onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  return pods.map((p) => onNode.get(p.spec?.nodeName ?? '') ?? 0);
}

/** The `diff` pods to delete, least useful first (getPodsToDelete). */
export function podsToDelete(pods: readonly Pod[], related: readonly Pod[], diff: number, now = Date.now()): Pod[] {
  if (diff >= pods.length) return [...pods];
  return sortByDeletionOrder(pods, ranksByRelatedPodsOnSameNode(pods, related), now).slice(0, diff);
}
