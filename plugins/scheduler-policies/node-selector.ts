// v1.NodeSelector matching, as kube's component-helpers nodeaffinity does it: terms are ORed, the
// requirements of a term ANDed; an empty term matches nothing; matchFields knows metadata.name.
import type { NodeInfo, PodInfo } from '@skiff/plugin-scheduler/framework';
import { specOf, type NodeSelectorRequirement, type NodeSelectorTerm } from './pod-spec.ts';

const INT = /^[+-]?[0-9]+$/;

/** One requirement against one value (`undefined` = the label is absent). */
export function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = Array.isArray(r.values) ? r.values : [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1 || !INT.test(value) || !INT.test(values[0])) return false;
      const have = Number(value);
      const want = Number(values[0]);
      return r.operator === 'Gt' ? have > want : have < want;
    }
    default:
      return false;
  }
}

export function termMatches(term: NodeSelectorTerm | undefined, node: NodeInfo): boolean {
  if (!term || typeof term !== 'object') return false;
  const exprs = Array.isArray(term.matchExpressions) ? term.matchExpressions : [];
  const fields = Array.isArray(term.matchFields) ? term.matchFields : [];
  if (exprs.length === 0 && fields.length === 0) return false;
  for (const r of exprs) {
    const v = Object.prototype.hasOwnProperty.call(node.labels, r.key) ? node.labels[r.key] : undefined;
    if (!requirementMatches(r, v)) return false;
  }
  for (const r of fields) {
    if (r.key !== 'metadata.name' || (r.operator !== 'In' && r.operator !== 'NotIn')) return false;
    if (!requirementMatches(r, node.name)) return false;
  }
  return true;
}

export function anyTermMatches(terms: readonly NodeSelectorTerm[], node: NodeInfo): boolean {
  for (let i = 0; i < terms.length; i++) if (termMatches(terms[i], node)) return true;
  return false;
}

export function isEmptyTerm(t: NodeSelectorTerm | undefined): boolean {
  return !t || ((t.matchExpressions?.length ?? 0) === 0 && (t.matchFields?.length ?? 0) === 0);
}

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
  if (r.nodeSelector) {
    for (const k in r.nodeSelector) if (node.labels[k] !== r.nodeSelector[k]) return false;
  }
  if (r.terms && !anyTermMatches(r.terms, node)) return false;
  return true;
}
