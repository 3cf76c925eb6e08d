// metav1.LabelSelector matching. (Validation, which produces field causes, lives in the kernel's schema.)

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

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
    const k = typeof e.key === 'string' ? e.key : undefined;
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
