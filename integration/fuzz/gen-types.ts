// Type confusion in every field of the common kinds: strings for ints, int32 overflow, 2^53, 1e308,
// negatives, floats, nulls, arrays for objects... by POST (new objects), PUT and merge PATCH (the
// fixtures). What kube would answer decides the expectation.
import { authHeaders, uniqueName, type Expect, type Generator, type GenContext } from './case.ts';
import { ENUMS, INT64, INT_OR_STRING, KINDS, NAMED, NON_NEGATIVE, QUANTITY, collectionOf, fieldPattern, type KindSpec } from './kinds.ts';

/** A number written as given in the JSON text (what JSON.stringify cannot produce). */
class RawNumber {
  constructor(readonly text: string) {}
  get value(): number {
    return Number(this.text);
  }
}

const CONFUSION: readonly unknown[] = [
  '3',
  '',
  'ünïcödé',
  'x'.repeat(70_000),
  2 ** 31,
  2 ** 31 - 1,
  -(2 ** 31) - 1,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 63,
  1e308,
  -1e308,
  -1,
  -5,
  0,
  1.5,
  0.1,
  null,
  true,
  false,
  [],
  {},
  [1, 2],
  [null],
  { a: 1 },
  { a: { b: { c: [] } } },
  new RawNumber('1e400'),
  new RawNumber('-0'),
  new RawNumber('1.0'),
  new RawNumber('1E2'),
  new RawNumber('99999999999999999999999'),
];

type Node = { path: (string | number)[]; value: unknown };

function nodes(v: unknown, path: (string | number)[] = [], out: Node[] = []): Node[] {
  if (path.length > 0) out.push({ path, value: v });
  if (Array.isArray(v)) v.forEach((x, i) => nodes(x, [...path, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) nodes(x, [...path, k], out);
  return out;
}

function setAt(obj: Record<string, unknown>, path: (string | number)[], v: unknown): void {
  let o: any = obj;
  for (const p of path.slice(0, -1)) o = o[p];
  o[path[path.length - 1]!] = v;
}

const isPlainObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof RawNumber);

/** Would kube accept `v` where the template has `orig` (at field pattern `pat`)? */
export function verdict(kind: KindSpec, pat: string, orig: unknown, v: unknown): Expect {
  const num = v instanceof RawNumber ? v.value : v;
  if (v === null) return pat === 'metadata.name' ? 'reject' : 'any';
  if (pat === 'apiVersion' || pat === 'kind') return 'reject'; // every value in the pool differs from the template's
  if (INT_OR_STRING.has(pat)) {
    if (typeof num === 'string') return 'any';
    if (typeof num === 'number') return Number.isInteger(num) && num >= -(2 ** 31) && num < 2 ** 31 ? 'any' : 'reject';
    return 'reject';
  }
  if (QUANTITY.has(pat)) {
    if (typeof num === 'number') return Number.isFinite(num) ? 'any' : 'reject';
    if (typeof num === 'string') return /^[+-]?[0-9.]+([eE][0-9]+|[a-zA-Z]{0,2})$/.test(num) ? 'any' : 'reject';
    return 'reject';
  }
  if (typeof orig === 'number') {
    if (typeof num !== 'number' || !Number.isInteger(num)) return 'reject';
    const max = INT64.has(pat) ? 2 ** 63 : 2 ** 31;
    // 2^63 as a JavaScript number is also what int64's largest value, 9223372036854775807, parses
    // to: the server cannot tell the two apart and accepts it (docs/api-limits.md, Integers)
    if (num === 2 ** 63 && INT64.has(pat)) return 'any';
    if (num >= max || num < -max) return 'reject';
    if (num < 0 && NON_NEGATIVE.has(pat)) return 'reject';
    return 'any';
  }
  if (typeof orig === 'string') {
    if (typeof num !== 'string') return 'reject';
    // "" is the unset value of a Go string: kube defaults it (restartPolicy Always, sessionAffinity
    // None, protocol TCP...) or reads it as the default (a toleration's operator Equal)
    if (ENUMS.has(pat)) return num === orig || num === '' ? 'any' : 'reject';
    if (pat === 'metadata.name') return num === '' ? 'reject' : 'any';
    if (NAMED.has(pat)) return 'any';
    return 'any';
  }
  if (typeof orig === 'boolean') return typeof num === 'boolean' ? 'any' : 'reject';
  if (Array.isArray(orig)) return Array.isArray(num) ? 'any' : 'reject';
  if (isPlainObject(orig)) return isPlainObject(num) ? 'any' : 'reject';
  return 'any';
}

/** JSON text with RawNumber markers written out as their text. */
function toJsonText(obj: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(obj, (_k, v) => {
    if (v instanceof RawNumber) {
      raws.push(v.text);
      return `__RAW_${raws.length - 1}__`;
    }
    return v;
  });
  return text.replace(/"__RAW_(\d+)__"/g, (_m, i) => raws[Number(i)]!);
}

function mutate(ctx: GenContext, kind: KindSpec, name: string): { obj: Record<string, unknown>; note: string; expect: Expect; pat: string; v: unknown } {
  const { rng } = ctx;
  const obj = kind.template(name, ctx.ns);
  const all = nodes(obj);
  const n = rng.pick(all);
  let v = rng.pick(CONFUSION);
  const pat = fieldPattern(kind.kind, n.path);
  // a valid large replica count would make the controllers create that many pods: keep it invalid
  if (pat === 'spec.replicas' && typeof v === 'number' && Number.isInteger(v) && v > 3 && v < 2 ** 31) v = 2 ** 31;
  if (pat === 'metadata.namespace' && typeof v === 'string' && v !== '') v = 5; // a different namespace is a 400 by rule, not typing
  setAt(obj, n.path, v);
  const shown = v instanceof RawNumber ? v.text : typeof v === 'string' && v.length > 40 ? `"${v.slice(0, 8)}..." (${v.length} chars)` : JSON.stringify(v);
  return { obj, note: `${kind.kind} ${n.path.join('.')} = ${shown}`, expect: verdict(kind, pat, n.value, v), pat, v };
}

/** Kinds whose fixture a PUT or PATCH may change (the Namespace fixture is the fuzzer's own namespace). */
function fixtureName(ctx: GenContext, kind: KindSpec): string | undefined {
  const f = ctx.fixtures;
  return { ConfigMap: f.configMap, Secret: f.secret, Pod: f.pod, Deployment: f.deployment, Service: f.service }[kind.kind];
}

export const typeConfusion: Generator = (ctx) => {
  const { rng } = ctx;
  const kind = rng.pick(KINDS);
  const verb = kind.kind === 'Namespace' ? 'POST' : rng.pick(['POST', 'POST', 'POST', 'PUT', 'PATCH'] as const);
  const name = verb === 'POST' ? uniqueName(ctx) : fixtureName(ctx, kind)!;
  const m = mutate(ctx, kind, name);
  const coll = collectionOf(kind, ctx.ns);
  const body = toJsonText(m.obj);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (verb === 'POST') {
    return { note: `POST ${m.note}`, method: 'POST', path: coll, headers: authHeaders(ctx, 'application/json'), body, expect: m.expect, stored: { collection: coll, sent: parsed, create: true, template: kind.template(name, ctx.ns) } };
  }
  const path = `${coll}/${name}`;
  // on an existing object, the name and namespace are the URL's: any other value is a mismatch
  // (a PUT with namespace "" takes the URL's, as kube's EnsureObjectNamespaceMatchesRequestNamespace does)
  const renames = (m.pat === 'metadata.name' || m.pat === 'metadata.namespace') && m.v !== null && !(verb === 'PUT' && m.pat === 'metadata.namespace' && m.v === '');
  const expect: Expect = renames ? 'reject' : m.pat === 'metadata.name' ? 'any' : m.expect;
  if (verb === 'PUT') {
    return { note: `PUT ${m.note}`, method: 'PUT', path, headers: authHeaders(ctx, 'application/json'), body, expect, stored: { collection: coll, sent: parsed, create: false, template: kind.template(name, ctx.ns) } };
  }
  return { note: `PATCH(merge) ${m.note}`, method: 'PATCH', path, headers: authHeaders(ctx, 'application/merge-patch+json'), body, expect, stored: { collection: coll, sent: parsed, create: false, template: kind.template(name, ctx.ns) } };
};

/** The whole body is not an object. */
export const notAnObject: Generator = (ctx) => {
  const kind = ctx.rng.pick(KINDS);
  const body = ctx.rng.pick(['[]', '"configmap"', '5', 'null', 'true', '[{"kind":"ConfigMap"}]', '""']);
  return { note: `POST ${kind.kind} body ${body}`, method: 'POST', path: collectionOf(kind, ctx.ns), headers: authHeaders(ctx, 'application/json'), body, expect: 'reject' };
};
