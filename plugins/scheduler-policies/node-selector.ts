// A pod's required node constraints (spec.nodeSelector and required node affinity), cached per
// PodInfo, matched with @skiff/api's node-selector matching (NodeInfo is a NodeSelectorTarget).
import { nodeLabelsMatch, nodeSelectorTermsMatch, type NodeSelectorTerm } from '@skiff/api';
import type { NodeInfo, PodInfo } from '@skiff/plugin-scheduler/framework';
import { specOf } from './pod-spec.ts';

/** The pod's required node constraints: spec.nodeSelector and required node affinity terms. */
export interface RequiredNodeAffinity {
  nodeSelector?: Record<string, string>;
  /** undefined: no required affinity; [] (or only empty terms): matches nothing */
  terms?: readonly NodeSelectorTerm[];
}

const cache = new WeakMap<PodInfo, RequiredNodeAffinity>();
const NONE: RequiredNodeAffinity = Object.freeze({});

export function requiredNodeAffinityOf(p: PodInfo): RequiredNodeAffinity {
  let r = cache.get(p);
  if (r) return r;
  const spec = specOf(p);
  const sel = spec.nodeSelector && typeof spec.nodeSelector === 'object' && Object.keys(spec.nodeSelector).length ? spec.nodeSelector : undefined;
  const req = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const terms = req ? (Array.isArray(req.nodeSelectorTerms) ? req.nodeSelectorTerms : []) : undefined;
  r = sel || terms ? { nodeSelector: sel, terms } : NONE;
  cache.set(p, r);
  return r;
}

export function hasRequiredNodeAffinity(r: RequiredNodeAffinity): boolean {
  return r.nodeSelector !== undefined || r.terms !== undefined;
}

/** Does the node satisfy the pod's nodeSelector and required node affinity? */
export function requiredNodeAffinityMatches(r: RequiredNodeAffinity, node: NodeInfo): boolean {
  if (!nodeLabelsMatch(r.nodeSelector, node.labels)) return false;
  if (r.terms && !nodeSelectorTermsMatch(r.terms, node)) return false;
  return true;
}
