// NodeAffinity: Filter enforces spec.nodeSelector and required node affinity (matchExpressions
// In/NotIn/Exists/DoesNotExist/Gt/Lt, matchFields metadata.name), plus an optional
// scheduler-enforced `addedAffinity`; Score sums the weights of the matching preferred terms,
// normalized so the best node gets 100. PreFilter narrows the candidates when every required term
// names its nodes (matchFields metadata.name In).
import type { NodeScore, PodInfo, SchedulerPolicy } from '@skiff/plugin-scheduler/framework';
import { SUCCESS } from '@skiff/plugin-scheduler/framework';
import { defaultNormalizeScore } from './normalize.ts';
import { isEmptyNodeSelectorTerm, nodeSelectorTermMatches } from '@skiff/api';
import {
  hasRequiredNodeAffinity,
  requiredNodeAffinityMatches,
  requiredNodeAffinityOf,
  type RequiredNodeAffinity,
} from './node-selector.ts';
import { policyPlugin, type BaseConfig } from './plugin-kit.ts';
import { specOf, type NodeAffinity, type PreferredSchedulingTerm } from './pod-spec.ts';

export const NODE_AFFINITY = 'NodeAffinity';
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_ENFORCED = "node(s) didn't match scheduler-enforced node affinity";
export const ERR_REASON_CONFLICT = 'pod affinity terms conflict';

const PRE_FILTER_KEY = 'PreFilter' + NODE_AFFINITY;
const PRE_SCORE_KEY = 'PreScore' + NODE_AFFINITY;

export interface NodeAffinityOptions {
  /** node affinity applied to every pod of the profile(s), in addition to the pod's own */
  addedAffinity?: NodeAffinity;
}

/** Node names the required terms pin the pod to, or undefined when some term does not pin it. */
function pinnedNodeNames(req: RequiredNodeAffinity): Set<string> | undefined {
  if (!req.terms) return undefined;
  let all: Set<string> | undefined;
  for (const t of req.terms) {
    let names: Set<string> | undefined;
    for (const r of t.matchFields ?? []) {
      if (r.key !== 'metadata.name' || r.operator !== 'In') continue;
      const s = new Set(r.values ?? []);
      names = names ? new Set([...names].filter((n) => s.has(n))) : s;
    }
    if (!names) return undefined; // this term is not about node names: every node may match
    all ??= new Set();
    for (const n of names) all.add(n);
  }
  return all;
}

function preferredTerms(terms: PreferredSchedulingTerm[] | undefined): PreferredSchedulingTerm[] {
  return (Array.isArray(terms) ? terms : []).filter((t) => t && t.weight && !isEmptyNodeSelectorTerm(t.preference));
}

export function nodeAffinity(opts: NodeAffinityOptions = {}): SchedulerPolicy {
  const added = opts.addedAffinity;
  const addedRequired: RequiredNodeAffinity | undefined = added?.requiredDuringSchedulingIgnoredDuringExecution
    ? { terms: added.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms ?? [] }
    : undefined;
  const addedPreferred = preferredTerms(added?.preferredDuringSchedulingIgnoredDuringExecution);

  const filterOf = (pod: PodInfo) => requiredNodeAffinityOf(pod);

  return {
    name: NODE_AFFINITY,
    events: ['NodeAdd', 'NodeUpdate'],
    preFilter(state, pod) {
      const req = filterOf(pod);
      state.write(PRE_FILTER_KEY, req);
      if (!hasRequiredNodeAffinity(req) && !addedRequired) return { status: { code: 'Skip' } };
      const names = pinnedNodeNames(req);
      if (names && names.size === 0) return { status: { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_CONFLICT] } };
      if (names) return { nodeNames: names };
    },
    filter(state, pod, node) {
      if (addedRequired && !requiredNodeAffinityMatches(addedRequired, node)) {
        return { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_ENFORCED] };
      }
      const req = state.read<RequiredNodeAffinity>(PRE_FILTER_KEY) ?? filterOf(pod);
      if (!requiredNodeAffinityMatches(req, node)) return { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_POD] };
      return SUCCESS;
    },
    preScore(state, pod) {
      const terms = preferredTerms(specOf(pod).affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
      const all = addedPreferred.length ? [...addedPreferred, ...terms] : terms;
      state.write(PRE_SCORE_KEY, all);
      if (all.length === 0) return { code: 'Skip' };
    },
    score(state, pod, node) {
      let terms = state.read<PreferredSchedulingTerm[]>(PRE_SCORE_KEY);
      if (!terms) {
        terms = [...addedPreferred, ...preferredTerms(specOf(pod).affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution)];
        state.write(PRE_SCORE_KEY, terms);
      }
      let score = 0;
      for (let i = 0; i < terms.length; i++) if (nodeSelectorTermMatches(terms[i].preference, node)) score += terms[i].weight;
      return score;
    },
    normalizeScore(_state, _pod, scores: NodeScore[]) {
      defaultNormalizeScore(scores, false);
    },
  };
}

export interface NodeAffinityConfig extends BaseConfig, NodeAffinityOptions {}

export const nodeAffinityPlugin = policyPlugin<NodeAffinityConfig>({
  name: 'node-affinity',
  weight: 2,
  properties: {
    addedAffinity: { type: 'object' },
  },
  create: (config) => nodeAffinity(config),
});
