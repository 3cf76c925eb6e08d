// A LabelSelector compiled once into a matcher (hot loops: spread counting, affinity terms).
// Same semantics as @skiff/api's selectorMatches: malformed selects nothing.
import { selectorMatches } from '@skiff/api';
import type { LabelSelector } from './pod-spec.ts';

export type LabelMatcher = (labels: Record<string, string>) => boolean;

const NOTHING: LabelMatcher = () => false;
const EVERYTHING: LabelMatcher = () => true;
const has = Object.prototype.hasOwnProperty;

export function compileSelector(sel: LabelSelector | undefined): LabelMatcher {
  if (!sel || typeof sel !== 'object' || Array.isArray(sel)) return NOTHING;
  const ml = sel.matchLabels;
  if (ml !== undefined && ml !== null && (typeof ml !== 'object' || Array.isArray(ml))) return NOTHING;
  const keys = ml ? Object.keys(ml) : [];
  const vals = keys.map((k) => (ml as Record<string, unknown>)[k]);
  const exprs = Array.isArray(sel.matchExpressions) ? sel.matchExpressions : [];
  for (const e of exprs) {
    if (!e || typeof e !== 'object' || typeof e.key !== 'string') return NOTHING;
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator)) return NOTHING;
  }
  if (exprs.length > 0) {
    // rare enough: defer to the reference implementation after the cheap matchLabels check
    return (labels) => {
      for (let i = 0; i < keys.length; i++) if (labels[keys[i]] !== vals[i]) return false;
      return selectorMatches(sel, labels);
    };
  }
  if (keys.length === 0) return EVERYTHING;
  if (keys.length === 1) {
    const k = keys[0];
    const v = vals[0];
    return (labels) => has.call(labels, k) && labels[k] === v;
  }
  return (labels) => {
    for (let i = 0; i < keys.length; i++) if (!has.call(labels, keys[i]) || labels[keys[i]] !== vals[i]) return false;
    return true;
  };
}
