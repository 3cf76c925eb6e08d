// policy/v1 PodDisruptionBudget: how many pods of a set may be down at once, for voluntary
// disruptions (the pods/eviction subresource checks and decrements status.disruptionsAllowed).
import { asObj, cause, isObj, type StatusCause } from '../causes.ts';
import { validateLabelSelector } from '../label-selector.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { S } from '../structural.ts';
import { validateEnum } from '../validation.ts';
import { metaConditionSchema, validateMetaConditions } from './conditions.ts';
import { objectSchema, safeValidate, structure } from './helpers.ts';
import { validateNonNegative } from './workload-status.ts';
import { validateIntOrPercent } from './workload.ts';

export const UNHEALTHY_POD_EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'] as const;

const selectorSchema = S.obj({ matchLabels: S.strMap, matchExpressions: S.arr(S.obj({ key: S.str, operator: S.str, values: S.strArr })) });

const pdbSchema = {
  spec: S.obj({ minAvailable: S.intOrStr, maxUnavailable: S.intOrStr, selector: selectorSchema, unhealthyPodEvictionPolicy: S.str }),
  status: S.obj({
    observedGeneration: S.int64,
    disruptedPods: S.strMap,
    disruptionsAllowed: S.int,
    currentHealthy: S.int,
    desiredHealthy: S.int,
    expectedPods: S.int,
    conditions: S.arr(metaConditionSchema),
  }),
};

/** ValidatePodDisruptionBudgetSpec. */
function validatePDBSpec(spec: unknown): StatusCause[] {
  if (!isObj(spec)) return [];
  const out: StatusCause[] = [];
  const set = (v: unknown) => v !== undefined && v !== null;
  if (set(spec.minAvailable) && set(spec.maxUnavailable)) out.push(cause.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  for (const f of ['minAvailable', 'maxUnavailable']) {
    const v = spec[f];
    if (typeof v === 'string' || typeof v === 'number') out.push(...validateIntOrPercent(v, `spec.${f}`, true));
  }
  out.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  out.push(...validateEnum(spec.unhealthyPodEvictionPolicy, 'spec.unhealthyPodEvictionPolicy', UNHEALTHY_POD_EVICTION_POLICIES));
  return out;
}

export const podDisruptionBudgetKind: SkiffKindDefinition = {
  group: 'policy',
  version: 'v1',
  kind: 'PodDisruptionBudget',
  resource: 'poddisruptionbudgets',
  singular: 'poddisruptionbudget',
  namespaced: true,
  shortNames: ['pdb'],
  subresources: ['status'],
  schema: objectSchema(pdbSchema),
  validate: safeValidate((o) => {
    const out = structure(o, pdbSchema);
    out.push(...validatePDBSpec(o.spec));
    const status = asObj(o.status);
    if (status) {
      out.push(...validateNonNegative(status, ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods']));
      out.push(...validateMetaConditions(status.conditions, 'status.conditions'));
    }
    return out;
  }),
};
