// metav1.Condition lists (PodDisruptionBudget status, and any kind using the standard condition type),
// checked as apimachinery's ValidateConditions does.
import { asArr, cause, child, isObj, type StatusCause } from '../causes.ts';
import { S } from '../structural.ts';
import { isQualifiedName } from '../validation.ts';

export const metaConditionSchema = S.obj({ type: S.str, status: S.str, observedGeneration: S.int64, lastTransitionTime: S.str, reason: S.str, message: S.str });

const REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;
const REASON_MSG =
  "a condition reason must start with alphabetic character, optionally followed by a string of alphanumeric characters or '_,:', and must end with an alphanumeric character or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName',  or 'ReasonA,ReasonB',  or 'ReasonA:ReasonB', regex used for validation is '[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?')";

export function validateMetaConditions(conditions: unknown, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  const seen = new Set<string>();
  asArr(conditions).forEach((c, i) => {
    const f = child(field, i);
    if (!isObj(c)) return;
    const type = typeof c.type === 'string' ? c.type : '';
    if (seen.has(type)) out.push(cause.duplicate(child(f, 'type'), type));
    seen.add(type);
    out.push(...isQualifiedName(type).map((m) => cause.invalid(child(f, 'type'), type, m)));
    if (!['True', 'False', 'Unknown'].includes(c.status as string)) out.push(cause.notSupported(child(f, 'status'), c.status ?? '', ['False', 'True', 'Unknown']));
    if (typeof c.observedGeneration === 'number' && c.observedGeneration < 0)
      out.push(cause.invalid(child(f, 'observedGeneration'), c.observedGeneration, 'must be greater than or equal to zero'));
    if (!c.lastTransitionTime) out.push(cause.required(child(f, 'lastTransitionTime'), 'must be set'));
    const reason = typeof c.reason === 'string' ? c.reason : '';
    if (!reason) out.push(cause.required(child(f, 'reason'), 'must be set'));
    else {
      if (!REASON.test(reason)) out.push(cause.invalid(child(f, 'reason'), reason, REASON_MSG));
      if (reason.length > 1024) out.push(cause.tooLong(child(f, 'reason'), 1024));
    }
    if (typeof c.message === 'string' && c.message.length > 32768) out.push(cause.tooLong(child(f, 'message'), 32768));
  });
  return out;
}
