// Pieces shared by the workload kinds (apps/v1 and batch/v1): pod templates, selectors, int-or-percent.
import { asObj, cause, child, ensureObj, isObj, type Obj, type StatusCause } from '../causes.ts';
import { isEmptySelector, selectorMatches } from '@skiff/api';
import { validateLabelSelector } from '../label-selector.ts';
import { isValidPercent, validateAnnotations, validateLabels } from '../validation.ts';
import { defaultPodSpec } from './pod-defaults.ts';
import { validatePodSpec } from './pod-spec.ts';

/** Default a pod template's spec (not the Pod-only defaults: Kubernetes does not fill those in templates). */
export function defaultPodTemplate(template: unknown): void {
  const t = asObj(template);
  if (!t) return;
  ensureObj(t, 'metadata');
  defaultPodSpec(t.spec);
}

/** The template's labels, metadata and spec; `field` is e.g. "spec.template". */
export function validatePodTemplate(template: unknown, field: string, restartPolicies?: readonly string[], extraVolumes?: Iterable<string>): StatusCause[] {
  if (template === undefined || template === null) return [cause.required(field)];
  if (!isObj(template)) return [cause.typeInvalid(field, template, 'must be an object')];
  const out: StatusCause[] = [];
  const meta = template.metadata;
  if (meta !== undefined && meta !== null && !isObj(meta)) out.push(cause.typeInvalid(child(field, 'metadata'), meta, 'must be an object'));
  else if (isObj(meta)) {
    out.push(...validateLabels(meta.labels, child(field, 'metadata', 'labels')));
    out.push(...validateAnnotations(meta.annotations, child(field, 'metadata', 'annotations')));
  }
  out.push(...validatePodSpec(template.spec, child(field, 'spec'), { restartPolicies, extraVolumes }));
  return out;
}

/** Selector required, non-empty, valid, and matching the template's labels. */
export function validateSelectorAndTemplate(spec: Obj, field: string, what: string): StatusCause[] {
  const sel = spec.selector;
  const out: StatusCause[] = [];
  if (sel === undefined || sel === null) return [cause.required(child(field, 'selector'))];
  const errs = validateLabelSelector(sel, child(field, 'selector'));
  out.push(...errs);
  if (errs.length || !isObj(sel)) return out;
  if (isEmptySelector(sel)) return [...out, cause.invalid(child(field, 'selector'), sel, `empty selector is invalid for ${what}`)];
  const t = asObj(spec.template);
  const labels = t && isObj(t.metadata) ? t.metadata.labels : undefined;
  if (t && !selectorMatches(sel, labels))
    out.push(cause.invalid(child(field, 'template', 'metadata', 'labels'), labels ?? {}, '`selector` does not match template `labels`'));
  return out;
}

/** maxSurge / maxUnavailable: a non-negative integer or a percentage ("25%"), at most 100% when `max100`. */
export function validateIntOrPercent(v: unknown, field: string, max100 = false): StatusCause[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? [] : [cause.invalid(field, v, 'must be greater than or equal to 0')];
  if (typeof v !== 'string') return [cause.typeInvalid(field, v, 'must be an integer or a percentage')];
  const errs = isValidPercent(v);
  if (errs.length) return errs.map((m) => cause.invalid(field, v, m));
  if (max100 && parseInt(v, 10) > 100) return [cause.invalid(field, v, 'must not be greater than 100%')];
  return [];
}

/** 0, "0" and "0%" all mean zero. */
export const isZeroIntOrPercent = (v: unknown): boolean => v === 0 || v === '0%' || v === '0';
