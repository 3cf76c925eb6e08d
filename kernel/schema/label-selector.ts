// metav1.LabelSelector validation (field causes). Matching is @skiff/api's selectorMatches.
import { isQualifiedName } from '@skiff/api';
import { asArr, cause, child, isObj, type StatusCause } from './causes.ts';
import { validateLabels } from './validation.ts';

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
