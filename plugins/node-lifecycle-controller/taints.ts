// The taints a node's conditions call for, as kube's node lifecycle controller sets them:
// NoSchedule ones for every condition (TaintNodesByCondition) and NoExecute ones for not-ready and
// unreachable (taint-based eviction; their addition is rate-limited per zone by the caller).
import type { Node, Taint } from '@skiff/api';
import { readyCondition } from './health.ts';

export const NOT_READY = 'node.kubernetes.io/not-ready';
export const UNREACHABLE = 'node.kubernetes.io/unreachable';
const BY_CONDITION: [type: string, status: string, key: string][] = [
  ['MemoryPressure', 'True', 'node.kubernetes.io/memory-pressure'],
  ['DiskPressure', 'True', 'node.kubernetes.io/disk-pressure'],
  ['PIDPressure', 'True', 'node.kubernetes.io/pid-pressure'],
  ['NetworkUnavailable', 'True', 'node.kubernetes.io/network-unavailable'],
];
export const UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
/** every taint key this controller owns (others on the node are left alone) */
export const OWNED_KEYS = new Set([NOT_READY, UNREACHABLE, UNSCHEDULABLE, ...BY_CONDITION.map((b) => b[2])]);

/** The NoSchedule taints the node's conditions and spec call for. */
export function desiredNoSchedule(node: Node): Taint[] {
  const out: Taint[] = [];
  const ready = readyCondition(node)?.status;
  if (ready === 'False') out.push({ key: NOT_READY, effect: 'NoSchedule' });
  else if (ready === 'Unknown' || ready === undefined) out.push({ key: UNREACHABLE, effect: 'NoSchedule' });
  for (const [type, status, key] of BY_CONDITION) {
    if (node.status?.conditions?.some((c) => c.type === type && c.status === status)) out.push({ key, effect: 'NoSchedule' });
  }
  if (node.spec?.unschedulable) out.push({ key: UNSCHEDULABLE, effect: 'NoSchedule' });
  return out;
}

/** The NoExecute taint the Ready condition calls for, if any. */
export function desiredNoExecute(node: Node): Taint | undefined {
  const ready = readyCondition(node)?.status;
  if (ready === 'False') return { key: NOT_READY, effect: 'NoExecute' };
  if (ready === 'Unknown') return { key: UNREACHABLE, effect: 'NoExecute' };
  return undefined;
}

const same = (a: Taint, b: Taint) => a.key === b.key && a.effect === b.effect;

/**
 * The node's taints with the owned ones made as desired. `addNoExecute` false keeps a NoExecute
 * taint that is due out (the zone's rate limiter said wait); removals always happen.
 * Returns undefined when nothing changes.
 */
export function reconcileTaints(node: Node, stamp: string, addNoExecute: boolean): { taints: Taint[]; addedNoExecute: boolean } | undefined {
  const cur = node.spec?.taints ?? [];
  const want = desiredNoSchedule(node);
  const ne = desiredNoExecute(node);
  if (ne && (addNoExecute || cur.some((t) => same(t, ne)))) want.push(ne);
  const kept = cur.filter((t) => !OWNED_KEYS.has(t.key) || want.some((w) => same(w, t)));
  const added = want.filter((w) => !cur.some((t) => same(t, w))).map((w) => (w.effect === 'NoExecute' ? { ...w, timeAdded: stamp } : w));
  if (added.length === 0 && kept.length === cur.length) return undefined;
  return { taints: [...kept, ...added], addedNoExecute: added.some((t) => t.effect === 'NoExecute') };
}
