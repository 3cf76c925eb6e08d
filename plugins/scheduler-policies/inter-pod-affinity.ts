// InterPodAffinity: required pod affinity / anti-affinity of the incoming pod, and the required
// anti-affinity of the pods already placed against the incoming one, by topology domain; preferred
// terms (both ways) as a weighted score. A term selects pods by labelSelector in its namespaces
// (`namespaces` + `namespaceSelector`; neither = the term owner's namespace; `{}` selector = all).
//
// PreFilter counts, per topology domain, the existing pods matching the incoming pod's terms and
// the existing anti-affinity terms matching the incoming pod; PreScore sums the weighted preferred
// matches per domain. Filter and Score then only look the node's domains up.
//
// The term model and counting helpers live in inter-pod-affinity-terms.ts.
import type { ClusterSnapshot, NodeInfo, NodeScore, PodInfo, PolicyStatus, SchedulerPolicy } from '@skiff/plugin-scheduler/framework';
import { MAX_NODE_SCORE, SUCCESS } from '@skiff/plugin-scheduler/framework';
import { policyPlugin, type BaseConfig } from './plugin-kit.ts';
import {
  AffinityPodCounter, affinityOf, bump, lookup, matchesAll, termMatchesPod,
  type NamespaceLabels, type ParsedAffinity, type TopologyCounts,
} from './inter-pod-affinity-terms.ts';

export {
  AffinityPodCounter, affinityOf, affinityPodsOf, termMatchesPod,
  type AffinityTerm, type NamespaceLabels, type ParsedAffinity,
} from './inter-pod-affinity-terms.ts';

export const INTER_POD_AFFINITY = 'InterPodAffinity';
export const ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules";
export const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules";

const PRE_FILTER_KEY = 'PreFilter' + INTER_POD_AFFINITY;
const PRE_SCORE_KEY = 'PreScore' + INTER_POD_AFFINITY;

/** shared empty counts (never written: bump only writes into a cycle's own maps) */
const NO_COUNTS: TopologyCounts = new Map();
const NO_SCORES: [string, Map<string, number>][] = [];
const SKIP: PolicyStatus = Object.freeze({ code: 'Skip' }) as PolicyStatus;

interface FilterState {
  pod: ParsedAffinity;
  /** existing pods matching all of the incoming pod's required affinity terms, per domain */
  affinityCounts: TopologyCounts;
  /** existing pods matching each required anti-affinity term of the incoming pod, per domain */
  antiAffinityCounts: TopologyCounts;
  /** existing pods whose required anti-affinity terms match the incoming pod, per domain */
  existingAntiAffinityCounts: TopologyCounts;
  /** existingAntiAffinityCounts as an array, for the per-node loop */
  existingAnti: [string, Map<string, number>][];
  /** the incoming pod matches all its own affinity terms (the first pod of a group may go anywhere) */
  selfMatchesAffinity: boolean;
}

export interface InterPodAffinityOptions {
  /** score added for every existing pod whose *required* affinity matches the incoming pod; default 1 */
  hardPodAffinityWeight?: number;
  /** do not score by the preferred terms of the existing pods */
  ignorePreferredTermsOfExistingPods?: boolean;
  /** namespace labels for namespaceSelector (without it only `{}` and explicit namespaces match) */
  namespaceLabels?: NamespaceLabels;
}

const noNamespaceLabels: NamespaceLabels = () => undefined;

export function interPodAffinity(opts: InterPodAffinityOptions = {}): SchedulerPolicy {
  const hardWeight = opts.hardPodAffinityWeight ?? 1;
  const ignoreExistingPreferred = opts.ignorePreferredTermsOfExistingPods ?? false;
  const nsLabels = opts.namespaceLabels ?? noNamespaceLabels;

  const counter = new AffinityPodCounter();

  /** The incoming pod's required terms against an existing pod, and the existing pod's required anti-affinity against it. */
  function addExisting(s: FilterState, pod: PodInfo, a: ParsedAffinity, incomingRequired: boolean, node: NodeInfo, existing: PodInfo): void {
    if (existing.uid === pod.uid) return;
    const e = affinityOf(existing);
    for (const t of e.requiredAntiAffinity) {
      if (termMatchesPod(t, pod, nsLabels)) bump(s.existingAntiAffinityCounts, t.topologyKey, node, 1);
    }
    if (!incomingRequired) return;
    if (matchesAll(a.requiredAffinity, existing, nsLabels)) {
      for (const t of a.requiredAffinity) bump(s.affinityCounts, t.topologyKey, node, 1);
    }
    for (const t of a.requiredAntiAffinity) {
      if (termMatchesPod(t, existing, nsLabels)) bump(s.antiAffinityCounts, t.topologyKey, node, 1);
    }
  }

  function computeFilterState(pod: PodInfo, snapshot: ClusterSnapshot, token: object): FilterState {
    const a = affinityOf(pod);
    const incomingRequired = a.requiredAffinity.length > 0 || a.requiredAntiAffinity.length > 0;
    counter.sync(snapshot, token);
    // nothing to count: no term of the incoming pod, and no existing pod with required anti-affinity
    if (!incomingRequired && counter.withRequiredAnti === 0) {
      return { pod: a, affinityCounts: NO_COUNTS, antiAffinityCounts: NO_COUNTS, existingAntiAffinityCounts: NO_COUNTS, existingAnti: [], selfMatchesAffinity: false };
    }
    const s: FilterState = {
      pod: a,
      affinityCounts: new Map(),
      antiAffinityCounts: new Map(),
      existingAntiAffinityCounts: new Map(),
      existingAnti: [],
      selfMatchesAffinity: matchesAll(a.requiredAffinity, pod, nsLabels),
    };
    if (incomingRequired) {
      for (const node of snapshot.nodes()) for (const existing of node.pods) addExisting(s, pod, a, true, node, existing);
    } else {
      // only the pods with required anti-affinity terms can matter
      counter.forEachNode(true, (node, pods) => {
        for (const existing of pods) addExisting(s, pod, a, false, node, existing);
      });
    }
    s.existingAnti = [...s.existingAntiAffinityCounts];
    return s;
  }

  function satisfiesAffinity(s: FilterState, node: NodeInfo): boolean {
    let podsExist = true;
    for (const t of s.pod.requiredAffinity) {
      const v = node.labels[t.topologyKey];
      if (v === undefined) return false; // every topology key must be on the node
      if (lookup(s.affinityCounts, t.topologyKey, v) <= 0) podsExist = false;
    }
    if (podsExist) return true;
    // the first pod of a group with affinity to itself: no pod matches yet, the pod matches its own terms
    return s.affinityCounts.size === 0 && s.selfMatchesAffinity;
  }

  function satisfiesAntiAffinity(s: FilterState, node: NodeInfo): boolean {
    for (const t of s.pod.requiredAntiAffinity) {
      const v = node.labels[t.topologyKey];
      if (v !== undefined && lookup(s.antiAffinityCounts, t.topologyKey, v) > 0) return false;
    }
    return true;
  }

  function satisfiesExistingAntiAffinity(s: FilterState, node: NodeInfo): boolean {
    const list = s.existingAnti;
    for (let i = 0; i < list.length; i++) {
      const v = node.labels[list[i][0]];
      if (v !== undefined && (list[i][1].get(v) ?? 0) > 0) return false;
    }
    return true;
  }

  function addScores(scores: TopologyCounts, pod: PodInfo, a: ParsedAffinity, incomingPreferred: boolean, node: NodeInfo, existing: PodInfo): void {
    if (existing.uid === pod.uid) return;
    const e = affinityOf(existing);
    if (!incomingPreferred && !e.any) return;
    for (const t of a.preferredAffinity) if (termMatchesPod(t, existing, nsLabels)) bump(scores, t.topologyKey, node, t.weight);
    for (const t of a.preferredAntiAffinity) if (termMatchesPod(t, existing, nsLabels)) bump(scores, t.topologyKey, node, -t.weight);
    if (hardWeight > 0) {
      for (const t of e.requiredAffinity) if (termMatchesPod(t, pod, nsLabels)) bump(scores, t.topologyKey, node, hardWeight);
    }
    if (!ignoreExistingPreferred) {
      for (const t of e.preferredAffinity) if (termMatchesPod(t, pod, nsLabels)) bump(scores, t.topologyKey, node, t.weight);
      for (const t of e.preferredAntiAffinity) if (termMatchesPod(t, pod, nsLabels)) bump(scores, t.topologyKey, node, -t.weight);
    }
  }

  function computeScoreState(pod: PodInfo, snapshot: ClusterSnapshot, token: object): TopologyCounts {
    const a = affinityOf(pod);
    const incomingPreferred = a.preferredAffinity.length > 0 || a.preferredAntiAffinity.length > 0;
    counter.sync(snapshot, token);
    // nothing to score: no preferred term of the incoming pod, and no existing pod with any term
    if (!incomingPreferred && counter.withAffinity === 0) return NO_COUNTS;
    const scores: TopologyCounts = new Map();
    if (incomingPreferred) {
      for (const node of snapshot.nodes()) for (const existing of node.pods) addScores(scores, pod, a, true, node, existing);
    } else {
      counter.forEachNode(false, (node, pods) => {
        for (const existing of pods) addScores(scores, pod, a, false, node, existing);
      });
    }
    return scores;
  }

  return {
    name: INTER_POD_AFFINITY,
    events: ['PodAdd', 'PodUpdate', 'PodDelete', 'NodeAdd', 'NodeUpdate'],
    preFilter(state, pod, snapshot) {
      const s = computeFilterState(pod, snapshot, state);
      state.write(PRE_FILTER_KEY, s);
      if (s.pod.requiredAffinity.length === 0 && s.pod.requiredAntiAffinity.length === 0 && s.existingAntiAffinityCounts.size === 0) {
        return { status: SKIP };
      }
    },
    filter(state, _pod, node) {
      const s = state.read<FilterState>(PRE_FILTER_KEY);
      if (!s) return { code: 'Error', reasons: [`${INTER_POD_AFFINITY}: PreFilter state missing`] };
      if (!satisfiesAffinity(s, node)) return { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_AFFINITY_RULES_NOT_MATCH] };
      if (!satisfiesAntiAffinity(s, node)) return { code: 'Unschedulable', reasons: [ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH] };
      if (!satisfiesExistingAntiAffinity(s, node)) return { code: 'Unschedulable', reasons: [ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH] };
      return SUCCESS;
    },
    preScore(state, pod, _nodes, snapshot) {
      const counts = computeScoreState(pod, snapshot, state);
      const scores = counts.size === 0 ? NO_SCORES : [...counts];
      state.write(PRE_SCORE_KEY, scores);
      if (scores.length === 0) return SKIP;
    },
    score(state, _pod, node) {
      const scores = state.read<[string, Map<string, number>][]>(PRE_SCORE_KEY);
      if (!scores) return 0;
      let total = 0;
      for (let i = 0; i < scores.length; i++) {
        const v = node.labels[scores[i][0]];
        if (v !== undefined) total += scores[i][1].get(v) ?? 0;
      }
      return total;
    },
    normalizeScore(state, _pod, scores: NodeScore[]) {
      const s = state.read<[string, Map<string, number>][]>(PRE_SCORE_KEY);
      if (!s || s.length === 0) return;
      let min = Infinity;
      let max = -Infinity;
      for (const x of scores) {
        if (x.score < min) min = x.score;
        if (x.score > max) max = x.score;
      }
      const diff = max - min;
      for (const x of scores) x.score = diff > 0 ? Math.trunc((MAX_NODE_SCORE * (x.score - min)) / diff) : 0;
    },
  };
}

export interface InterPodAffinityConfig extends BaseConfig, Omit<InterPodAffinityOptions, 'namespaceLabels'> {}

export const interPodAffinityPlugin = policyPlugin<InterPodAffinityConfig>({
  name: 'inter-pod-affinity',
  weight: 2,
  properties: {
    hardPodAffinityWeight: { type: 'integer', minimum: 0, maximum: 100, default: 1 },
    ignorePreferredTermsOfExistingPods: { type: 'boolean', default: false },
  },
  create: (config) => interPodAffinity(config),
});
