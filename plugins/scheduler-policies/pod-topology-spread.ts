// PodTopologySpread: spec.topologySpreadConstraints. DoNotSchedule constraints filter: placing the
// pod must keep (pods matching the selector in the pod's namespace, in the node's domain) + (1 if
// the pod itself matches) - (the smallest count over all domains, 0 while there are fewer domains
// than minDomains) <= maxSkew; a node without the topology key is out. ScheduleAnyway constraints
// score: fewer matching pods in the node's domain is better.
//
// Counts per topology domain are computed once per cycle (PreFilter / PreScore) from every node of
// the snapshot that qualifies (has all the constraints' keys, and, per nodeAffinityPolicy /
// nodeTaintsPolicy, matches the pod's node affinity / tolerates the node's taints).
import type { ClusterSnapshot, NodeInfo, NodeScore, PodInfo, SchedulerPolicy } from '@skiff/plugin-scheduler/framework';
import { MAX_NODE_SCORE, SUCCESS } from '@skiff/plugin-scheduler/framework';
import { requiredNodeAffinityMatches, requiredNodeAffinityOf, type RequiredNodeAffinity } from './node-selector.ts';
import { policyPlugin, type BaseConfig } from './plugin-kit.ts';
import { compileSelector, type LabelMatcher } from './selector.ts';
import { firstUntoleratedHardTaint, isTerminating, specOf, tolerationsOf, type LabelSelector } from './pod-spec.ts';

export const POD_TOPOLOGY_SPREAD = 'PodTopologySpread';
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + ' (missing required label)';
export const LABEL_HOSTNAME = 'kubernetes.io/hostname';

const PRE_FILTER_KEY = 'PreFilter' + POD_TOPOLOGY_SPREAD;
const PRE_SCORE_KEY = 'PreScore' + POD_TOPOLOGY_SPREAD;
const MAX_INT32 = 2 ** 31 - 1;

export interface Constraint {
  maxSkew: number;
  topologyKey: string;
  /** labelSelector with matchLabelKeys merged in; undefined selects nothing */
  selector: LabelSelector | undefined;
  matches: LabelMatcher;
  minDomains: number;
  honorAffinity: boolean;
  honorTaints: boolean;
  /** does the incoming pod match its own selector */
  selfMatch: boolean;
}

export function constraintsOf(pod: PodInfo, when: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
  const list = specOf(pod).topologySpreadConstraints;
  if (!Array.isArray(list)) return [];
  const out: Constraint[] = [];
  for (const c of list) {
    if (!c || c.whenUnsatisfiable !== when || typeof c.topologyKey !== 'string') continue;
    let selector = c.labelSelector && typeof c.labelSelector === 'object' ? c.labelSelector : undefined;
    if (selector && Array.isArray(c.matchLabelKeys) && c.matchLabelKeys.length) {
      const extra = c.matchLabelKeys
        .filter((k) => Object.prototype.hasOwnProperty.call(pod.labels, k))
        .map((k) => ({ key: k, operator: 'In' as const, values: [pod.labels[k]] }));
      selector = { ...selector, matchExpressions: [...(selector.matchExpressions ?? []), ...extra] };
    }
    const matches = compileSelector(selector);
    out.push({
      matches,
      maxSkew: typeof c.maxSkew === 'number' && c.maxSkew > 0 ? c.maxSkew : 1,
      topologyKey: c.topologyKey,
      selector,
      minDomains: typeof c.minDomains === 'number' && c.minDomains > 0 ? c.minDomains : 1,
      honorAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
      honorTaints: c.nodeTaintsPolicy === 'Honor',
      selfMatch: matches(pod.labels),
    });
  }
  return out;
}

function hasAllKeys(node: NodeInfo, cs: readonly Constraint[]): boolean {
  for (const c of cs) if (!Object.prototype.hasOwnProperty.call(node.labels, c.topologyKey)) return false;
  return true;
}

/** Does this node take part in the constraint's counting (nodeAffinityPolicy / nodeTaintsPolicy)? */
function nodeIncluded(c: Constraint, pod: PodInfo, node: NodeInfo, affinity: RequiredNodeAffinity): boolean {
  if (c.honorAffinity && !requiredNodeAffinityMatches(affinity, node)) return false;
  if (c.honorTaints && firstUntoleratedHardTaint(node.taints, tolerationsOf(pod))) return false;
  return true;
}

export function countMatching(pods: readonly PodInfo[], matches: LabelMatcher, namespace: string): number {
  let n = 0;
  for (let i = 0; i < pods.length; i++) {
    const p = pods[i];
    if (p.namespace !== namespace || !matches(p.labels) || isTerminating(p)) continue;
    n++;
  }
  return n;
}

interface FilterState {
  constraints: Constraint[];
  /** per constraint: topology value -> matching pods */
  counts: Map<string, number>[];
  /** per constraint: the smallest count over its domains (MAX_INT32 when none) */
  min: number[];
}

const EMPTY_FILTER_STATE: FilterState = Object.freeze({ constraints: [], counts: [], min: [] }) as unknown as FilterState;

function computeFilterState(pod: PodInfo, snapshot: ClusterSnapshot): FilterState {
  const constraints = constraintsOf(pod, 'DoNotSchedule');
  if (constraints.length === 0) return EMPTY_FILTER_STATE;
  const affinity = requiredNodeAffinityOf(pod);
  const counts = constraints.map(() => new Map<string, number>());
  for (const node of snapshot.nodes()) {
    if (!hasAllKeys(node, constraints)) continue;
    for (let i = 0; i < constraints.length; i++) {
      const c = constraints[i];
      if (!nodeIncluded(c, pod, node, affinity)) continue;
      const v = node.labels[c.topologyKey];
      counts[i].set(v, (counts[i].get(v) ?? 0) + countMatching(node.pods, c.matches, pod.namespace));
    }
  }
  const min = constraints.map((c, i) => {
    if (counts[i].size < c.minDomains) return 0;
    let m = MAX_INT32;
    for (const n of counts[i].values()) if (n < m) m = n;
    return m;
  });
  return { constraints, counts, min };
}

interface ScoreState {
  constraints: Constraint[];
  counts: Map<string, number>[];
  /** per constraint: log(number of domains + 2) */
  weights: number[];
  /** candidate nodes lacking a constraint's topology key: score 0 */
  ignored: Set<string>;
}

function computeScoreState(pod: PodInfo, nodes: NodeInfo[], snapshot: ClusterSnapshot): ScoreState | undefined {
  const constraints = constraintsOf(pod, 'ScheduleAnyway');
  if (constraints.length === 0) return undefined;
  const affinity = requiredNodeAffinityOf(pod);
  const ignored = new Set<string>();
  const counts = constraints.map(() => new Map<string, number>());
  // the domains are those of the candidate nodes
  for (const node of nodes) {
    if (!hasAllKeys(node, constraints)) {
      ignored.add(node.name);
      continue;
    }
    for (let i = 0; i < constraints.length; i++) counts[i].set(node.labels[constraints[i].topologyKey], 0);
  }
  const weights = constraints.map((c, i) =>
    Math.log((c.topologyKey === LABEL_HOSTNAME ? nodes.length - ignored.size : counts[i].size) + 2),
  );
  // the counts come from every qualifying node of the cluster
  for (const node of snapshot.nodes()) {
    if (!hasAllKeys(node, constraints)) continue;
    for (let i = 0; i < constraints.length; i++) {
      const c = constraints[i];
      const v = node.labels[c.topologyKey];
      const have = counts[i].get(v);
      if (have === undefined || !nodeIncluded(c, pod, node, affinity)) continue;
      counts[i].set(v, have + countMatching(node.pods, c.matches, pod.namespace));
    }
  }
  return { constraints, counts, weights, ignored };
}

export function podTopologySpread(): SchedulerPolicy {
  return {
    name: POD_TOPOLOGY_SPREAD,
    events: ['PodAdd', 'PodUpdate', 'PodDelete', 'NodeAdd', 'NodeUpdate', 'NodeDelete'],
    preFilter(state, pod, snapshot) {
      const s = computeFilterState(pod, snapshot);
      state.write(PRE_FILTER_KEY, s);
      if (s.constraints.length === 0) return { status: { code: 'Skip' } };
    },
    filter(state, pod, node) {
      const s = state.read<FilterState>(PRE_FILTER_KEY);
      if (!s) return { code: 'Error', reasons: [`${POD_TOPOLOGY_SPREAD}: PreFilter state missing`] };
      const cs = s.constraints;
      for (let i = 0; i < cs.length; i++) {
        const c = cs[i];
        const v = node.labels[c.topologyKey];
        if (v === undefined) return { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_NODE_LABEL_NOT_MATCH] };
        const matchNum = s.counts[i].get(v) ?? 0;
        const skew = matchNum + (c.selfMatch ? 1 : 0) - s.min[i];
        if (skew > c.maxSkew) return { code: 'Unschedulable', reasons: [ERR_REASON_CONSTRAINTS_NOT_MATCH] };
      }
      return SUCCESS;
    },
    preScore(state, pod, nodes, snapshot) {
      const s = computeScoreState(pod, nodes, snapshot);
      if (!s) return { code: 'Skip' };
      state.write(PRE_SCORE_KEY, s);
    },
    score(state, _pod, node) {
      const s = state.read<ScoreState>(PRE_SCORE_KEY);
      if (!s || s.ignored.has(node.name)) return 0;
      let score = 0;
      for (let i = 0; i < s.constraints.length; i++) {
        const c = s.constraints[i];
        const v = node.labels[c.topologyKey];
        if (v === undefined) continue;
        score += (s.counts[i].get(v) ?? 0) * s.weights[i] + (c.maxSkew - 1);
      }
      return Math.round(score);
    },
    normalizeScore(state, _pod, scores: NodeScore[]) {
      const s = state.read<ScoreState>(PRE_SCORE_KEY);
      if (!s) return;
      let min = Number.MAX_SAFE_INTEGER;
      let max = 0;
      for (const x of scores) {
        if (s.ignored.has(x.name)) continue;
        if (x.score < min) min = x.score;
        if (x.score > max) max = x.score;
      }
      for (const x of scores) {
        if (s.ignored.has(x.name)) x.score = 0;
        else if (max === 0) x.score = MAX_NODE_SCORE;
        else x.score = Math.trunc((MAX_NODE_SCORE * (max + min - x.score)) / max);
      }
    },
  };
}

export const podTopologySpreadPlugin = policyPlugin<BaseConfig>({
  name: 'pod-topology-spread',
  weight: 2,
  create: () => podTopologySpread(),
});
