// labels.Parse for the selector string a Scale carries (status.selector: "app=web,tier in (a,b)"),
// as a predicate on labels for the pod lister. Errors read like apimachinery's.
// (@skiff/api has LabelSelector objects only; this string form could move there.)

export type LabelPredicate = (labels: Record<string, string>) => boolean;

type Req = { key: string; op: 'in' | 'notin' | 'exists' | '!'; values: string[] };

function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Parse a label selector string; throws on bad syntax. "" selects everything. */
export function parseSelector(sel: string): LabelPredicate {
  const reqs: Req[] = [];
  if (sel.trim() !== '') {
    for (const part of splitTop(sel)) {
      let m: RegExpExecArray | null;
      let r: Req;
      if ((m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part))) r = { key: m[1]!, op: m[2] as 'in' | 'notin', values: m[3]!.split(',').map((v) => v.trim()) };
      else if ((m = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part))) r = { key: m[1]!, op: m[2] === '!=' ? 'notin' : 'in', values: [m[3]!] };
      else if ((m = /^!\s*(\S+)$/.exec(part))) r = { key: m[1]!, op: '!', values: [] };
      else if (/^\S+$/.test(part)) r = { key: part, op: 'exists', values: [] };
      else throw new Error(`unable to parse requirement: found '${part}', expected: identifier`);
      if (!KEY.test(r.key)) throw new Error(`unable to parse requirement: invalid label key "${r.key}"`);
      for (const v of r.values) if (!VALUE.test(v) || v.length > 63) throw new Error(`unable to parse requirement: invalid label value: "${v}"`);
      reqs.push(r);
    }
  }
  return (labels) =>
    reqs.every((r) => {
      const has = Object.prototype.hasOwnProperty.call(labels, r.key);
      switch (r.op) {
        case 'in':
          return has && r.values.includes(labels[r.key]!);
        case 'notin':
          return !has || !r.values.includes(labels[r.key]!);
        case 'exists':
          return has;
        case '!':
          return !has;
      }
    });
}
