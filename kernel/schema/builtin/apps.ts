// apps/v1 Deployment, ReplicaSet, StatefulSet, DaemonSet.
import { asObj, cause, child, deepEqual, ensureObj, isObj, setDefault, setStringDefault, type Obj, type StatusCause } from '../causes.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { S } from '../structural.ts';
import { labelSelectorSchema, strategy } from '../patch-meta.ts';
import { validateEnum, validateInt } from '../validation.ts';
import { immutable, objectSchema, safeDefault, safeValidate, structure } from './helpers.ts';
import { podTemplateSchema } from './pod-schema.ts';
import { persistentVolumeClaimSchema } from './core-storage.ts';
import { daemonSetStatusSchema, deploymentStatusSchema, replicaSetStatusSchema, statefulSetStatusSchema, validateNonNegative, validateReplicaCounters } from './workload-status.ts';
import { defaultPodTemplate, isZeroIntOrPercent, validateIntOrPercent, validatePodTemplate, validateSelectorAndTemplate } from './workload.ts';

const rolling = S.obj({ maxSurge: S.intOrStr, maxUnavailable: S.intOrStr, partition: S.int });
const baseSpec = {
  replicas: S.int,
  selector: labelSelectorSchema,
  template: podTemplateSchema,
  minReadySeconds: S.int,
  revisionHistoryLimit: S.int,
};

type Extra = (spec: Obj, old?: Obj) => StatusCause[];
/** The kind's status schema and its checks (Kubernetes validates counters on status writes). */
interface StatusRules {
  schema: Obj;
  validate(status: unknown): StatusCause[];
}

function workload(kind: string, resource: string, shortName: string, specProps: Record<string, Obj>, defaults: (spec: Obj) => void, extra: Extra, status: StatusRules, replicas = true): SkiffKindDefinition {
  const what = kind.toLowerCase();
  const props = { spec: S.obj({ ...baseSpec, ...specProps }), status: status.schema };
  return {
    group: 'apps',
    version: 'v1',
    kind,
    resource,
    singular: what,
    namespaced: true,
    shortNames: [shortName],
    categories: ['all'],
    subresources: replicas ? ['status', 'scale'] : ['status'],
    schema: objectSchema(props),
    default: safeDefault((o) => {
      const spec = asObj(o.spec);
      if (!spec) return;
      if (replicas) setDefault(spec, 'replicas', 1);
      defaults(spec);
      defaultPodTemplate(spec.template);
    }),
    validate: safeValidate((o, old) => {
      const out = structure(o, props);
      out.push(...status.validate(o.status));
      const spec = o.spec;
      if (!isObj(spec)) return spec === undefined || spec === null ? [...out, cause.required('spec')] : out;
      if (replicas) out.push(...validateInt(spec.replicas, 'spec.replicas', { min: 0 }));
      out.push(...validateInt(spec.minReadySeconds, 'spec.minReadySeconds', { min: 0 }));
      out.push(...validateInt(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit', { min: 0 }));
      out.push(...validateSelectorAndTemplate(spec, 'spec', what));
      // a StatefulSet's pods also get a volume per volumeClaimTemplate, which their mounts name
      const claimVolumes = kind === 'StatefulSet' ? claimTemplateNames(spec.volumeClaimTemplates) : [];
      out.push(...validatePodTemplate(spec.template, 'spec.template', ['Always'], claimVolumes));
      const oldSpec = old && asObj(old.spec);
      if (oldSpec) out.push(...immutable(spec.selector, oldSpec.selector, 'spec.selector'));
      out.push(...extra(spec, oldSpec));
      return out;
    }),
  };
}

/** The names of a StatefulSet's volumeClaimTemplates (the volumes its pods get). */
function claimTemplateNames(templates: unknown): string[] {
  if (!Array.isArray(templates)) return [];
  return templates.map((t) => asObj(asObj(t)?.metadata)?.name).filter((n): n is string => typeof n === 'string' && n !== '');
}

function validateRollingUpdate(ru: unknown, field: string): StatusCause[] {
  if (!isObj(ru)) return [];
  const out = [...validateIntOrPercent(ru.maxUnavailable, child(field, 'maxUnavailable'), true), ...validateIntOrPercent(ru.maxSurge, child(field, 'maxSurge'))];
  if (!out.length && ru.maxSurge !== undefined && isZeroIntOrPercent(ru.maxSurge) && isZeroIntOrPercent(ru.maxUnavailable))
    out.push(cause.invalid(child(field, 'maxUnavailable'), ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
  return out;
}

export const deploymentKind = workload(
  'Deployment',
  'deployments',
  'deploy',
  { strategy: strategy(S.obj({ type: S.str, rollingUpdate: rolling }), 'retainKeys'), progressDeadlineSeconds: S.int, paused: S.bool },
  (spec) => {
    const strategy = ensureObj(spec, 'strategy');
    if (strategy) {
      setStringDefault(strategy, 'type', 'RollingUpdate');
      if (strategy.type === 'RollingUpdate') {
        const ru = ensureObj(strategy, 'rollingUpdate');
        if (ru) {
          setDefault(ru, 'maxUnavailable', '25%');
          setDefault(ru, 'maxSurge', '25%');
        }
      }
    }
    setDefault(spec, 'revisionHistoryLimit', 10);
    setDefault(spec, 'progressDeadlineSeconds', 600);
  },
  (spec) => {
    const out: StatusCause[] = [];
    const st = asObj(spec.strategy);
    if (st) {
      out.push(...validateEnum(st.type, 'spec.strategy.type', ['Recreate', 'RollingUpdate']));
      if (st.type === 'Recreate' && st.rollingUpdate !== undefined && st.rollingUpdate !== null)
        out.push(cause.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
      out.push(...validateRollingUpdate(st.rollingUpdate, 'spec.strategy.rollingUpdate'));
    }
    const pds = spec.progressDeadlineSeconds;
    out.push(...validateInt(pds, 'spec.progressDeadlineSeconds', { min: 0 }));
    if (typeof pds === 'number' && typeof spec.minReadySeconds === 'number' && pds <= spec.minReadySeconds)
      out.push(cause.invalid('spec.progressDeadlineSeconds', pds, 'must be greater than minReadySeconds'));
    return out;
  },
  {
    schema: deploymentStatusSchema,
    validate: (st) => validateReplicaCounters(st, ['updatedReplicas', 'readyReplicas', 'availableReplicas'], ['unavailableReplicas', 'terminatingReplicas', 'collisionCount']),
  },
);

export const replicaSetKind = workload('ReplicaSet', 'replicasets', 'rs', {}, () => {}, () => [], {
  schema: replicaSetStatusSchema,
  validate: (st) => validateReplicaCounters(st, ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'], ['terminatingReplicas']),
});

const STS_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

export const statefulSetKind = workload(
  'StatefulSet',
  'statefulsets',
  'sts',
  {
    serviceName: S.str,
    podManagementPolicy: S.str,
    updateStrategy: S.obj({ type: S.str, rollingUpdate: rolling }),
    volumeClaimTemplates: S.arr(persistentVolumeClaimSchema),
    persistentVolumeClaimRetentionPolicy: S.obj({ whenDeleted: S.str, whenScaled: S.str }),
    ordinals: S.obj({ start: S.int }),
  },
  (spec) => {
    setStringDefault(spec, 'podManagementPolicy', 'OrderedReady');
    const us = ensureObj(spec, 'updateStrategy');
    if (us) {
      setStringDefault(us, 'type', 'RollingUpdate');
      if (us.type === 'RollingUpdate') {
        const ru = ensureObj(us, 'rollingUpdate');
        if (ru) setDefault(ru, 'partition', 0);
      }
    }
    setDefault(spec, 'revisionHistoryLimit', 10);
    const pol = ensureObj(spec, 'persistentVolumeClaimRetentionPolicy');
    if (pol) {
      setStringDefault(pol, 'whenDeleted', 'Retain');
      setStringDefault(pol, 'whenScaled', 'Retain');
    }
  },
  (spec, old) => {
    const out: StatusCause[] = [];
    out.push(...validateEnum(spec.podManagementPolicy, 'spec.podManagementPolicy', ['OrderedReady', 'Parallel']));
    const us = asObj(spec.updateStrategy);
    if (us) {
      out.push(...validateEnum(us.type, 'spec.updateStrategy.type', ['RollingUpdate', 'OnDelete']));
      const ru = asObj(us.rollingUpdate);
      if (ru) out.push(...validateInt(ru.partition, 'spec.updateStrategy.rollingUpdate.partition', { min: 0 }));
    }
    const pol = asObj(spec.persistentVolumeClaimRetentionPolicy);
    if (pol) for (const f of ['whenDeleted', 'whenScaled']) out.push(...validateEnum(pol[f], child('spec.persistentVolumeClaimRetentionPolicy', f), ['Retain', 'Delete']));
    if (old) {
      const strip = (s: Obj) => Object.fromEntries(Object.entries(s).filter(([k]) => !STS_MUTABLE.includes(k)));
      if (!deepEqual(strip(spec), strip(old)))
        out.push(cause.forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
    }
    return out;
  },
  {
    schema: statefulSetStatusSchema,
    validate: (st) => validateReplicaCounters(st, ['readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas'], ['collisionCount']),
  },
);

export const daemonSetKind = workload(
  'DaemonSet',
  'daemonsets',
  'ds',
  { updateStrategy: S.obj({ type: S.str, rollingUpdate: rolling }) },
  (spec) => {
    const us = ensureObj(spec, 'updateStrategy');
    if (us) {
      setStringDefault(us, 'type', 'RollingUpdate');
      if (us.type === 'RollingUpdate') {
        const ru = ensureObj(us, 'rollingUpdate');
        if (ru) {
          setDefault(ru, 'maxUnavailable', 1);
          setDefault(ru, 'maxSurge', 0);
        }
      }
    }
    setDefault(spec, 'revisionHistoryLimit', 10);
  },
  (spec) => {
    const us = asObj(spec.updateStrategy);
    if (!us) return [];
    const out = validateEnum(us.type, 'spec.updateStrategy.type', ['RollingUpdate', 'OnDelete']);
    out.push(...validateRollingUpdate(us.rollingUpdate, 'spec.updateStrategy.rollingUpdate'));
    return out;
  },
  {
    schema: daemonSetStatusSchema,
    validate: (st) =>
      validateNonNegative(st, [
        'currentNumberScheduled',
        'numberMisscheduled',
        'desiredNumberScheduled',
        'numberReady',
        'observedGeneration',
        'updatedNumberScheduled',
        'numberAvailable',
        'numberUnavailable',
        'collisionCount',
      ]),
  },
  false,
);
