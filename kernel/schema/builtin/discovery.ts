// discovery.k8s.io/v1 EndpointSlice: a Service's backends in groups of at most 1000 endpoints, as
// kube's ValidateEndpointSlice checks them (pkg/apis/discovery/validation). Like kube, the kind has no
// short name and no category ("all" leaves it out).
import { isIP } from 'node:net';
import { asArr, cause, child, isObj, setDefault, setStringDefault, type Obj, type StatusCause } from '../causes.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { S } from '../structural.ts';
import { isDNS1123Label, isDNS1123Subdomain, isLabelValue, isQualifiedName, validateEnum, validateLabels, validateProtocol, validateString } from '../validation.ts';
import { immutable, objectSchema, safeDefault, safeValidate, structure } from './helpers.ts';

export const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'] as const;
export const MAX_ENDPOINTS = 1000;
export const MAX_PORTS = 100;
const MAX_ADDRESSES = 100;
const MAX_TOPOLOGY_LABELS = 16;
const MAX_ZONE_HINTS = 8;

const forZone = S.obj({ name: S.str });
const endpoint = S.obj({
  addresses: S.strArr,
  conditions: S.obj({ ready: S.bool, serving: S.bool, terminating: S.bool }),
  hostname: S.str,
  targetRef: S.obj({ kind: S.str, namespace: S.str, name: S.str, uid: S.str, apiVersion: S.str, resourceVersion: S.str, fieldPath: S.str }),
  deprecatedTopology: S.strMap,
  nodeName: S.str,
  zone: S.str,
  hints: S.obj({ forZones: S.arr(forZone), forNodes: S.arr(forZone) }),
});
const endpointPort = S.obj({ name: S.str, protocol: S.str, port: S.int, appProtocol: S.str });
const sliceSchema = { addressType: S.str, endpoints: S.arr(endpoint), ports: S.arr(endpointPort) };

/** ValidateEndpointIP: an endpoint may not be an address no pod can have. */
function specialIP(ip: string): string | undefined {
  const fam = isIP(ip);
  if (fam === 4) {
    if (ip === '0.0.0.0') return 'may not be unspecified (0.0.0.0)';
    if (ip.startsWith('127.')) return 'may not be in the loopback range (127.0.0.0/8, ::1/128)';
    if (ip.startsWith('169.254.')) return 'may not be in the link-local range (169.254.0.0/16, fe80::/10)';
    if (ip.startsWith('224.0.0.')) return 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)';
  } else if (fam === 6) {
    const l = ip.toLowerCase();
    if (l === '::') return 'may not be unspecified (::)';
    if (l === '::1') return 'may not be in the loopback range (127.0.0.0/8, ::1/128)';
    if (/^fe[89ab]/.test(l)) return 'may not be in the link-local range (169.254.0.0/16, fe80::/10)';
    if (l.startsWith('ff02:')) return 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)';
  }
  return undefined;
}

function validateAddress(addr: unknown, type: unknown, field: string): StatusCause[] {
  if (typeof addr !== 'string') return []; // the structural check says so
  if (type === 'IPv4' || type === 'IPv6') {
    const want = type === 'IPv4' ? 4 : 6;
    if (isIP(addr) !== want) return [cause.invalid(field, addr, `must be a valid ${type} address`)];
    const special = specialIP(addr);
    return special ? [cause.invalid(field, addr, special)] : [];
  }
  if (type === 'FQDN') {
    // IsFullyQualifiedDomainName: a DNS subdomain of at least two labels (a trailing dot allowed)
    const name = addr.endsWith('.') ? addr.slice(0, -1) : addr;
    const errs = isDNS1123Subdomain(name);
    if (errs.length) return errs.map((m) => cause.invalid(field, addr, m));
    if (name.split('.').length < 2) return [cause.invalid(field, addr, 'should be a domain with at least two segments separated by dots')];
  }
  return [];
}

function validateEndpoints(obj: Obj): StatusCause[] {
  const endpoints = asArr(obj.endpoints);
  if (endpoints.length > MAX_ENDPOINTS) return [cause.tooMany('endpoints', endpoints.length, MAX_ENDPOINTS)];
  const out: StatusCause[] = [];
  endpoints.forEach((ep, i) => {
    if (!isObj(ep)) return;
    const f = child('endpoints', i);
    const addresses = asArr(ep.addresses);
    if (addresses.length === 0) out.push(cause.required(child(f, 'addresses'), 'must contain at least 1 address'));
    else if (addresses.length > MAX_ADDRESSES) out.push(cause.tooMany(child(f, 'addresses'), addresses.length, MAX_ADDRESSES));
    addresses.forEach((a, j) => out.push(...validateAddress(a, obj.addressType, child(f, 'addresses', j))));
    if (isObj(ep.deprecatedTopology) && Object.keys(ep.deprecatedTopology).length > MAX_TOPOLOGY_LABELS)
      out.push(cause.tooMany(child(f, 'deprecatedTopology'), Object.keys(ep.deprecatedTopology).length, MAX_TOPOLOGY_LABELS));
    out.push(...validateLabels(ep.deprecatedTopology, child(f, 'deprecatedTopology')));
    out.push(...validateString(ep.hostname, child(f, 'hostname'), isDNS1123Label));
    out.push(...validateString(ep.nodeName, child(f, 'nodeName'), isDNS1123Subdomain));
    if (isObj(ep.hints)) {
      const zones = asArr(ep.hints.forZones);
      const hf = child(f, 'hints', 'forZones');
      if (zones.length > MAX_ZONE_HINTS) out.push(cause.tooMany(hf, zones.length, MAX_ZONE_HINTS));
      const seen = new Set<string>();
      zones.forEach((z, k) => {
        const name = isObj(z) ? z.name : undefined;
        if (typeof name !== 'string') return;
        if (seen.has(name)) out.push(cause.duplicate(child(hf, k), name));
        seen.add(name);
        out.push(...isLabelValue(name).map((m) => cause.invalid(child(hf, k, 'name'), name, m)));
      });
    }
  });
  return out;
}

function validatePorts(obj: Obj): StatusCause[] {
  const ports = asArr(obj.ports);
  if (ports.length > MAX_PORTS) return [cause.tooMany('ports', ports.length, MAX_PORTS)];
  const out: StatusCause[] = [];
  const names = new Set<string>();
  ports.forEach((p, i) => {
    if (!isObj(p)) return;
    const f = child('ports', i);
    const name = typeof p.name === 'string' ? p.name : '';
    if (name) out.push(...isDNS1123Label(name).map((m) => cause.invalid(child(f, 'name'), name, m)));
    if (names.has(name)) out.push(cause.duplicate(child(f, 'name'), name));
    names.add(name);
    if (p.protocol === undefined || p.protocol === null) out.push(cause.required(child(f, 'protocol')));
    else out.push(...validateProtocol(p.protocol, child(f, 'protocol')));
    // kube leaves the number alone (nil means "all ports"); it must still be a port number
    if (typeof p.port === 'number' && (p.port < 0 || p.port > 65535)) out.push(cause.invalid(child(f, 'port'), p.port, 'must be between 0 and 65535, inclusive'));
    if (typeof p.appProtocol === 'string') out.push(...isQualifiedName(p.appProtocol).map((m) => cause.invalid(child(f, 'appProtocol'), p.appProtocol, m)));
  });
  return out;
}

function validateEndpointSlice(obj: Obj, old?: Obj): StatusCause[] {
  const out = structure(obj, sliceSchema);
  out.push(...validateEnum(obj.addressType, 'addressType', ADDRESS_TYPES, { required: true }));
  out.push(...validateEndpoints(obj));
  out.push(...validatePorts(obj));
  if (old) out.push(...immutable(obj.addressType, old.addressType, 'addressType'));
  return out;
}

export const endpointSliceKind: SkiffKindDefinition = {
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  resource: 'endpointslices',
  singular: 'endpointslice',
  namespaced: true,
  default: safeDefault((o) => {
    // SetDefaults_EndpointPort: name "" and protocol TCP
    for (const p of asArr(o.ports))
      if (isObj(p)) {
        setDefault(p, 'name', '');
        setStringDefault(p, 'protocol', 'TCP');
      }
  }),
  schema: objectSchema(sliceSchema),
  validate: safeValidate(validateEndpointSlice),
};
