// Label selectors (`=`, `==`, `!=`, `in`, `notin`, exists, `!` not-exists, comma = AND) and field
// selectors (`=`, `==`, `!=`), parsed once and matched against objects. Bad syntax is a 400.
import { errors } from '../status.ts';
import type { KObject } from '../types.ts';

export type LabelRequirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!' };

export type Matcher = (obj: KObject) => boolean;

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Split on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
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
  if (!KEY.test(key) || key.length > 316) throw errors.badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${sel}"`);
}
function checkValue(v: string, sel: string) {
  if (!VALUE.test(v) || v.length > 63) throw errors.badRequest(`unable to parse requirement: invalid label value "${v}" in selector "${sel}"`);
}

export function parseLabelSelector(sel: string): LabelRequirement[] {
  const reqs: LabelRequirement[] = [];
  for (const part of splitTop(sel)) {
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/))) {
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
      throw errors.badRequest(`unable to parse requirement: "${part}" in label selector "${sel}"`);
    }
  }
  return reqs;
}

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

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

export function parseFieldSelector(sel: string): FieldRequirement[] {
  return splitTop(sel).map((part) => {
    const m = part.match(/^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw errors.badRequest(`invalid field selector: "${part}": expected field=value, field==value or field!=value`);
    return { field: m[1]!, op: m[2] === '!=' ? '!=' : '=', value: m[3]!.trim() };
  });
}

export type FieldGetter = (obj: KObject) => string | undefined;

/**
 * Build one matcher from both selectors. `fields` are the kind's selectable fields besides
 * metadata.name / metadata.namespace; an unknown field is a 400, as in Kubernetes.
 */
export function buildMatcher(
  labelSelector: string | undefined,
  fieldSelector: string | undefined,
  fields: Record<string, FieldGetter>,
  kindName: string,
): Matcher | undefined {
  const checks: Matcher[] = [];
  if (labelSelector && labelSelector.trim() !== '') {
    const reqs = parseLabelSelector(labelSelector);
    checks.push((o) => labelsMatch(reqs, o.metadata.labels));
  }
  if (fieldSelector && fieldSelector.trim() !== '') {
    for (const r of parseFieldSelector(fieldSelector)) {
      const get: FieldGetter | undefined =
        r.field === 'metadata.name'
          ? (o) => o.metadata.name
          : r.field === 'metadata.namespace'
            ? (o) => o.metadata.namespace ?? ''
            : fields[r.field];
      if (!get) throw errors.badRequest(`"${r.field}" is not a known field selector: only "metadata.name", "metadata.namespace"${Object.keys(fields).map((f) => `, "${f}"`).join('')} are supported for ${kindName}`);
      checks.push(r.op === '=' ? (o) => (get(o) ?? '') === r.value : (o) => (get(o) ?? '') !== r.value);
    }
  }
  if (checks.length === 0) return undefined;
  if (checks.length === 1) return checks[0];
  return (o) => checks.every((c) => c(o));
}
