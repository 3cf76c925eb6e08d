// plugins.skiff.io/v1alpha1 Plugin and Distribution: what runs where.
import { asArr, asObj, cause, child, isObj, setDefault, type Obj, type StatusCause } from '../causes.ts';
import { artifactNameErrors, isArtifactDigest } from '../../store/artifact-names.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { S } from '../structural.ts';
import { isDNS1123Subdomain, isQualifiedName, validateEnum, validateString } from '../validation.ts';
import { objectSchema, safeDefault, safeValidate, sel, structure } from './helpers.ts';

const source = S.obj({ builtin: S.str, artifact: S.str, path: S.str, digest: S.str });
const SOURCE_KINDS = ['builtin', 'artifact', 'path'];
const pluginSpec = S.obj({ type: S.str, version: S.str, source, config: S.obj(), node: S.str, failurePolicy: S.str });

function validateSource(src: unknown, field: string, required: boolean): StatusCause[] {
  if (src === undefined || src === null) return required ? [cause.required(field)] : [];
  if (!isObj(src)) return [];
  const given = SOURCE_KINDS.filter((k) => typeof src[k] === 'string' && src[k] !== '');
  if (given.length === 0) return [cause.required(field, 'one of `builtin`, `artifact` or `path` is required')];
  const out = given.slice(1).map((k) => cause.forbidden(child(field, k), 'may not specify more than 1 source'));
  if (typeof src.artifact === 'string' && src.artifact !== '') {
    const problems = artifactNameErrors(src.artifact);
    if (problems.length) out.push(cause.invalid(child(field, 'artifact'), src.artifact, problems.join('; ')));
  }
  const digest = src.digest;
  if (digest !== undefined && digest !== null && digest !== '') {
    if (!(typeof src.artifact === 'string' && src.artifact !== '')) out.push(cause.forbidden(child(field, 'digest'), 'may only be specified with `artifact`'));
    else if (typeof digest === 'string' && !isArtifactDigest(digest)) {
      out.push(cause.invalid(child(field, 'digest'), digest, 'must be sha256:<64 lower-case hex digits>'));
    }
  }
  return out;
}

/** `[prefix/]name` like skiff.io/scheduler-policy */
const validateType = (v: unknown, field: string) => validateString(v, field, isQualifiedName, { required: true });

const pluginProps = { spec: pluginSpec, status: S.obj({ phase: S.str, message: S.str, nodes: S.arr(S.obj()), conditions: S.arr(S.obj()), runtime: S.obj() }) };
const distributionProps = { spec: S.obj({ plugins: S.arr(S.obj({ name: S.str, type: S.str, version: S.str, config: S.obj(), source })) }) };

function validatePlugin(o: Obj): StatusCause[] {
  const out = structure(o, pluginProps);
  const spec = o.spec;
  if (spec === undefined || spec === null) return [...out, cause.required('spec')];
  if (!isObj(spec)) return out;
  out.push(...validateType(spec.type, 'spec.type'));
  out.push(...validateSource(spec.source, 'spec.source', true));
  out.push(...validateEnum(spec.failurePolicy, 'spec.failurePolicy', ['Fail', 'Ignore']));
  return out;
}

export const pluginKind: SkiffKindDefinition = {
  group: 'plugins.skiff.io',
  version: 'v1alpha1',
  kind: 'Plugin',
  resource: 'plugins',
  singular: 'plugin',
  namespaced: false,
  categories: ['skiff'],
  subresources: ['status'],
  schema: objectSchema(pluginProps),
  default: safeDefault((o) => {
    const spec = asObj(o.spec);
    if (spec) setDefault(spec, 'failurePolicy', 'Fail');
  }),
  validate: safeValidate(validatePlugin),
  selectableFields: { 'spec.type': sel('spec', 'type'), 'status.phase': sel('status', 'phase') },
};

function validateDistribution(o: Obj): StatusCause[] {
  const out = structure(o, distributionProps);
  const spec = o.spec;
  if (spec === undefined || spec === null) return [...out, cause.required('spec')];
  if (!isObj(spec)) return out;
  const names = new Set<string>();
  asArr(spec.plugins).forEach((p, i) => {
    const f = child('spec.plugins', i);
    if (!isObj(p)) return;
    out.push(...validateString(p.name, child(f, 'name'), isDNS1123Subdomain, { required: true }));
    if (typeof p.name === 'string' && p.name) {
      if (names.has(p.name)) out.push(cause.duplicate(child(f, 'name'), p.name));
      names.add(p.name);
    }
    out.push(...validateType(p.type, child(f, 'type')));
    out.push(...validateSource(p.source, child(f, 'source'), false));
  });
  return out;
}

export const distributionKind: SkiffKindDefinition = {
  group: 'plugins.skiff.io',
  version: 'v1alpha1',
  kind: 'Distribution',
  resource: 'distributions',
  singular: 'distribution',
  namespaced: false,
  categories: ['skiff'],
  schema: objectSchema(distributionProps),
  validate: safeValidate(validateDistribution),
};
