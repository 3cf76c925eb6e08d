// networking.k8s.io/v1 IPAddress and ServiceCIDR (kube 1.33's MultiCIDRServiceAllocator, GA): one
// IPAddress object per allocated Service IP, named by the IP, pointing at its Service; ServiceCIDRs
// are the ranges Service IPs come from. And networking.skiff.io/v1alpha1 NodePortAllocation: one
// object per allocated node port, named by the port number (kube keeps a bitmap; one object per port
// makes create-if-absent the atomic claim, as for IPAddress).
import { isIP } from 'node:net';
import { formatIPv4, parseIPv4 } from '@skiff/api';
import { asArr, asObj, cause, child, type Obj, type StatusCause } from '../causes.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { S } from '../structural.ts';
import { isDNS1123Label, isDNS1123Subdomain, isValidCIDR, validateString } from '../validation.ts';
import { metaConditionSchema, validateMetaConditions } from './conditions.ts';
import { immutable, objectSchema, safeValidate, sel, structure } from './helpers.ts';

const parentRef = S.obj({ group: S.str, resource: S.str, namespace: S.str, name: S.str });
const PATH_SEGMENT_MSG = (s: string) => (s === '.' || s === '..' ? [`may not be '${s}'`] : /[/%]/.test(s) ? ["may not contain '/' or '%'"] : []);

/** An IP in the form Go's netip prints it ("10.96.0.1"; IPv6 as net.isIP accepts it). */
function ipAddressName(name: string, prefix?: boolean): string[] {
  if (prefix) return ['generateName may not be used: an IPAddress is named by its IP'];
  if (!isIP(name)) return ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'];
  if (isIP(name) === 4) {
    const n = parseIPv4(name);
    if (n === undefined || formatIPv4(n) !== name) return ['must be a canonical format IP address'];
  } else if (name !== name.toLowerCase()) return ['must be a canonical format IP address'];
  return [];
}

/** A port number 1-65535 in decimal, without leading zeros. */
function portName(name: string, prefix?: boolean): string[] {
  if (prefix) return ['generateName may not be used: a NodePortAllocation is named by its port number'];
  return /^[1-9]\d{0,4}$/.test(name) && Number(name) <= 65535 ? [] : ['must be a port number between 1 and 65535 (e.g. 30080)'];
}

function validateParentRef(spec: Obj | undefined, old: Obj | undefined): StatusCause[] {
  const out: StatusCause[] = [];
  const ref = asObj(spec?.parentRef);
  if (!ref) return [cause.required('spec.parentRef')];
  const f = 'spec.parentRef';
  if (typeof ref.group === 'string' && ref.group !== '') out.push(...validateString(ref.group, child(f, 'group'), isDNS1123Subdomain));
  out.push(...validateString(ref.resource, child(f, 'resource'), PATH_SEGMENT_MSG, { required: true }));
  if (typeof ref.namespace === 'string' && ref.namespace !== '') out.push(...validateString(ref.namespace, child(f, 'namespace'), isDNS1123Label));
  out.push(...validateString(ref.name, child(f, 'name'), PATH_SEGMENT_MSG, { required: true }));
  const oldSpec = asObj(old?.spec);
  if (oldSpec) out.push(...immutable(spec?.parentRef, oldSpec.parentRef, f));
  return out;
}

const parentRefProps = { spec: S.obj({ parentRef }) };
const serviceCIDRProps = { spec: S.obj({ cidrs: S.strArr }), status: S.obj({ conditions: S.arr(metaConditionSchema) }) };

export const ipAddressKind: SkiffKindDefinition = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'IPAddress',
  resource: 'ipaddresses',
  singular: 'ipaddress',
  namespaced: false,
  shortNames: ['ip'],
  nameCheck: ipAddressName,
  schema: objectSchema(parentRefProps),
  validate: safeValidate((o, old) => [...structure(o, parentRefProps), ...validateParentRef(asObj(o.spec), old)]),
  selectableFields: { 'spec.parentRef.name': sel('spec', 'parentRef', 'name'), 'spec.parentRef.namespace': sel('spec', 'parentRef', 'namespace') },
};

export const serviceCIDRKind: SkiffKindDefinition = {
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'ServiceCIDR',
  resource: 'servicecidrs',
  singular: 'servicecidr',
  namespaced: false,
  subresources: ['status'],
  schema: objectSchema(serviceCIDRProps),
  validate: safeValidate((o, old) => {
    const out = structure(o, serviceCIDRProps);
    const cidrs = asArr(asObj(o.spec)?.cidrs);
    if (cidrs.length === 0) out.push(cause.required('spec.cidrs'));
    if (cidrs.length > 2) out.push(cause.tooMany('spec.cidrs', cidrs.length, 2));
    cidrs.forEach((c, i) => {
      if (typeof c === 'string') out.push(...isValidCIDR(c).map((m) => cause.invalid(child('spec.cidrs', i), c, m)));
    });
    if (cidrs.length === 2 && typeof cidrs[0] === 'string' && typeof cidrs[1] === 'string' && isIP(cidrs[0].split('/')[0]!) === isIP(cidrs[1].split('/')[0]!))
      out.push(cause.invalid('spec.cidrs', cidrs, 'may specify no more than one IP for each IP family, i.e 192.168.0.0/24 and 2001:db8::/64'));
    // a single-stack range may become dual-stack (a second family added); nothing else changes
    const oldCidrs = asArr(asObj(old?.spec)?.cidrs);
    if (old && !(oldCidrs.length === 1 && cidrs.length === 2 && cidrs[0] === oldCidrs[0])) out.push(...immutable(cidrs, oldCidrs, 'spec.cidrs'));
    out.push(...validateMetaConditions(asObj(o.status)?.conditions, 'status.conditions'));
    return out;
  }),
};

export const nodePortAllocationKind: SkiffKindDefinition = {
  group: 'networking.skiff.io',
  version: 'v1alpha1',
  kind: 'NodePortAllocation',
  resource: 'nodeportallocations',
  singular: 'nodeportallocation',
  namespaced: false,
  nameCheck: portName,
  schema: objectSchema(parentRefProps),
  validate: safeValidate((o, old) => [...structure(o, parentRefProps), ...validateParentRef(asObj(o.spec), old)]),
  selectableFields: { 'spec.parentRef.name': sel('spec', 'parentRef', 'name'), 'spec.parentRef.namespace': sel('spec', 'parentRef', 'namespace') },
};
