// Taints and tolerations, with the semantics of Kubernetes' v1.Toleration.ToleratesTaint.
import type { Taint, Toleration } from './types/core-pod.ts';

/**
 * Does the toleration tolerate the taint? An empty effect matches every effect; an empty key (operator
 * Exists) matches every key; Exists ignores the value; Equal (or no operator) compares values.
 */
export function tolerationToleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? '') {
    case 'Exists':
      return true;
    case '':
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

/** Does any of the tolerations tolerate the taint? */
export function tolerationsTolerateTaint(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => tolerationToleratesTaint(t, taint));
}

/**
 * The first taint (among those `filter` keeps; all when omitted) that no toleration tolerates, or
 * undefined when every such taint is tolerated.
 */
export function findMatchingUntoleratedTaint(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[] | undefined,
  filter?: (t: Taint) => boolean,
): Taint | undefined {
  for (const taint of taints ?? []) {
    if (filter && !filter(taint)) continue;
    if (!tolerationsTolerateTaint(tolerations, taint)) return taint;
  }
  return undefined;
}

/** The filter the scheduler's TaintToleration plugin uses: NoSchedule and NoExecute taints. */
export const doNotScheduleTaintsFilter = (t: Taint): boolean => t.effect === 'NoSchedule' || t.effect === 'NoExecute';

/** Same key and effect (what makes two taints "the same taint" on a node). */
export function taintMatches(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}
