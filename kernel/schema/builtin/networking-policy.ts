// networking.k8s.io/v1 NetworkPolicy, defaulted and validated as kube's SetDefaults_NetworkPolicy and
// ValidateNetworkPolicySpec do (pkg/apis/networking): ports (protocol, numeric or named port, endPort
// only with a numeric port and not below it), peers (podSelector and/or namespaceSelector, or an
// ipBlock alone) and ipBlock CIDRs, whose `except` entries must lie strictly inside `cidr`.
import { BlockList, isIP } from 'node:net';
import { asArr, asObj, cause, child, isObj, setDefault, type Obj, type StatusCause } from '../causes.ts';
import { validateLabelSelector } from '../label-selector.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { S } from '../structural.ts';
import { isIanaSvcName, isValidCIDR, isValidPortNum, validateEnum } from '../validation.ts';
import { objectSchema, safeDefault, safeValidate, structure } from './helpers.ts';

export const POLICY_TYPES = ['Ingress', 'Egress'] as const;
const NETPOL_PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;

const selector = S.obj({ matchLabels: S.strMap, matchExpressions: S.arr(S.obj({ key: S.str, operator: S.str, values: S.strArr })) });
const peer = S.obj({ podSelector: selector, namespaceSelector: selector, ipBlock: S.obj({ cidr: S.str, except: S.strArr }) });
const port = S.obj({ protocol: S.str, port: S.intOrStr, endPort: S.int });
const netpolSchema = {
  spec: S.obj({
    podSelector: selector,
    ingress: S.arr(S.obj({ ports: S.arr(port), from: S.arr(peer) })),
    egress: S.arr(S.obj({ ports: S.arr(port), to: S.arr(peer) })),
    policyTypes: S.strArr,
  }),
};

/** ValidateNetworkPolicyPort. */
function validatePort(p: unknown, f: string): StatusCause[] {
  if (!isObj(p)) return [];
  const out = validateEnum(p.protocol, child(f, 'protocol'), NETPOL_PROTOCOLS);
  const hasEnd = p.endPort !== undefined && p.endPort !== null;
  if (typeof p.port === 'number') {
    out.push(...isValidPortNum(p.port).map((m) => cause.invalid(child(f, 'port'), p.port, m)));
    if (hasEnd && typeof p.endPort === 'number') {
      if (p.endPort < p.port) out.push(cause.invalid(child(f, 'endPort'), p.port, 'must be greater than or equal to `port`'));
      out.push(...isValidPortNum(p.endPort).map((m) => cause.invalid(child(f, 'endPort'), p.endPort, m)));
    }
  } else if (typeof p.port === 'string') {
    if (hasEnd) out.push(cause.invalid(child(f, 'endPort'), p.endPort, 'may not be specified when `port` is non-numeric'));
    out.push(...isIanaSvcName(p.port).map((m) => cause.invalid(child(f, 'port'), p.port, m)));
  } else if (hasEnd) out.push(cause.invalid(child(f, 'endPort'), p.endPort, 'may not be specified when `port` is not specified'));
  return out;
}

/** ValidateIPBlock: a valid CIDR; each `except` a valid CIDR strictly inside it. */
function validateIPBlock(b: Obj, f: string): StatusCause[] {
  const cidr = b.cidr;
  if (typeof cidr !== 'string' || cidr === '') return [cause.required(child(f, 'cidr'))];
  const bad = isValidCIDR(cidr);
  if (bad.length) return bad.map((m) => cause.invalid(child(f, 'cidr'), cidr, m));
  const [ip, prefix] = cidr.split('/') as [string, string];
  const family = isIP(ip) === 4 ? 'ipv4' : 'ipv6';
  const inside = new BlockList();
  inside.addSubnet(ip, Number(prefix), family);
  const out: StatusCause[] = [];
  asArr(b.except).forEach((e, i) => {
    const ef = child(f, 'except', i);
    if (typeof e !== 'string') return;
    const eBad = isValidCIDR(e);
    if (eBad.length) return void out.push(...eBad.map((m) => cause.invalid(ef, e, m)));
    const [eip, eprefix] = e.split('/') as [string, string];
    const eFamily = isIP(eip) === 4 ? 'ipv4' : 'ipv6';
    if (eFamily !== family || !inside.check(eip, family) || Number(prefix) >= Number(eprefix)) out.push(cause.invalid(ef, e, 'must be a strict subset of `cidr`'));
  });
  return out;
}

/** ValidateNetworkPolicyPeer. */
function validatePeer(p: unknown, f: string): StatusCause[] {
  if (!isObj(p)) return [];
  const out: StatusCause[] = [];
  let n = 0;
  const set = (v: unknown) => v !== undefined && v !== null;
  if (set(p.podSelector)) (n++, out.push(...validateLabelSelector(p.podSelector, child(f, 'podSelector'))));
  if (set(p.namespaceSelector)) (n++, out.push(...validateLabelSelector(p.namespaceSelector, child(f, 'namespaceSelector'))));
  if (set(p.ipBlock)) {
    n++;
    if (isObj(p.ipBlock)) out.push(...validateIPBlock(p.ipBlock, child(f, 'ipBlock')));
  }
  if (n === 0) out.push(cause.required(f, 'must specify a peer'));
  else if (n > 1 && set(p.ipBlock)) out.push(cause.forbidden(f, 'may not specify both ipBlock and another peer'));
  return out;
}

/** ValidateNetworkPolicySpec (plus: podSelector must be given, `{}` selecting every pod). */
function validateSpec(spec: Obj | undefined): StatusCause[] {
  if (!spec) return [cause.required('spec')];
  const out: StatusCause[] = [];
  if (spec.podSelector === undefined || spec.podSelector === null) out.push(cause.required('spec.podSelector', 'use {} to select every pod of the namespace'));
  else out.push(...validateLabelSelector(spec.podSelector, 'spec.podSelector'));
  asArr(spec.ingress).forEach((r, i) => {
    if (!isObj(r)) return;
    const f = child('spec.ingress', i);
    asArr(r.ports).forEach((p, j) => out.push(...validatePort(p, child(f, 'ports', j))));
    asArr(r.from).forEach((p, j) => out.push(...validatePeer(p, child(f, 'from', j))));
  });
  asArr(spec.egress).forEach((r, i) => {
    if (!isObj(r)) return;
    const f = child('spec.egress', i);
    asArr(r.to).forEach((p, j) => out.push(...validatePeer(p, child(f, 'to', j))));
    asArr(r.ports).forEach((p, j) => out.push(...validatePort(p, child(f, 'ports', j))));
  });
  const types = asArr(spec.policyTypes);
  if (types.length > POLICY_TYPES.length) return [...out, cause.invalid('spec.policyTypes', types, 'may not specify more than two policyTypes')];
  types.forEach((t, i) => {
    if (!POLICY_TYPES.includes(t as never)) out.push(cause.notSupported(child('spec.policyTypes', i), t, POLICY_TYPES));
  });
  return out;
}

/** SetDefaults_NetworkPolicy (policyTypes) and SetDefaults_NetworkPolicyPort (protocol TCP). */
function defaultPolicy(o: Obj): void {
  const spec = asObj(o.spec);
  if (!spec) return;
  for (const rules of ['ingress', 'egress'])
    for (const r of asArr(spec[rules])) if (isObj(r)) for (const p of asArr(r.ports)) if (isObj(p)) setDefault(p, 'protocol', 'TCP');
  if (asArr(spec.policyTypes).length === 0) spec.policyTypes = asArr(spec.egress).length ? ['Ingress', 'Egress'] : ['Ingress'];
}

export const networkPolicyKind: SkiffKindDefinition = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'NetworkPolicy',
  resource: 'networkpolicies',
  singular: 'networkpolicy',
  namespaced: true,
  shortNames: ['netpol'],
  default: safeDefault(defaultPolicy),
  schema: objectSchema(netpolSchema),
  validate: safeValidate((o) => [...structure(o, netpolSchema), ...validateSpec(asObj(o.spec))]),
};
