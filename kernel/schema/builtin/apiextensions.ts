// apiextensions.k8s.io/v1 CustomResourceDefinition.
import { asArr, asObj, cause, child, ensureObj, isObj, setStringDefault, type Obj, type StatusCause } from '../causes.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { newAjv, S } from '../structural.ts';
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, validateEnum, validateString } from '../validation.ts';
import { structuralErrors, toAjvSchema } from './crd-schema.ts';
import { celCompileErrors } from './crd-cel.ts';
import { immutable, objectSchema, safeDefault, safeValidate, structure } from './helpers.ts';

const schemaCompiler = newAjv();

export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

const namesSchema = S.obj({ plural: S.str, singular: S.str, kind: S.str, listKind: S.str, shortNames: S.strArr, categories: S.strArr });
const crdSpec = S.obj({
  group: S.str,
  names: namesSchema,
  scope: S.str,
  versions: S.arr(
    S.obj({
      name: S.str,
      served: S.bool,
      storage: S.bool,
      deprecated: S.bool,
      deprecationWarning: S.str,
      schema: S.obj({ openAPIV3Schema: S.obj() }),
      subresources: S.obj(),
      additionalPrinterColumns: S.arr(S.obj({ name: S.str, type: S.str, format: S.str, description: S.str, priority: S.int, jsonPath: S.str })),
      selectableFields: S.arr(S.obj({ jsonPath: S.str })),
    }),
  ),
  conversion: S.obj({ strategy: S.str, webhook: S.obj() }),
  preserveUnknownFields: S.bool,
});

const crdProps = { spec: crdSpec, status: S.obj() };

function validateNames(names: unknown, out: StatusCause[]): void {
  if (names === undefined || names === null) return void out.push(cause.required('spec.names.plural'), cause.required('spec.names.kind'));
  if (!isObj(names)) return;
  out.push(...validateString(names.plural, 'spec.names.plural', isDNS1035Label, { required: true }));
  out.push(...validateString(names.singular, 'spec.names.singular', isDNS1035Label));
  const kindRe = (s: string) => (/^[A-Za-z][A-Za-z0-9]*$/.test(s) ? [] : ['may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?']);
  out.push(...validateString(names.kind, 'spec.names.kind', kindRe, { required: true }));
  out.push(...validateString(names.listKind, 'spec.names.listKind', kindRe));
  asArr(names.shortNames).forEach((s, i) => out.push(...validateString(s, child('spec.names.shortNames', i), isDNS1035Label)));
  asArr(names.categories).forEach((s, i) => out.push(...validateString(s, child('spec.names.categories', i), isDNS1035Label)));
}

const COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const COLUMN_FORMATS = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];

/** ValidateCustomResourceColumnDefinition: a name, a known type and format, a simple JSON path. */
function validatePrinterColumn(c: unknown, f: string, out: StatusCause[]): void {
  if (!isObj(c)) return;
  if (typeof c.name !== 'string' || c.name === '') out.push(cause.required(child(f, 'name')));
  if (typeof c.type !== 'string' || c.type === '') out.push(cause.required(child(f, 'type')));
  else if (!COLUMN_TYPES.includes(c.type)) out.push(cause.notSupported(child(f, 'type'), c.type, COLUMN_TYPES));
  if (typeof c.format === 'string' && c.format !== '' && !COLUMN_FORMATS.includes(c.format)) out.push(cause.notSupported(child(f, 'format'), c.format, COLUMN_FORMATS));
  if (typeof c.priority === 'number' && c.priority < 0) out.push(cause.invalid(child(f, 'priority'), c.priority, 'must be non-negative'));
  const p = c.jsonPath;
  if (typeof p !== 'string' || p === '') out.push(cause.required(child(f, 'jsonPath')));
  else if (!p.startsWith('.')) out.push(cause.invalid(child(f, 'jsonPath'), p, 'must be a simple json path starting with .'));
}

function validateCRD(o: Obj, old?: Obj): StatusCause[] {
  const out = structure(o, crdProps);
  const spec = o.spec;
  if (!isObj(spec)) return spec === undefined || spec === null ? [...out, cause.required('spec')] : out;
  out.push(...validateString(spec.group, 'spec.group', (g) => [...isDNS1123Subdomain(g), ...(g.includes('.') ? [] : ['should be a domain with at least one dot'])], { required: true }));
  validateNames(spec.names, out);
  const names = asObj(spec.names) ?? {};
  const name = isObj(o.metadata) ? o.metadata.name : undefined;
  if (typeof name === 'string' && typeof names.plural === 'string' && typeof spec.group === 'string' && name !== `${names.plural}.${spec.group}`)
    out.push(cause.invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  out.push(...validateEnum(spec.scope, 'spec.scope', ['Cluster', 'Namespaced'], { required: true }));
  const versions = asArr(spec.versions);
  if (versions.length === 0 && !Array.isArray(spec.versions) && spec.versions !== undefined && spec.versions !== null) return out;
  if (versions.length === 0) return [...out, cause.required('spec.versions', 'must have exactly one version marked as storage version')];
  const seen = new Set<string>();
  let storage = 0;
  versions.forEach((v, i) => {
    const f = child('spec.versions', i);
    if (!isObj(v)) return;
    out.push(...validateString(v.name, child(f, 'name'), isDNS1123Label, { required: true }));
    if (typeof v.name === 'string') {
      if (seen.has(v.name)) out.push(cause.invalid(child(f, 'name'), v.name, 'must be unique'));
      seen.add(v.name);
    }
    if (v.storage === true) storage++;
    asArr(v.additionalPrinterColumns).forEach((c, j) => validatePrinterColumn(c, child(f, 'additionalPrinterColumns', j), out));
    const sch = isObj(v.schema) ? v.schema.openAPIV3Schema : undefined;
    if (sch === undefined || sch === null) out.push(cause.required(child(f, 'schema', 'openAPIV3Schema'), 'schemas are required'));
    else if (isObj(sch)) {
      if (sch.type !== 'object') out.push(cause.invalid(child(f, 'schema', 'openAPIV3Schema', 'type'), sch.type ?? '', 'must be object at the root'));
      out.push(...structuralErrors(sch, child(f, 'schema', 'openAPIV3Schema')));
      out.push(...celCompileErrors(sch, child(f, 'schema', 'openAPIV3Schema')));
      try {
        schemaCompiler.compile(toAjvSchema(sch));
      } catch (e) {
        out.push(cause.invalid(child(f, 'schema', 'openAPIV3Schema'), '', (e as Error).message));
      }
    }
  });
  // conversion webhooks are not called by this server: a CRD that needs one is refused, not mis-served
  const conv = asObj(spec.conversion);
  if (conv && conv.strategy !== undefined && conv.strategy !== 'None') out.push(cause.notSupported('spec.conversion.strategy', conv.strategy, ['None']));
  if (storage !== 1) out.push(cause.invalid('spec.versions', versions.map((v) => (isObj(v) ? v.name : v)), 'must have exactly one version marked as storage version'));
  const oldSpec = old && asObj(old.spec);
  if (oldSpec) {
    out.push(...immutable(spec.group, oldSpec.group, 'spec.group'));
    out.push(...immutable(spec.scope, oldSpec.scope, 'spec.scope'));
    const on = asObj(oldSpec.names) ?? {};
    out.push(...immutable(names.plural, on.plural, 'spec.names.plural'));
  }
  return out;
}

export const customResourceDefinitionKind: SkiffKindDefinition = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  resource: 'customresourcedefinitions',
  singular: 'customresourcedefinition',
  namespaced: false,
  shortNames: ['crd', 'crds'],
  categories: ['api-extensions'],
  subresources: ['status'],
  deletion: {
    // as apiextensions-apiserver's CRD delete: the first delete adds the cleanup finalizer (the
    // kernel's CRD serving removes it once every object of the CRD is gone)
    extraFinalizers: (o) => (o.metadata.deletionTimestamp ? [] : [CRD_CLEANUP_FINALIZER]),
    onMarked: (o) => {
      const f = o.metadata.finalizers ?? [];
      if (!f.includes(CRD_CLEANUP_FINALIZER)) o.metadata.finalizers = [...f, CRD_CLEANUP_FINALIZER];
    },
  },
  default: safeDefault((o) => {
    const spec = asObj(o.spec);
    if (!spec) return;
    const names = asObj(spec.names);
    if (names && typeof names.kind === 'string') {
      setStringDefault(names, 'singular', names.kind.toLowerCase());
      setStringDefault(names, 'listKind', `${names.kind}List`);
    }
    const conv = ensureObj(spec, 'conversion');
    if (conv) setStringDefault(conv, 'strategy', 'None');
  }),
  schema: objectSchema(crdProps),
  validate: safeValidate(validateCRD),
};
