// scheduling.k8s.io/v1 PriorityClass: a cluster-scoped name for a pod priority. Its fields sit at the
// top level (no spec). Names starting with "system-" are reserved for the built-in classes.
import { asObj, cause, setDefault, type StatusCause } from '../causes.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { S } from '../structural.ts';
import { validateEnum } from '../validation.ts';
import { immutable, objectSchema, safeDefault, safeValidate, structure } from './helpers.ts';

export const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';
/** Highest value a user-defined class may have (HighestUserDefinablePriority). */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
/** The classes the API server creates itself (scheduling.SystemPriorityClasses). */
export const SYSTEM_PRIORITY_CLASSES: readonly { name: string; value: number; description: string }[] = [
  { name: 'system-node-critical', value: 2_000_001_000, description: 'Used for system critical pods that must not be moved from their current node.' },
  { name: 'system-cluster-critical', value: 2_000_000_000, description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.' },
];
export const PREEMPTION_POLICIES = ['PreemptLowerPriority', 'Never'] as const;

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/** IsKnownSystemPriorityClass: undefined when it is one, else why not. */
function systemClassError(name: string, value: unknown, globalDefault: boolean): string | undefined {
  const spc = SYSTEM_PRIORITY_CLASSES.find((c) => c.name === name);
  if (!spc) return `${name} is not a known system priority class`;
  if (spc.value !== value) return `value of ${name} PriorityClass must be ${spc.value}`;
  if (globalDefault) return `globalDefault of ${name} PriorityClass must be false`;
  return undefined;
}

const priorityClassProps = { value: S.int, globalDefault: S.bool, description: S.str, preemptionPolicy: S.str };

export const priorityClassKind: SkiffKindDefinition = {
  group: 'scheduling.k8s.io',
  version: 'v1',
  kind: 'PriorityClass',
  resource: 'priorityclasses',
  singular: 'priorityclass',
  namespaced: false,
  shortNames: ['pc'],
  specFields: ['value', 'globalDefault', 'description', 'preemptionPolicy'],
  schema: objectSchema(priorityClassProps),
  default: safeDefault((o) => {
    setDefault(o, 'value', 0); // int32 without omitempty
    setDefault(o, 'preemptionPolicy', 'PreemptLowerPriority');
  }),
  validate: safeValidate((o, old) => {
    const out: StatusCause[] = structure(o, priorityClassProps);
    if (out.length) return out;
    const meta = asObj(o.metadata);
    const name = typeof meta?.name === 'string' ? meta.name : '';
    const value = o.value as number;
    if (value < INT32_MIN || value > INT32_MAX) out.push(cause.typeInvalid('value', value, 'must be a 32-bit integer'));
    if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
      const err = systemClassError(name, value, o.globalDefault === true);
      if (err) out.push(cause.forbidden('metadata.name', `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${err}`));
    } else if (value > HIGHEST_USER_DEFINABLE_PRIORITY) {
      out.push(cause.forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
    }
    out.push(...validateEnum(o.preemptionPolicy, 'preemptionPolicy', PREEMPTION_POLICIES));
    if (old) {
      out.push(...immutable(o.preemptionPolicy, old.preemptionPolicy, 'preemptionPolicy'));
      if (o.value !== old.value) out.push(cause.forbidden('value', 'may not be changed in an update.'));
    }
    return out;
  }),
};
