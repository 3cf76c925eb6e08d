// The string form of a label selector, as labels.Parse reads it and labels.Selector.String() prints
// it: "app=web,tier in (a,b),!x" (`=`, `==`, `!=`, `in`, `notin`, exists, `!` not-exists; comma
// is AND). The kernel's list/watch labelSelector and a Scale's status.selector use this form.

export type LabelRequirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!' };

/** Bad selector syntax. The kernel turns it into a 400; controllers into a condition message. */
export class LabelSelectorParseError extends Error {
  override name = 'LabelSelectorParseError';
}

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Split a selector on commas that are not inside parentheses; empty parts are dropped. */
export function splitSelectorTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((p) => p.trim()).filter((p) => p !== '');
}

function checkKey(key: string, sel: string) {
  if (!KEY.test(key) || key.length > 316) throw new LabelSelectorParseError(`unable to parse requirement: invalid label key "${key}" in selector "${sel}"`);
}
function checkValue(v: string, sel: string) {
  if (!VALUE.test(v) || v.length > 63) throw new LabelSelectorParseError(`unable to parse requirement: invalid label value "${v}" in selector "${sel}"`);
}

/** Parse a selector string into requirements ("" selects everything). Throws LabelSelectorParseError. */
export function parseLabelSelector(sel: string): LabelRequirement[] {
  const reqs: LabelRequirement[] = [];
  for (const part of splitSelectorTerms(sel)) {
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/))) {
      // `in ()` is one empty value, as labels.Parse reads it.
      const values = m[3]!.split(',').map((v) => v.trim()).filter((v, i, a) => v !== '' || a.length === 1);
      checkKey(m[1]!, sel);
      values.forEach((v) => checkValue(v, sel));
      reqs.push({ key: m[1]!, op: m[2] as 'in' | 'notin', values });
    } else if ((m = part.match(/^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/))) {
      checkKey(m[1]!, sel);
      checkValue(m[3]!, sel);
      reqs.push({ key: m[1]!, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]!] });
    } else if ((m = part.match(/^!\s*(\S+)$/))) {
      checkKey(m[1]!, sel);
      reqs.push({ key: m[1]!, op: '!' });
    } else if (/^\S+$/.test(part)) {
      checkKey(part, sel);
      reqs.push({ key: part, op: 'exists' });
    } else {
      throw new LabelSelectorParseError(`unable to parse requirement: "${part}" in label selector "${sel}"`);
    }
  }
  return reqs;
}

/** Do these labels satisfy every requirement? (No requirements: yes.) */
export function labelsMatch(reqs: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  for (const r of reqs) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case '!':
        if (has) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(labels![r.key]!)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(labels![r.key]!)) return false;
        break;
    }
  }
  return true;
}

export type LabelPredicate = (labels: Record<string, string> | undefined) => boolean;

/** Parse once, match many: a predicate on labels. Throws LabelSelectorParseError. */
export function labelSelectorPredicate(sel: string): LabelPredicate {
  const reqs = parseLabelSelector(sel);
  return (labels) => labelsMatch(reqs, labels);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * labels.Selector.String() of a metav1.LabelSelector (metav1.LabelSelectorAsSelector): requirements
 * sorted by key, `k=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`; "" when it selects everything.
 * (kubectl prints this form, and a Scale's status.selector carries it.)
 */
export function labelSelectorString(sel: unknown): string {
  if (!isObj(sel)) return '';
  const reqs: [string, string][] = [];
  if (isObj(sel.matchLabels)) for (const [k, v] of Object.entries(sel.matchLabels)) reqs.push([k, `${k}=${String(v)}`]);
  for (const e of Array.isArray(sel.matchExpressions) ? sel.matchExpressions : []) {
    if (!isObj(e) || typeof e.key !== 'string') continue;
    const vals = (Array.isArray(e.values) ? e.values.map(String) : []).sort().join(',');
    const k = e.key;
    const text = e.operator === 'In' ? `${k} in (${vals})` : e.operator === 'NotIn' ? `${k} notin (${vals})` : e.operator === 'DoesNotExist' ? `!${k}` : k;
    reqs.push([k, text]);
  }
  reqs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return reqs.map((r) => r[1]).join(',');
}

/** labels.SelectorFromSet(m).String(): `a=b,c=d` sorted by key (a ReplicationController's selector). */
export function labelSetString(m: unknown): string {
  if (!isObj(m)) return '';
  return Object.keys(m)
    .sort()
    .map((k) => `${k}=${String(m[k])}`)
    .join(',');
}
