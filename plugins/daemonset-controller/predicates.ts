// Which nodes a DaemonSet's pod belongs on, as kube's daemon controller's NodeShouldRunDaemonPod: the
// template's nodeName, nodeSelector and required node affinity must match, and every NoSchedule /
// NoExecute taint must be tolerated by the template's tolerations plus the ones kube adds to every
// daemon pod. A node whose NoSchedule taint is not tolerated keeps a pod already there
// (shouldContinueRunning) unless a NoExecute taint is not tolerated either.
import {
  doNotScheduleTaintsFilter, findMatchingUntoleratedTaint, nodeLabelsMatch, nodeSelectorTarget, nodeSelectorTermsMatch,
  type DaemonSet, type Node, type NodeSelectorTerm, type PodSpec, type Toleration,
} from '@skiff/api';

export interface NodeVerdict {
  /** a daemon pod should be created here */
  shouldRun: boolean;
  /** a daemon pod already here may stay */
  shouldContinueRunning: boolean;
}

const exists = (key: string, effect: 'NoSchedule' | 'NoExecute'): Toleration => ({ key, operator: 'Exists', effect });

/** The tolerations kube's AddOrUpdateDaemonPodTolerations adds, in its order. */
export function daemonPodTolerations(hostNetwork: boolean): Toleration[] {
  const out = [
    exists('node.kubernetes.io/not-ready', 'NoExecute'),
    exists('node.kubernetes.io/unreachable', 'NoExecute'),
    exists('node.kubernetes.io/disk-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/memory-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/pid-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/unschedulable', 'NoSchedule'),
  ];
  if (hostNetwork) out.push(exists('node.kubernetes.io/network-unavailable', 'NoSchedule'));
  return out;
}

const same = (a: Toleration, b: Toleration) =>
  (a.key ?? '') === (b.key ?? '') && (a.operator ?? '') === (b.operator ?? '') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '');

/**
 * The spec's tolerations with the daemon ones added (AddOrUpdateTolerationInPodSpec): a toleration with
 * the same key, operator, value and effect is replaced in place (so a tolerationSeconds goes), others are
 * appended. Returns a new array; `spec` is not changed.
 */
export function withDaemonTolerations(spec: PodSpec | undefined): Toleration[] {
  let tolerations = [...(spec?.tolerations ?? [])];
  for (const t of daemonPodTolerations(spec?.hostNetwork === true)) {
    const i = tolerations.findIndex((p) => same(t, p));
    if (i < 0) tolerations.push(t);
    else if (JSON.stringify(tolerations[i]) !== JSON.stringify(t)) tolerations = tolerations.map((p, j) => (j === i ? t : p));
  }
  return tolerations;
}

/** What of a DaemonSet decides where its pods go, computed once per DaemonSet object. */
interface Placement {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  /** undefined: no required node affinity */
  terms?: NodeSelectorTerm[];
  tolerations: Toleration[];
}

const placements = new WeakMap<DaemonSet, Placement>();

function placementOf(ds: DaemonSet): Placement {
  let p = placements.get(ds);
  if (!p) {
    const spec = ds.spec?.template?.spec;
    const required = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    p = {
      nodeName: spec?.nodeName || undefined,
      nodeSelector: spec?.nodeSelector,
      terms: required ? (required.nodeSelectorTerms ?? []) : undefined,
      tolerations: withDaemonTolerations(spec),
    };
    placements.set(ds, p);
  }
  return p;
}

/** nodeSelector and required node affinity (component-helpers' GetRequiredNodeAffinity(pod).Match). */
export function nodeMatchesDaemonSet(node: Node, ds: DaemonSet): boolean {
  const p = placementOf(ds);
  const target = nodeSelectorTarget(node);
  if (!nodeLabelsMatch(p.nodeSelector, target.labels)) return false;
  if (p.terms && !nodeSelectorTermsMatch(p.terms, target)) return false;
  return true;
}

/** NodeShouldRunDaemonPod. */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): NodeVerdict {
  const p = placementOf(ds);
  if (p.nodeName && p.nodeName !== node.metadata.name) return { shouldRun: false, shouldContinueRunning: false };
  if (!nodeMatchesDaemonSet(node, ds)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints;
  if (findMatchingUntoleratedTaint(taints, p.tolerations, doNotScheduleTaintsFilter)) {
    // a pod already there stays while every NoExecute taint is tolerated
    const noExecute = findMatchingUntoleratedTaint(taints, p.tolerations, (t) => t.effect === 'NoExecute');
    return { shouldRun: false, shouldContinueRunning: !noExecute };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}
