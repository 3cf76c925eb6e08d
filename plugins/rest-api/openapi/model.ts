// The OpenAPI model of the served kinds: one definition per kind (named as Kubernetes names it, with
// x-kubernetes-group-version-kind), its list kind, the named parts its schema shares with others
// (PodSpec, Container, ...), and apimachinery's types. OpenAPI v3 form; v2.ts rewrites it for
// Swagger 2.0. The same model is what fieldValidation checks request bodies against.
import type { KindInfo } from '@skiff/kernel';
import { COMMON_DEFINITIONS, LIST_META, OBJECT_META, INT_OR_STRING, QUANTITY, ref, refField, type Schema } from './common.ts';
import { DESCRIPTIONS, OBJECT_FIELDS } from './descriptions.ts';
import { definitionName, isBuiltinGroup, NESTED, REQUIRED } from './names.ts';

export interface KindModel {
  info: KindInfo;
  /** name of the kind's definition */
  definition: string;
  /** Kubernetes' own kind whose schema carries patch metadata: PATCH takes strategic merge patches */
  strategic: boolean;
}

export interface OpenApiModel {
  definitions: Record<string, Schema>;
  kinds: KindModel[];
  /** "group/version/Kind" -> KindModel */
  byGvk: Map<string, KindModel>;
}

const isObj = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
const props = (s: Schema): Schema | undefined => (isObj(s.properties) ? s.properties : undefined);
/** an object with fields listed; S.obj() with none is open */
const hasFields = (s: Schema): boolean => Object.keys(props(s) ?? {}).length > 0;
export const gvkKey = (group: string, version: string, kind: string): string => `${group}/${version}/${kind}`;

/** Keywords copied as they are (validation keywords and Kubernetes' extensions). */
const PASS = new Set(['format', 'enum', 'default', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties', 'multipleOf', 'nullable', 'required', 'description', 'title', 'example']);
const NESTING = ['allOf', 'anyOf', 'oneOf'] as const;

/** Whether a schema (deeply) carries strategic merge patch metadata. */
function hasPatchMetadata(s: unknown, seen = new Set<unknown>()): boolean {
  if (!isObj(s) && !Array.isArray(s)) return false;
  if (seen.has(s)) return false;
  seen.add(s);
  if (isObj(s) && ('x-kubernetes-patch-strategy' in s || 'x-kubernetes-patch-merge-key' in s)) return true;
  return Object.values(s).some((v) => hasPatchMetadata(v, seen));
}

/** The node at a path like "spec.containers[]" (a property step, then "[]" for items). */
function nodeAt(root: Schema, path: string): Schema | undefined {
  let s: Schema | undefined = root;
  for (const step of path.split('.')) {
    const name = step.endsWith('[]') ? step.slice(0, -2) : step;
    s = s && props(s) && isObj(props(s)![name]) ? (props(s)![name] as Schema) : undefined;
    if (s && step.endsWith('[]')) s = isObj(s.items) ? s.items : undefined;
    if (!s) return undefined;
  }
  return s;
}

class Builder {
  readonly definitions: Record<string, Schema> = { ...COMMON_DEFINITIONS };
  /** schema object -> the definition it is published as */
  private readonly names = new Map<Schema, string>();

  /** Name the well-known parts of a kind's schema (the first kind to reach a shared part names it). */
  name(definition: string, schema: Schema): void {
    for (const [path, name] of Object.entries(NESTED[definition] ?? {})) {
      const node = nodeAt(schema, path);
      if (node && !this.names.has(node) && (hasFields(node) || node.additionalProperties)) this.names.set(node, name);
    }
  }

  /** A kind's definition. */
  kind(info: KindInfo, definition: string, schema: Schema | undefined): void {
    const gvk = [{ group: info.group, version: info.version, kind: info.kind }];
    const description = DESCRIPTIONS[definition]?.[''] ?? (typeof schema?.description === 'string' ? schema.description : undefined);
    const base = { ...(description ? { description } : {}), type: 'object' };
    if (!schema || !hasFields(schema)) {
      // no schema (or an open one): any fields
      this.definitions[definition] = { ...base, 'x-kubernetes-preserve-unknown-fields': true, 'x-kubernetes-group-version-kind': gvk };
    } else {
      const out = this.object(schema, definition, true);
      this.definitions[definition] = { ...out, ...base, 'x-kubernetes-group-version-kind': gvk };
    }
    this.definitions[`${definition}List`] = {
      description: `A list of ${info.kind} objects.`,
      type: 'object',
      required: ['items'],
      properties: {
        apiVersion: { type: 'string', description: OBJECT_FIELDS.apiVersion },
        kind: { type: 'string', description: OBJECT_FIELDS.kind },
        metadata: refField(LIST_META, 'Metadata of the list.'),
        items: { type: 'array', description: OBJECT_FIELDS.items, items: ref(definition) },
      },
      'x-kubernetes-group-version-kind': [{ group: info.group, version: info.version, kind: `${info.kind}List` }],
    };
  }

  /** An object schema's fields; `owner` names the definition whose descriptions apply (undefined for inline objects). */
  private object(s: Schema, owner: string | undefined, root = false): Schema {
    const out: Schema = { type: 'object' };
    const p = props(s) ?? {};
    const fields: Schema = {};
    if (root) {
      fields.apiVersion = { type: 'string', description: OBJECT_FIELDS.apiVersion };
      fields.kind = { type: 'string', description: OBJECT_FIELDS.kind };
      fields.metadata = refField(OBJECT_META, OBJECT_FIELDS.metadata);
    }
    for (const [name, sub] of Object.entries(p)) {
      if (root && (name === 'apiVersion' || name === 'kind' || name === 'metadata')) continue;
      if (!isObj(sub)) continue;
      const own = typeof sub.description === 'string' ? sub.description : undefined;
      const description = (owner ? DESCRIPTIONS[owner]?.[name] : undefined) ?? own ?? (root ? OBJECT_FIELDS[name] : undefined);
      fields[name] = name === 'metadata' && (sub.type === 'object' || sub.type === undefined) ? refField(OBJECT_META, description ?? OBJECT_FIELDS.metadata) : this.field(sub, description);
    }
    out.properties = fields;
    const required = [...new Set([...(Array.isArray(s.required) ? (s.required as string[]) : []), ...(owner ? (REQUIRED[owner] ?? []) : [])])];
    if (required.length) out.required = required;
    this.extensions(s, out);
    if (isObj(s.additionalProperties)) out.additionalProperties = this.convert(s.additionalProperties);
    return out;
  }

  /** A property: a named type is referenced (wrapped in allOf to keep the field's description). */
  private field(s: Schema, description: string | undefined): Schema {
    const c = this.convert(s);
    if (typeof c.$ref === 'string') return refField(c.$ref.slice('#/components/schemas/'.length), description);
    return description ? { ...c, description } : c;
  }

  /** Any schema node. */
  convert(s: Schema): Schema {
    const named = this.names.get(s);
    if (named) {
      this.define(named, s);
      return ref(named);
    }
    const type = s.type;
    if (Array.isArray(type)) {
      // the compact schemas' int-or-string and quantity (kube publishes named types for them)
      if (type.includes('integer') && type.includes('string')) return ref(INT_OR_STRING);
      if (type.includes('number') && type.includes('string')) return ref(QUANTITY);
      return this.convert({ ...s, type: type.find((t) => t !== 'null') ?? 'string' });
    }
    if (s['x-kubernetes-int-or-string'] === true && type === undefined) return this.passThrough(s, { 'x-kubernetes-int-or-string': true });
    const out: Schema = {};
    if (type === 'array') {
      out.type = 'array';
      out.items = isObj(s.items) ? this.convert(s.items) : {};
    } else if (type === 'object' || (type === undefined && (props(s) || isObj(s.additionalProperties)))) {
      if (hasFields(s)) return this.passThrough(s, this.object(s, undefined));
      out.type = 'object';
      if (isObj(s.additionalProperties)) out.additionalProperties = this.convert(s.additionalProperties);
      else if (s.additionalProperties !== true || s['x-kubernetes-preserve-unknown-fields'] === true) out['x-kubernetes-preserve-unknown-fields'] = true;
    } else if (typeof type === 'string') {
      out.type = type;
    } else if (!NESTING.some((k) => Array.isArray(s[k]))) {
      out['x-kubernetes-preserve-unknown-fields'] = true; // any JSON value
    }
    return this.passThrough(s, out);
  }

  /** Copy validation keywords and x-kubernetes-* extensions of `s` onto `out`, converting nested schemas. */
  private passThrough(s: Schema, out: Schema): Schema {
    for (const [k, v] of Object.entries(s)) {
      if (PASS.has(k) && !(k in out) && k !== 'required') out[k] = v;
      else if ((NESTING as readonly string[]).includes(k) && Array.isArray(v)) out[k] = v.filter(isObj).map((x) => this.convert(x));
      else if (k === 'not' && isObj(v)) out.not = this.convert(v);
    }
    if (Array.isArray(s.required) && out.type === 'object' && !out.required) out.required = s.required;
    this.extensions(s, out);
    return out;
  }

  private extensions(s: Schema, out: Schema): void {
    for (const [k, v] of Object.entries(s)) if (k.startsWith('x-kubernetes-') && !(k in out)) out[k] = v;
  }

  /** Emit a named definition once (a placeholder first: parts may refer to themselves). */
  private define(name: string, s: Schema): void {
    if (this.definitions[name]) return;
    this.definitions[name] = {};
    const out = hasFields(s) ? this.object(s, name) : this.convert({ ...s });
    const description = DESCRIPTIONS[name]?.[''];
    this.definitions[name] = description ? { description, ...out } : out;
  }
}

/** The model of the kinds served, given each kind's schema (undefined: none published). */
export function buildModel(kinds: KindInfo[], schemas: (Schema | undefined)[]): OpenApiModel {
  const b = new Builder();
  const models: KindModel[] = kinds.map((info, i) => ({
    info,
    definition: definitionName(info.group, info.version, info.kind),
    strategic: isBuiltinGroup(info.group) && hasPatchMetadata(schemas[i]),
  }));
  models.forEach((m, i) => schemas[i] && b.name(m.definition, schemas[i]!));
  models.forEach((m, i) => b.kind(m.info, m.definition, schemas[i]));
  return { definitions: b.definitions, kinds: models, byGvk: new Map(models.map((m) => [gvkKey(m.info.group, m.info.version, m.info.kind), m])) };
}

/** The definitions `roots` refer to, directly or not (what one group-version's document needs). */
export function reachable(definitions: Record<string, Schema>, roots: string[]): string[] {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name) || !definitions[name]) continue;
    seen.add(name);
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) return v.forEach(walk);
      if (!isObj(v)) return;
      if (typeof v.$ref === 'string') stack.push(v.$ref.slice(v.$ref.lastIndexOf('/') + 1));
      for (const x of Object.values(v)) walk(x);
    };
    walk(definitions[name]);
  }
  return [...seen].sort();
}
