// networking.k8s.io/v1 Ingress and IngressClass, as kube's ValidateIngressCreate / ValidateIngressClass
// check them (pkg/apis/networking/validation). Like kube: Ingress has the short name "ing" and no
// category; IngressClass is cluster-scoped, with neither.
import { isIP } from 'node:net';
import { asArr, asObj, asStr, cause, child, isObj, isUnset, setDefault, type Obj, type StatusCause } from '../causes.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { S } from '../structural.ts';
import { isDNS1123Subdomain, isIanaSvcName, isValidPortNum, nameIsDNS1035Label, regexError, validateEnum, validateString } from '../validation.ts';
import { immutable, objectSchema, safeDefault, safeValidate, structure } from './helpers.ts';

export const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'] as const;
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];
const MAX_CONTROLLER_LEN = 250;

const WILDCARD_DNS1123_SUBDOMAIN = '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';

/** validation.IsWildcardDNS1123Subdomain: `*.` followed by a DNS subdomain. */
export function isWildcardDNS1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push('must be no more than 253 characters');
  if (!new RegExp(`^(?:${WILDCARD_DNS1123_SUBDOMAIN})$`).test(v))
    errs.push(
      regexError(
        "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
        WILDCARD_DNS1123_SUBDOMAIN,
        '*.example.com',
      ),
    );
  return errs;
}

/** A host of a rule or of a TLS entry: a DNS subdomain, or a wildcard one. */
function hostErrors(host: string): string[] {
  return host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
}

/** pathvalidation.IsValidPathSegmentName */
function pathSegmentErrors(v: string): string[] {
  if (v === '.' || v === '..') return [`may not be '${v}'`];
  return ['/', '%'].filter((c) => v.includes(c)).map((c) => `may not contain '${c}'`);
}

const typedRef = S.obj({ apiGroup: S.str, kind: S.str, name: S.str });
const backend = S.obj({ service: S.obj({ name: S.str, port: S.obj({ name: S.str, number: S.int }) }), resource: typedRef });
const ingressSpec = S.obj({
  ingressClassName: S.str,
  defaultBackend: backend,
  tls: S.arr(S.obj({ hosts: S.strArr, secretName: S.str })),
  rules: S.arr(S.obj({ host: S.str, http: S.obj({ paths: S.arr(S.obj({ path: S.str, pathType: S.str, backend })) }) })),
});
const portStatus = S.obj({ port: S.int, protocol: S.str, error: S.str });
const ingressStatus = S.obj({ loadBalancer: S.obj({ ingress: S.arr(S.obj({ ip: S.str, hostname: S.str, ports: S.arr(portStatus) })) }) });
const ingressProps = { spec: ingressSpec, status: ingressStatus };

function validateTypedRef(ref: Obj, f: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (typeof ref.apiGroup === 'string') out.push(...isDNS1123Subdomain(ref.apiGroup).map((m) => cause.invalid(child(f, 'apiGroup'), ref.apiGroup, m)));
  for (const k of ['kind', 'name']) {
    const v = ref[k];
    if (isUnset(v)) out.push(cause.required(child(f, k), `${k} is required`));
    else if (typeof v === 'string') out.push(...pathSegmentErrors(v).map((m) => cause.invalid(child(f, k), v, m)));
  }
  return out;
}

/** validateIngressBackend: exactly one of service (name + port name or number) and resource. */
function validateBackend(b: unknown, f: string): StatusCause[] {
  if (!isObj(b)) return [];
  const svc = asObj(b.service);
  const res = asObj(b.resource);
  if (svc && res) return [cause.invalid(f, '', 'cannot set both resource and service backends')];
  if (res) return validateTypedRef(res, child(f, 'resource'));
  if (!svc) return [cause.invalid(f, '', 'resource or service backend is required')];
  const out: StatusCause[] = [];
  const name = svc.name;
  if (isUnset(name)) out.push(cause.required(child(f, 'service', 'name')));
  else if (typeof name === 'string') out.push(...nameIsDNS1035Label(name).map((m) => cause.invalid(child(f, 'service', 'name'), name, m)));
  const port = asObj(svc.port) ?? {};
  const hasName = typeof port.name === 'string' && port.name !== '';
  const hasNumber = typeof port.number === 'number' && port.number !== 0;
  if (hasName && hasNumber) out.push(cause.invalid(f, '', 'cannot set both port name & port number'));
  else if (hasName) out.push(...isIanaSvcName(port.name as string).map((m) => cause.invalid(child(f, 'service', 'port', 'name'), port.name, m)));
  else if (hasNumber) out.push(...isValidPortNum(port.number as number).map((m) => cause.invalid(child(f, 'service', 'port', 'number'), port.number, m)));
  else out.push(cause.required(f, 'port name or number is required'));
  return out;
}

function validatePath(p: Obj, f: string): StatusCause[] {
  const out: StatusCause[] = [];
  const type = p.pathType;
  const path = asStr(p.path) ?? '';
  if (isUnset(type)) return [cause.required(child(f, 'pathType'), 'pathType must be specified')];
  if (type === 'Exact' || type === 'Prefix') {
    if (!path.startsWith('/')) out.push(cause.invalid(child(f, 'path'), path, 'must be an absolute path'));
    for (const seq of INVALID_PATH_SEQUENCES) if (path.includes(seq)) out.push(cause.invalid(child(f, 'path'), path, `must not contain '${seq}'`));
    for (const suf of INVALID_PATH_SUFFIXES) if (path.endsWith(suf)) out.push(cause.invalid(child(f, 'path'), path, `cannot end with '${suf}'`));
  } else if (type === 'ImplementationSpecific') {
    if (path !== '' && !path.startsWith('/')) out.push(cause.invalid(child(f, 'path'), path, 'must be an absolute path'));
  } else {
    out.push(...validateEnum(type, child(f, 'pathType'), PATH_TYPES));
  }
  // the backend is a struct in kube's types: a missing one is an empty one
  out.push(...validateBackend(isObj(p.backend) ? p.backend : {}, child(f, 'backend')));
  return out;
}

function validateRules(rules: unknown[]): StatusCause[] {
  const out: StatusCause[] = [];
  rules.forEach((r, i) => {
    if (!isObj(r)) return;
    const f = child('spec.rules', i);
    const host = r.host;
    if (typeof host === 'string' && host !== '') {
      if (isIP(host)) out.push(cause.invalid(child(f, 'host'), host, 'must be a DNS name, not an IP address'));
      out.push(...hostErrors(host).map((m) => cause.invalid(child(f, 'host'), host, m)));
    }
    const http = asObj(r.http);
    if (!http) return;
    const paths = asArr(http.paths);
    if (paths.length === 0) out.push(cause.required(child(f, 'http', 'paths')));
    paths.forEach((p, j) => {
      if (isObj(p)) out.push(...validatePath(p, child(f, 'http', 'paths', j)));
    });
  });
  return out;
}

function validateTLS(tls: unknown[]): StatusCause[] {
  const out: StatusCause[] = [];
  tls.forEach((t, i) => {
    if (!isObj(t)) return;
    const f = child('spec.tls', i);
    asArr(t.hosts).forEach((h, j) => {
      if (typeof h === 'string') out.push(...hostErrors(h).map((m) => cause.invalid(child(f, 'hosts', j), h, m)));
    });
    if (typeof t.secretName === 'string' && t.secretName !== '')
      out.push(...isDNS1123Subdomain(t.secretName).map((m) => cause.invalid(child(f, 'secretName'), t.secretName, m)));
  });
  return out;
}

/** ValidateIngressLoadBalancerStatus */
function validateStatus(status: unknown): StatusCause[] {
  const out: StatusCause[] = [];
  const lb = asObj(asObj(status)?.loadBalancer);
  asArr(lb?.ingress).forEach((ing, i) => {
    if (!isObj(ing)) return;
    const f = child('status.loadBalancer.ingress', i);
    if (typeof ing.ip === 'string' && ing.ip !== '' && !isIP(ing.ip)) out.push(cause.invalid(child(f, 'ip'), ing.ip, 'must be a valid IP address'));
    if (typeof ing.hostname === 'string' && ing.hostname !== '') {
      out.push(...isDNS1123Subdomain(ing.hostname).map((m) => cause.invalid(child(f, 'hostname'), ing.hostname, m)));
      if (isIP(ing.hostname)) out.push(cause.invalid(child(f, 'hostname'), ing.hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return out;
}

function validateIngress(obj: Obj): StatusCause[] {
  const out = structure(obj, ingressProps);
  const spec = obj.spec;
  if (!isObj(spec)) return spec === undefined ? [...out, cause.required('spec')] : [...out, cause.typeInvalid('spec', spec, 'must be an object')];
  const rules = asArr(spec.rules);
  if (rules.length === 0 && !isObj(spec.defaultBackend)) out.push(cause.invalid('spec', spec.rules ?? null, 'either `defaultBackend` or `rules` must be specified'));
  if (spec.defaultBackend !== undefined && spec.defaultBackend !== null) out.push(...validateBackend(spec.defaultBackend, 'spec.defaultBackend'));
  out.push(...validateRules(rules));
  out.push(...validateTLS(asArr(spec.tls)));
  if (typeof spec.ingressClassName === 'string') out.push(...validateString(spec.ingressClassName, 'spec.ingressClassName', isDNS1123Subdomain));
  out.push(...validateStatus(obj.status));
  return out;
}

export const ingressKind: SkiffKindDefinition = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'Ingress',
  resource: 'ingresses',
  singular: 'ingress',
  namespaced: true,
  shortNames: ['ing'],
  subresources: ['status'],
  // kube's strategy: status starts empty, shown as {loadBalancer: {}}
  default: safeDefault((o) => setDefault(o, 'status', { loadBalancer: {} })),
  schema: objectSchema(ingressProps),
  validate: safeValidate(validateIngress),
};

/** validation.IsDomainPrefixedPath: `example.com/path`, the domain a DNS subdomain. */
function domainPrefixedPathErrors(v: string): string[] {
  const i = v.indexOf('/');
  if (i <= 0) return ['must be a domain-prefixed path (such as "acme.io/foo")'];
  const errs = isDNS1123Subdomain(v.slice(0, i));
  const path = v.slice(i + 1);
  if (!/^[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/.test(path)) errs.push('path must consist of characters that are valid in a URL path');
  return errs;
}

const ingressClassSpec = S.obj({
  controller: S.str,
  parameters: S.obj({ apiGroup: S.str, kind: S.str, name: S.str, scope: S.str, namespace: S.str }),
});

function validateIngressClass(obj: Obj, old?: Obj): StatusCause[] {
  const out = structure(obj, { spec: ingressClassSpec });
  const spec = asObj(obj.spec) ?? {};
  const controller = spec.controller;
  if (isUnset(controller)) out.push(cause.required('spec.controller'));
  else if (typeof controller === 'string') {
    if (controller.length > MAX_CONTROLLER_LEN) out.push(cause.tooLong('spec.controller', MAX_CONTROLLER_LEN));
    out.push(...domainPrefixedPathErrors(controller).map((m) => cause.invalid('spec.controller', controller, m)));
  }
  const params = asObj(spec.parameters);
  if (params) {
    const f = 'spec.parameters';
    out.push(...validateTypedRef(params, f));
    out.push(...validateEnum(params.scope, child(f, 'scope'), ['Cluster', 'Namespace'], { required: true }));
    if (params.scope === 'Namespace') {
      if (isUnset(params.namespace)) out.push(cause.required(child(f, 'namespace'), '`parameters.scope` is set to "Namespace"'));
      else if (typeof params.namespace === 'string')
        out.push(...isDNS1123Subdomain(params.namespace).map((m) => cause.invalid(child(f, 'namespace'), params.namespace, m)));
    } else if (params.scope === 'Cluster' && !isUnset(params.namespace)) {
      out.push(cause.forbidden(child(f, 'namespace'), '`parameters.scope` is set to "Cluster"'));
    }
  }
  if (old) out.push(...immutable(spec.controller, asObj(old.spec)?.controller, 'spec.controller'));
  return out;
}

export const ingressClassKind: SkiffKindDefinition = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'IngressClass',
  resource: 'ingressclasses',
  singular: 'ingressclass',
  namespaced: false,
  default: safeDefault((o) => {
    // SetDefaults_IngressClass: parameters' scope is Cluster
    const params = asObj(asObj(o.spec)?.parameters);
    if (params && isUnset(params.scope)) params.scope = 'Cluster';
  }),
  schema: objectSchema({ spec: ingressClassSpec }),
  validate: safeValidate(validateIngressClass),
};
