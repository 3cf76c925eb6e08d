// batch/v1 Job and CronJob.
import { asObj, cause, child, ensureObj, isObj, setDefault, setStringDefault, type Obj, type StatusCause } from '../causes.ts';
import { selectorMatches } from '@skiff/api';
import { validateLabelSelector } from '../label-selector.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { S } from '../structural.ts';
import { validateEnum, validateInt } from '../validation.ts';
import { cronError } from './cron.ts';
import { immutable, objectSchema, safeDefault, safeValidate, structure } from './helpers.ts';
import { podTemplateSchema } from './pod-schema.ts';
import { cronJobStatusSchema, jobStatusSchema, validateNonNegative } from './workload-status.ts';
import { defaultPodTemplate, validatePodTemplate } from './workload.ts';

const jobSpecSchema = S.obj({
  parallelism: S.int,
  completions: S.int,
  activeDeadlineSeconds: S.int64,
  backoffLimit: S.int,
  backoffLimitPerIndex: S.int,
  maxFailedIndexes: S.int,
  selector: S.obj({ matchLabels: S.strMap, matchExpressions: S.arr(S.obj({ key: S.str, operator: S.str, values: S.strArr })) }),
  manualSelector: S.bool,
  template: podTemplateSchema,
  ttlSecondsAfterFinished: S.int,
  completionMode: S.str,
  suspend: S.bool,
  podReplacementPolicy: S.str,
  podFailurePolicy: S.obj({ rules: S.arr(S.obj()) }),
  successPolicy: S.obj({ rules: S.arr(S.obj()) }),
  managedBy: S.str,
});

/** Job defaults; the selector and labels Kubernetes generates when the uid is known and manualSelector is not set. */
export function defaultJobSpec(spec: Obj, meta?: Obj): void {
  if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
  setDefault(spec, 'parallelism', 1);
  // with a per-index limit the Job-wide one is effectively off (kube: math.MaxInt32)
  setDefault(spec, 'backoffLimit', spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null ? 2147483647 : 6);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  // a podFailurePolicy needs a pod's final state before it is replaced (kube defaults to Failed then)
  setDefault(spec, 'podReplacementPolicy', spec.podFailurePolicy !== undefined && spec.podFailurePolicy !== null ? 'Failed' : 'TerminatingOrFailed');
  defaultPodTemplate(spec.template);
  const uid = meta && typeof meta.uid === 'string' ? meta.uid : undefined;
  const name = meta && typeof meta.name === 'string' ? meta.name : undefined;
  const tmeta = isObj(spec.template) ? asObj(spec.template.metadata) : undefined;
  if (spec.manualSelector !== true && uid && name && tmeta && (spec.selector === undefined || spec.selector === null)) {
    spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
    const labels = ensureObj(tmeta, 'labels');
    if (labels)
      Object.assign(labels, { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name });
  }
}

export function validateJobSpec(spec: unknown, field: string): StatusCause[] {
  if (spec === undefined || spec === null) return [cause.required(field)];
  if (!isObj(spec)) return [cause.typeInvalid(field, spec, 'must be an object')];
  const out: StatusCause[] = [];
  for (const f of ['parallelism', 'completions', 'backoffLimit', 'ttlSecondsAfterFinished', 'backoffLimitPerIndex', 'maxFailedIndexes'])
    out.push(...validateInt(spec[f], child(field, f), { min: 0 }));
  const ads = spec.activeDeadlineSeconds;
  if (typeof ads === 'number' && ads <= 0) out.push(cause.invalid(child(field, 'activeDeadlineSeconds'), ads, 'must be greater than 0'));
  out.push(...validateEnum(spec.completionMode, child(field, 'completionMode'), ['NonIndexed', 'Indexed']));
  if (spec.completionMode === 'Indexed' && (spec.completions === undefined || spec.completions === null))
    out.push(cause.required(child(field, 'completions'), 'when completion mode is Indexed'));
  out.push(...validateEnum(spec.podReplacementPolicy, child(field, 'podReplacementPolicy'), ['TerminatingOrFailed', 'Failed']));
  if (spec.selector !== undefined && spec.selector !== null) {
    const errs = validateLabelSelector(spec.selector, child(field, 'selector'));
    out.push(...errs);
    const t = asObj(spec.template);
    const labels = t && isObj(t.metadata) ? t.metadata.labels : undefined;
    if (!errs.length && t && !selectorMatches(spec.selector, labels))
      out.push(cause.invalid(child(field, 'template', 'metadata', 'labels'), labels ?? {}, '`selector` does not match template `labels`'));
  } else if (spec.manualSelector === true) out.push(cause.required(child(field, 'selector')));
  out.push(...validatePodTemplate(spec.template, child(field, 'template'), ['OnFailure', 'Never']));
  return out;
}

const jobProps = { spec: jobSpecSchema, status: jobStatusSchema };
const cronJobProps = {
  spec: S.obj({
    schedule: S.str,
    timeZone: S.str,
    startingDeadlineSeconds: S.int64,
    concurrencyPolicy: S.str,
    suspend: S.bool,
    jobTemplate: S.obj({ metadata: S.obj({ labels: S.strMap, annotations: S.strMap }), spec: jobSpecSchema }),
    successfulJobsHistoryLimit: S.int,
    failedJobsHistoryLimit: S.int,
  }),
  status: cronJobStatusSchema,
};

export const jobKind: SkiffKindDefinition = {
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  resource: 'jobs',
  singular: 'job',
  namespaced: true,
  categories: ['all'],
  subresources: ['status'],
  schema: objectSchema(jobProps),
  default: safeDefault((o) => {
    const spec = asObj(o.spec);
    if (spec) defaultJobSpec(spec, asObj(o.metadata));
  }),
  validate: safeValidate((o, old) => {
    const out = structure(o, jobProps);
    out.push(...validateJobSpec(o.spec, 'spec'));
    out.push(...validateNonNegative(o.status, ['active', 'succeeded', 'failed', 'ready', 'terminating']));
    const spec = asObj(o.spec);
    const oldSpec = old && asObj(old.spec);
    if (spec && oldSpec) {
      out.push(...immutable(spec.template, oldSpec.template, 'spec.template'));
      out.push(...immutable(spec.selector, oldSpec.selector, 'spec.selector'));
      out.push(...immutable(spec.completionMode, oldSpec.completionMode, 'spec.completionMode'));
      if (spec.completionMode !== 'Indexed') out.push(...immutable(spec.completions, oldSpec.completions, 'spec.completions'));
    }
    return out;
  }),
  selectableFields: { 'status.successful': (o) => String(isObj(o.status) && typeof o.status.succeeded === 'number' ? o.status.succeeded : 0) },
};

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const cronJobKind: SkiffKindDefinition = {
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  resource: 'cronjobs',
  singular: 'cronjob',
  namespaced: true,
  shortNames: ['cj'],
  categories: ['all'],
  subresources: ['status'],
  schema: objectSchema(cronJobProps),
  default: safeDefault((o) => {
    const spec = asObj(o.spec);
    if (!spec) return;
    setStringDefault(spec, 'concurrencyPolicy', 'Allow');
    setDefault(spec, 'suspend', false);
    setDefault(spec, 'successfulJobsHistoryLimit', 3);
    setDefault(spec, 'failedJobsHistoryLimit', 1);
    const jt = asObj(spec.jobTemplate);
    const js = jt && asObj(jt.spec);
    if (js) defaultPodTemplate(js.template);
  }),
  validate: safeValidate((o) => {
    const out = structure(o, cronJobProps);
    const name = isObj(o.metadata) ? o.metadata.name : undefined;
    if (typeof name === 'string' && name.length > 52) out.push(cause.invalid('metadata.name', name, 'must be no more than 52 characters'));
    const spec = o.spec;
    if (!isObj(spec)) return spec === undefined || spec === null ? [...out, cause.required('spec')] : out;
    if (spec.schedule === undefined || spec.schedule === null || spec.schedule === '') out.push(cause.required('spec.schedule'));
    else if (typeof spec.schedule === 'string') {
      const err = cronError(spec.schedule);
      if (err) out.push(cause.invalid('spec.schedule', spec.schedule, err));
    }
    if (typeof spec.timeZone === 'string' && !validTimeZone(spec.timeZone))
      out.push(cause.invalid('spec.timeZone', spec.timeZone, `unknown time zone ${spec.timeZone}`));
    out.push(...validateEnum(spec.concurrencyPolicy, 'spec.concurrencyPolicy', ['Allow', 'Forbid', 'Replace'], { required: true }));
    for (const f of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit'])
      out.push(...validateInt(spec[f], child('spec', f), { min: 0 }));
    const jt = spec.jobTemplate;
    if (jt === undefined || jt === null) out.push(cause.required('spec.jobTemplate'));
    else if (isObj(jt)) out.push(...validateJobSpec(jt.spec, 'spec.jobTemplate.spec'));
    return out;
  }),
};

