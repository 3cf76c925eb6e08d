// x-kubernetes-validations: a CRD schema's CEL rules, compiled when the CRD is written (a rule that
// does not compile refuses the CRD) and evaluated on every write of its objects, as
// apiextensions-apiserver's cel validator does: `self` is the value at the rule's node, `oldSelf` the
// same value before an update (a rule naming oldSelf is a transition rule, run only when there is an
// old value to compare with), `message` / `messageExpression` / `reason` / `fieldPath` shape the cause.
// CEL is @marcbachmann/cel-js: it type-checks before evaluating (unknown functions and wrong
// arities are compile errors, as in cel-go), has CEL's macros (has, all, exists, exists_one, map,
// filter), the strings extension and optional types, and works on plain JSON values.
import { Environment } from '@marcbachmann/cel-js';
import { asArr, isObj, type Obj, type StatusCause } from '../causes.ts';

const env = new Environment({ unlistedVariablesAreDyn: false, enableOptionalTypes: true, homogeneousAggregateLiterals: false, limits: { maxAstNodes: 10_000, maxDepth: 100 } })
  .registerVariable('self', 'dyn')
  .registerVariable('oldSelf', 'dyn')
  // kube's list library (k8s.io/apiserver/pkg/cel/library/lists.go), the functions rules use most
  .registerFunction('list.isSorted(): bool', (l: unknown[]) => l.every((x, i) => i === 0 || compare(l[i - 1], x) <= 0))
  .registerFunction('list.sum(): dyn', (l: unknown[]) => l.reduce((a: any, b: any) => a + b, 0n)) // eslint-disable-line @typescript-eslint/no-explicit-any
  .registerFunction('list.indexOf(dyn): int', (l: unknown[], v: unknown) => BigInt(l.findIndex((x) => x === v)))
  .registerFunction('list.lastIndexOf(dyn): int', (l: unknown[], v: unknown) => BigInt(l.findLastIndex((x) => x === v)));

function compare(a: unknown, b: unknown): number {
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

interface Rule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
  transition: boolean;
  run: (ctx: Obj) => unknown;
  runMessage?: (ctx: Obj) => unknown;
}

const REASONS = ['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate'];

/** The schema node's type as kube names it in a rule's cause (`Invalid value: "object": ...`). */
function typeName(s: Obj): string {
  if (s['x-kubernetes-int-or-string'] === true) return 'string';
  return typeof s.type === 'string' ? s.type : 'object';
}

/** Compile errors of every rule in a schema, as causes under `path` (the CRD's field path of the schema). */
export function celCompileErrors(schema: unknown, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  walkSchema(schema, path, (s, p, correlatable) => {
    asArr(s['x-kubernetes-validations']).forEach((r, i) => {
      const f = `${p}.x-kubernetes-validations[${i}]`;
      if (!isObj(r) || typeof r.rule !== 'string' || r.rule.trim() === '') return void out.push({ reason: 'FieldValueRequired', message: 'Required value', field: `${f}.rule` });
      const err = checkExpr(r.rule, 'bool');
      if (err) out.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(r.rule)}: compilation failed: ${err}`, field: `${f}.rule` });
      if (typeof r.messageExpression === 'string') {
        const e2 = checkExpr(r.messageExpression, 'string');
        if (e2) out.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(r.messageExpression)}: messageExpression compilation failed: ${e2}`, field: `${f}.messageExpression` });
      }
      if (r.reason !== undefined && !REASONS.includes(String(r.reason)))
        out.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(r.reason)}: supported values: ${REASONS.map((x) => JSON.stringify(x)).join(', ')}`, field: `${f}.reason` });
      if (/\boldSelf\b/.test(r.rule) && !correlatable)
        out.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(r.rule)}: oldSelf cannot be used on the uncorrelatable portion of the schema within ${p}`, field: `${f}.rule` });
    });
  });
  return out;
}

function checkExpr(expr: string, want: 'bool' | 'string'): string | undefined {
  try {
    const r = env.check(expr);
    if (!r.valid) return oneLine(r.error?.message ?? 'invalid expression');
    if (r.type !== want && r.type !== 'dyn') return `must evaluate to ${want}, not ${String(r.type)}`;
    return undefined;
  } catch (e) {
    return oneLine((e as Error).message);
  }
}

const oneLine = (s: string) => s.split('\n')[0];

/** Every schema node; `correlatable`: an old value can be found for it (items of lists other than map lists cannot). */
function walkSchema(s: unknown, path: string, visit: (s: Obj, path: string, correlatable: boolean) => void, correlatable = true): void {
  if (!isObj(s)) return;
  visit(s, path, correlatable);
  if (isObj(s.properties)) for (const [k, v] of Object.entries(s.properties)) walkSchema(v, `${path}.properties[${k}]`, visit, correlatable);
  if (isObj(s.additionalProperties)) walkSchema(s.additionalProperties, `${path}.additionalProperties`, visit, correlatable);
  if (isObj(s.items)) walkSchema(s.items, `${path}.items`, visit, correlatable && s['x-kubernetes-list-type'] === 'map');
}

/** Compiled rules per schema node (nodes without rules are absent). */
export type CompiledRules = WeakMap<Obj, Rule[]>;

/** Compile a version's rules (they were checked when the CRD was written; one that fails now is skipped). */
export function compileRules(schema: unknown): CompiledRules | undefined {
  const map: CompiledRules = new WeakMap();
  let any = false;
  walkSchema(schema, '', (s) => {
    const rules: Rule[] = [];
    for (const r of asArr(s['x-kubernetes-validations'])) {
      if (!isObj(r) || typeof r.rule !== 'string' || checkExpr(r.rule, 'bool')) continue;
      const run = env.parse(r.rule);
      const me = typeof r.messageExpression === 'string' && !checkExpr(r.messageExpression, 'string') ? env.parse(r.messageExpression) : undefined;
      rules.push({
        rule: r.rule,
        message: typeof r.message === 'string' ? r.message : undefined,
        messageExpression: typeof r.messageExpression === 'string' ? r.messageExpression : undefined,
        reason: typeof r.reason === 'string' ? r.reason : undefined,
        fieldPath: typeof r.fieldPath === 'string' ? r.fieldPath : undefined,
        transition: /\boldSelf\b/.test(r.rule),
        run: (ctx) => run(ctx),
        runMessage: me && ((ctx) => me(ctx)),
      });
    }
    if (rules.length) {
      map.set(s, rules);
      any = true;
    }
  });
  return any ? map : undefined;
}

/** JSON as CEL sees it through the schema: integer fields are CEL ints (bigint), numbers doubles. */
export function toCel(v: unknown, s: unknown): unknown {
  const schema = isObj(s) ? s : {};
  if (typeof v === 'number') return Number.isInteger(v) && schema.type !== 'number' ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map((x) => toCel(x, schema.items));
  if (isObj(v)) {
    const props = isObj(schema.properties) ? schema.properties : {};
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) out[k] = toCel(x, props[k] ?? schema.additionalProperties);
    return out;
  }
  return v;
}

const fromCel = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : v);

/** Run the rules over an object (and its old version on update): the causes of every rule that fails. */
export function evaluateRules(rules: CompiledRules, schema: Obj, obj: unknown, old: unknown): StatusCause[] {
  const out: StatusCause[] = [];
  visit(rules, schema, obj, old, '', out);
  return out;
}

function visit(rules: CompiledRules, s: Obj, v: unknown, old: unknown, path: string, out: StatusCause[]): void {
  if (v === undefined || v === null) return;
  const mine = rules.get(s);
  if (mine) {
    const self = toCel(v, s);
    const oldSelf = old === undefined || old === null ? undefined : toCel(old, s);
    for (const r of mine) {
      if (r.transition && oldSelf === undefined) continue;
      const ctx = { self, oldSelf: oldSelf ?? null };
      const field = r.fieldPath ? joinPath(path, r.fieldPath) : path;
      let ok: unknown;
      try {
        ok = r.run(ctx);
      } catch (e) {
        out.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(typeName(s))}: rule evaluation error: ${r.rule}: ${oneLine((e as Error).message)}`, field: field || '<nil>' });
        continue;
      }
      if (ok === true) continue;
      out.push(ruleCause(r, ctx, typeName(s), field));
    }
  }
  if (isObj(v) && isObj(s.properties)) {
    for (const [k, ps] of Object.entries(s.properties)) if (isObj(ps)) visit(rules, ps, v[k], isObj(old) ? old[k] : undefined, path ? `${path}.${k}` : k, out);
  } else if (isObj(v) && isObj(s.additionalProperties)) {
    for (const [k, x] of Object.entries(v)) visit(rules, s.additionalProperties, x, isObj(old) ? old[k] : undefined, `${path}[${k}]`, out);
  }
  if (Array.isArray(v) && isObj(s.items)) {
    const keys = s['x-kubernetes-list-type'] === 'map' ? asArr(s['x-kubernetes-list-map-keys']).map(String) : undefined;
    const olds = Array.isArray(old) ? old : [];
    v.forEach((x, i) => {
      // only map lists correlate an item with its old version (by the map keys)
      const o = keys && isObj(x) ? olds.find((y) => isObj(y) && keys.every((k) => JSON.stringify(y[k]) === JSON.stringify(x[k]))) : undefined;
      visit(rules, s.items as Obj, x, o, `${path}[${i}]`, out);
    });
  }
}

function joinPath(base: string, fieldPath: string): string {
  const p = fieldPath.startsWith('.') ? fieldPath.slice(1) : fieldPath;
  return base ? (p.startsWith('[') ? base + p : `${base}.${p}`) : p;
}

function ruleCause(r: Rule, ctx: Obj, type: string, field: string): StatusCause {
  let msg = r.message ?? `failed rule: ${r.rule}`;
  if (r.runMessage) {
    try {
      const m = fromCel(r.runMessage(ctx));
      if (typeof m === 'string' && m.trim() !== '' && !m.includes('\n')) msg = m;
    } catch {
      // kube falls back to message (or the default) when messageExpression fails
    }
  }
  const reason = r.reason ?? 'FieldValueInvalid';
  const message =
    reason === 'FieldValueForbidden' ? `Forbidden: ${msg}` : reason === 'FieldValueRequired' ? `Required value: ${msg}` : reason === 'FieldValueDuplicate' ? `Duplicate value: ${JSON.stringify(type)}` : `Invalid value: ${JSON.stringify(type)}: ${msg}`;
  return { reason, message, field: field || '<nil>' };
}
