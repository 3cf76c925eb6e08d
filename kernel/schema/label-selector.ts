// metav1.LabelSelector: validation and matching.
import { asArr, asStr, cause, child, isObj, type StatusCause } from './causes.ts';
import { isQualifiedName, validateLabels } from './validation.ts';


export function validateLabelSelector(sel: unknown, field: string): StatusCause[] {
  if (sel === undefined || sel === null) return [];
  if (!isObj(sel)) return [cause.typeInvalid(field, sel, 'must be an object')];
  const out = validateLabels(sel.matchLabels, child(field, 'matchLabels'));
  const exprs = sel.matchExpressions;
  if (exprs !== undefined && exprs !== null && !Array.isArray(exprs))
    return [...out, cause.typeInvalid(child(field, 'matchExpressions'), exprs, 'must be an array')];
  asArr(exprs).forEach((e, i) => {
    const f = child(field, 'matchExpressions', i);
    if (!isObj(e)) return void out.push(cause.typeInvalid(f, e, 'must be an object'));
    const values = e.values;
    if (values !== undefined && values !== null && (!Array.isArray(values) || values.some((v) => typeof v !== 'string')))
      out.push(cause.typeInvalid(child(f, 'values'), values, 'must be an array of strings'));
    const n = Array.isArray(values) ? values.length : 0;
    switch (e.operator) {
      case 'In':
      case 'NotIn':
        if (n === 0) out.push(cause.required(child(f, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (n > 0) out.push(cause.forbidden(child(f, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        out.push(cause.invalid(child(f, 'operator'), e.operator, 'not a valid selector operator'));
    }
    if (typeof e.key !== 'string' || e.key === '') out.push(cause.required(child(f, 'key')));
    else out.push(...isQualifiedName(e.key).map((m) => cause.invalid(child(f, 'key'), e.key, m)));
  });
  return out;
}

/** True when the selector has no requirements (matches everything). */
export function isEmptySelector(sel: unknown): boolean {
  if (!isObj(sel)) return true;
  const ml = isObj(sel.matchLabels) ? Object.keys(sel.matchLabels).length : 0;
  return ml === 0 && asArr(sel.matchExpressions).length === 0;
}

/** Does a LabelSelector select these labels? Malformed selectors select nothing. */
export function selectorMatches(sel: unknown, labels: unknown): boolean {
  if (!isObj(sel)) return false;
  const l = isObj(labels) ? labels : {};
  if (sel.matchLabels !== undefined && sel.matchLabels !== null) {
    if (!isObj(sel.matchLabels)) return false;
    for (const [k, v] of Object.entries(sel.matchLabels)) if (l[k] !== v) return false;
  }
  for (const e of asArr(sel.matchExpressions)) {
    if (!isObj(e)) return false;
    const k = asStr(e.key);
    if (k === undefined) return false;
    const has = Object.prototype.hasOwnProperty.call(l, k);
    const values = asArr(e.values);
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(l[k])) return false;
        break;
      case 'NotIn':
        if (has && values.includes(l[k])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
