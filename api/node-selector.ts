// v1.NodeSelector matching against a node, as kube's component-helpers nodeaffinity does it: terms
// are ORed, the requirements of a term ANDed; an empty term matches nothing; matchExpressions read
// the node's labels, matchFields know only metadata.name (In / NotIn). Used by the scheduler's
// NodeAffinity and the DaemonSet controller. Defensive: a malformed term or requirement matches nothing.
import type { Node } from './types/core.ts';
import type { NodeSelectorRequirement, NodeSelectorTerm } from './types/core-pod.ts';

/** What node selection reads of a node (the scheduler's NodeInfo has this shape). */
export interface NodeSelectorTarget {
  name: string;
  labels: Record<string, string>;
}

/** A Node as a NodeSelectorTarget. */
export function nodeSelectorTarget(node: Node): NodeSelectorTarget {
  return { name: node.metadata.name ?? '', labels: node.metadata.labels ?? {} };
}

const INT = /^[+-]?[0-9]+$/;

/** One requirement against one value (`undefined`: the label is absent). Gt / Lt compare integers. */
export function nodeSelectorRequirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
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
      if (value === undefined || values.length !== 1 || !INT.test(value) || !INT.test(values[0]!)) return false;
      const [have, bound] = [BigInt(value), BigInt(values[0]!)];
      return r.operator === 'Gt' ? have > bound : have < bound;
    }
    default:
      return false;
  }
}

/** A term with no matchExpressions and no matchFields (it matches nothing). */
export function isEmptyNodeSelectorTerm(t: NodeSelectorTerm | undefined): boolean {
  return !t || ((t.matchExpressions?.length ?? 0) === 0 && (t.matchFields?.length ?? 0) === 0);
}

/** One v1.NodeSelectorTerm against a node. */
export function nodeSelectorTermMatches(term: NodeSelectorTerm | undefined, node: NodeSelectorTarget): boolean {
  if (!term || typeof term !== 'object') return false;
  const exprs = Array.isArray(term.matchExpressions) ? term.matchExpressions : [];
  const fields = Array.isArray(term.matchFields) ? term.matchFields : [];
  if (exprs.length === 0 && fields.length === 0) return false;
  for (const r of exprs) {
    const v = Object.prototype.hasOwnProperty.call(node.labels, r.key) ? node.labels[r.key] : undefined;
    if (!nodeSelectorRequirementMatches(r, v)) return false;
  }
  for (const r of fields) {
    if (r.key !== 'metadata.name' || (r.operator !== 'In' && r.operator !== 'NotIn')) return false;
    if (!nodeSelectorRequirementMatches(r, node.name)) return false;
  }
  return true;
}

/** A list of terms (a NodeSelector's nodeSelectorTerms): does any match? None: no. */
export function nodeSelectorTermsMatch(terms: readonly (NodeSelectorTerm | undefined)[], node: NodeSelectorTarget): boolean {
  for (let i = 0; i < terms.length; i++) if (nodeSelectorTermMatches(terms[i], node)) return true;
  return false;
}

/** A pod's spec.nodeSelector: every label equal. */
export function nodeLabelsMatch(nodeSelector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (nodeSelector) for (const k in nodeSelector) if (labels[k] !== nodeSelector[k]) return false;
  return true;
}
