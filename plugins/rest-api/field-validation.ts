// fieldValidation on writes, as kube-apiserver does it: fields a kind's schema does not declare and
// keys repeated in the body are ignored (Ignore), reported in Warning headers (Warn, the default) or
// fail the request (Strict, what kubectl sends): a create or replace with a 400 "... cannot be handled
// as a Pod: strict decoding error: unknown field "spec.foo"", a patch with a 422 on `patch`.
// Unknown fields are found against the published OpenAPI model (openapi/model.ts); duplicates while
// the body is parsed (recordDuplicates, from the content-type parsers).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors, type KindInfo, type PatchType } from '@skiff/kernel';
import { jsonDuplicateFields, yamlDuplicateFields } from './body-parsers.ts';
import type { Schema } from './openapi/common.ts';
import type { OpenApiDocuments } from './openapi/documents.ts';
import { gvkKey } from './openapi/model.ts';

export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

const WRITES = new Set(['POST', 'PUT', 'PATCH']);
const DUPLICATES = Symbol('duplicateFields');
type WithDuplicates = FastifyRequest & { [DUPLICATES]?: string[] };

/** The request's fieldValidation: Warn unless it says otherwise (kube's default since 1.23). */
export function fieldValidationOf(query: unknown): FieldValidation {
  const q = (query ?? {}) as Record<string, unknown>;
  const v = Array.isArray(q.fieldValidation) ? q.fieldValidation[0] : q.fieldValidation;
  return v === 'Ignore' || v === 'Strict' ? v : 'Warn';
}

/** Content-type parsers call this with the parsed body: the duplicate keys of a write that validates fields are kept on the request. */
export function recordDuplicates(req: FastifyRequest, value: unknown, text: string, format: 'json' | 'yaml'): unknown {
  if (value !== undefined && WRITES.has(req.method) && fieldValidationOf(req.query) !== 'Ignore') {
    const found = format === 'json' ? jsonDuplicateFields(text, value) : yamlDuplicateFields(text);
    if (found.length) (req as WithDuplicates)[DUPLICATES] = found;
  }
  return value;
}

const isObj = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

type Mode = 'object' | 'merge' | 'strategic';

/** Field paths of `value` its schema does not declare. Patches: a null deletes (nothing to check), `$` keys are directives. */
export function unknownFields(definitions: Record<string, Schema>, schema: Schema, value: unknown, mode: Mode = 'object', path = ''): string[] {
  const out: string[] = [];
  walk(definitions, schema, value, mode, path, out);
  return out;
}

function resolve(definitions: Record<string, Schema>, s: Schema | undefined): Schema | undefined {
  for (let i = 0; s && i < 32; i++) {
    if (typeof s.$ref === 'string') s = definitions[s.$ref.slice(s.$ref.lastIndexOf('/') + 1)];
    else if (Array.isArray(s.allOf) && s.allOf.length === 1 && !s.properties && isObj(s.allOf[0])) s = s.allOf[0];
    else return s;
  }
  return s;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

function walk(definitions: Record<string, Schema>, schema: Schema | undefined, v: unknown, mode: Mode, path: string, out: string[]): void {
  const s = resolve(definitions, schema);
  if (!s) return;
  if (Array.isArray(v)) {
    if (isObj(s.items)) v.forEach((x, i) => walk(definitions, s.items as Schema, x, mode, `${path}[${i}]`, out));
    return;
  }
  if (!isObj(v)) return;
  const props = isObj(s.properties) ? s.properties : undefined;
  const closed = !!props && Object.keys(props).length > 0 && s['x-kubernetes-preserve-unknown-fields'] !== true;
  for (const [k, x] of Object.entries(v)) {
    if (mode !== 'object' && x === null) continue;
    if (mode === 'strategic' && k.startsWith('$')) continue;
    if (props && Object.hasOwn(props, k)) walk(definitions, props[k] as Schema, x, mode, join(path, k), out);
    else if (isObj(s.additionalProperties)) walk(definitions, s.additionalProperties, x, mode, join(path, k), out);
    else if (closed) out.push(join(path, k));
  }
}

/** The fields a JSON patch's add and replace operations bring that the schema does not declare. */
function jsonPatchUnknownFields(definitions: Record<string, Schema>, root: Schema, ops: unknown): string[] {
  if (!Array.isArray(ops)) return [];
  const out: string[] = [];
  for (const op of ops) {
    if (!isObj(op) || (op.op !== 'add' && op.op !== 'replace') || typeof op.path !== 'string') continue;
    const tokens = op.path.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    let s: Schema | undefined = root;
    let path = '';
    let known = true;
    for (const t of tokens) {
      const r = resolve(definitions, s);
      if (!r) break;
      if (r.type === 'array' || isObj(r.items)) {
        s = isObj(r.items) ? r.items : undefined;
        path += `[${t === '-' ? 'new' : t}]`;
        continue;
      }
      const props = isObj(r.properties) ? r.properties : undefined;
      path = join(path, t);
      if (props && Object.hasOwn(props, t)) s = props[t] as Schema;
      else if (isObj(r.additionalProperties)) s = r.additionalProperties;
      else {
        if (props && Object.keys(props).length > 0 && r['x-kubernetes-preserve-unknown-fields'] !== true) out.push(path);
        known = false;
        break;
      }
    }
    if (known && s) walk(definitions, s, op.value, 'object', path, out);
  }
  return out;
}

/** kube's Warning header value: code 299, agent "-", the text quoted. */
export const warningHeader = (text: string): string => `299 - "${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export interface WriteTarget {
  kind: KindInfo;
  namespace?: string;
  name?: string;
  /** undefined: a create or a replace (the body is an object) */
  patchType?: PatchType;
}

export class FieldValidator {
  constructor(private readonly docs: OpenApiDocuments) {}

  /** Check a write's body as its fieldValidation says: Warning headers on the reply (Warn), a Status thrown (Strict). */
  async check(req: FastifyRequest, reply: FastifyReply, target: WriteTarget, body: unknown): Promise<void> {
    const directive = fieldValidationOf(req.query);
    if (directive === 'Ignore') return;
    const duplicates = (req as WithDuplicates)[DUPLICATES] ?? [];
    const { model } = await this.docs.get();
    const { kind, patchType } = target;
    const m = model.byGvk.get(gvkKey(kind.group, kind.version, kind.kind));
    const root = m && model.definitions[m.definition];
    let unknown: string[] = [];
    if (root) {
      if (patchType === 'json') unknown = jsonPatchUnknownFields(model.definitions, root, body);
      else unknown = unknownFields(model.definitions, root, body, patchType === 'merge' ? 'merge' : patchType === 'strategic' ? 'strategic' : 'object');
    }
    if (unknown.length === 0 && duplicates.length === 0) return;
    const issues = [...unknown.map((p) => `unknown field "${p}"`), ...duplicates.map((p) => `duplicate field "${p}"`)];
    if (directive === 'Warn') {
      // after any Warning already set (a deprecated version's)
      const prev = reply.getHeader('Warning');
      reply.header('Warning', [...(prev === undefined ? [] : Array.isArray(prev) ? prev.map(String) : [String(prev)]), ...[...new Set(issues)].map(warningHeader)]);
      return;
    }
    throw strictError(target, issues, unknown, duplicates, body);
  }
}

function strictError(target: WriteTarget, issues: string[], unknown: string[], duplicates: string[], body: unknown) {
  const { kind, patchType } = target;
  const strict = `strict decoding error: ${issues.join(', ')}`;
  if (patchType === undefined) return errors.badRequest(`${kind.kind} in version "${kind.version}" cannot be handled as a ${kind.kind}: ${strict}`);
  if (patchType === 'apply') {
    // server-side apply: kube's typed conversion names the undeclared fields
    if (unknown.length) {
      const gv = kind.group ? `${kind.group}/${kind.version}` : `/${kind.version}`;
      const where = `${target.namespace ? `${target.namespace}/` : ''}${target.name ?? ''}; ${gv}, Kind=${kind.kind}`;
      return errors.badRequest(`failed to create typed patch object (${where}): ${unknown.map((p) => `.${p}: field not declared in schema`).join(', ')}`);
    }
    return errors.badRequest(`error strict decoding patch: ${duplicates.map((p) => `duplicate field "${p}"`).join(', ')}`);
  }
  const value = JSON.stringify(body) ?? '';
  return errors.invalid({ group: '', resource: '', kind: '' }, '', [{ reason: 'FieldValueInvalid', field: 'patch', message: `Invalid value: ${JSON.stringify(value)}: ${strict}` }]);
}
