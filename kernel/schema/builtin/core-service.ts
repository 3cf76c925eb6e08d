// core/v1 Service and Endpoints.
import { asArr, asObj, cause, child, isObj, setDefault, setStringDefault, type Obj, type StatusCause } from '../causes.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { S } from '../structural.ts';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isIanaSvcName,
  isValidIP,
  isValidPortNum,
  nameIsDNS1035Label,
  validateEnum,
  validateLabels,
  validatePortNumber,
  validateProtocol,
  validateString,
} from '../validation.ts';
import { immutable, objectSchema, safeDefault, safeValidate, structure } from './helpers.ts';

export const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'] as const;

const servicePort = S.obj({ name: S.str, protocol: S.str, port: S.int, targetPort: S.intOrStr, nodePort: S.int, appProtocol: S.str });
const serviceSpec = S.obj({
  type: S.str,
  ports: S.arr(servicePort),
  selector: S.strMap,
  clusterIP: S.str,
  clusterIPs: S.strArr,
  externalName: S.str,
  externalIPs: S.strArr,
  sessionAffinity: S.str,
  loadBalancerIP: S.str,
  externalTrafficPolicy: S.str,
  internalTrafficPolicy: S.str,
  ipFamilies: S.strArr,
  ipFamilyPolicy: S.str,
  publishNotReadyAddresses: S.bool,
  sessionAffinityConfig: S.obj({ clientIP: S.obj({ timeoutSeconds: S.int }) }),
  allocateLoadBalancerNodePorts: S.bool,
  loadBalancerClass: S.str,
  loadBalancerSourceRanges: S.strArr,
  healthCheckNodePort: S.int,
  trafficDistribution: S.str,
});
const serviceStatus = S.obj({ loadBalancer: S.obj({ ingress: S.arr(S.obj()) }), conditions: S.arr(S.obj()) });

const serviceProps = { spec: serviceSpec, status: serviceStatus };

function defaultService(obj: Obj): void {
  const spec = asObj(obj.spec);
  if (!spec) return;
  setStringDefault(spec, 'type', 'ClusterIP');
  setStringDefault(spec, 'sessionAffinity', 'None');
  if (spec.type !== 'ExternalName') setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') setStringDefault(spec, 'externalTrafficPolicy', 'Cluster');
  for (const p of asArr(spec.ports)) {
    if (!isObj(p)) continue;
    setStringDefault(p, 'protocol', 'TCP');
    if ((p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') && p.port !== undefined) p.targetPort = p.port;
  }
  if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '' && spec.clusterIPs === undefined) spec.clusterIPs = [spec.clusterIP];
  setDefault(obj, 'status', { loadBalancer: {} });
}

function validateService(obj: Obj, old?: Obj): StatusCause[] {
  const out = structure(obj, serviceProps);
  const spec = obj.spec;
  if (!isObj(spec)) return spec === undefined ? out : [...out, cause.typeInvalid('spec', spec, 'must be an object')];
  const type = spec.type ?? 'ClusterIP';
  out.push(...validateEnum(spec.type, 'spec.type', SERVICE_TYPES, { required: true }));
  const headless = spec.clusterIP === 'None';
  const ports = asArr(spec.ports);
  if (ports.length === 0 && !headless && type !== 'ExternalName') out.push(cause.required('spec.ports'));
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const f = child('spec.ports', i);
    if (!isObj(p)) return;
    if (ports.length > 1 && (p.name === undefined || p.name === '')) out.push(cause.required(child(f, 'name')));
    else if (typeof p.name === 'string' && p.name !== '') {
      out.push(...isDNS1123Label(p.name).map((m) => cause.invalid(child(f, 'name'), p.name, m)));
      if (names.has(p.name)) out.push(cause.duplicate(child(f, 'name'), p.name));
      names.add(p.name);
    }
    out.push(...validatePortNumber(p.port, child(f, 'port'), { required: true }));
    out.push(...validateProtocol(p.protocol, child(f, 'protocol')));
    if (typeof p.targetPort === 'number' && p.targetPort !== 0)
      out.push(...isValidPortNum(p.targetPort).map((m) => cause.invalid(child(f, 'targetPort'), p.targetPort, m)));
    else if (typeof p.targetPort === 'string' && p.targetPort !== '')
      out.push(...isIanaSvcName(p.targetPort).map((m) => cause.invalid(child(f, 'targetPort'), p.targetPort, m)));
    if (p.nodePort !== undefined && p.nodePort !== null && p.nodePort !== 0) {
      if (type === 'ClusterIP' || type === 'ExternalName')
        out.push(cause.forbidden(child(f, 'nodePort'), `may not be used when \`type\` is '${String(type)}'`));
      else out.push(...validatePortNumber(p.nodePort, child(f, 'nodePort')));
    }
  });
  out.push(...validateEnum(spec.sessionAffinity, 'spec.sessionAffinity', ['ClientIP', 'None']));
  out.push(...validateEnum(spec.internalTrafficPolicy, 'spec.internalTrafficPolicy', ['Cluster', 'Local']));
  out.push(...validateEnum(spec.externalTrafficPolicy, 'spec.externalTrafficPolicy', ['Cluster', 'Local']));
  out.push(...validateLabels(spec.selector, 'spec.selector'));
  if (type === 'ExternalName') {
    out.push(...validateString(spec.externalName, 'spec.externalName', isDNS1123Subdomain, { required: true }));
    if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '')
      out.push(cause.forbidden('spec.clusterIP', 'may not be set for ExternalName services'));
  } else if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '' && !headless) {
    out.push(...isValidIP(spec.clusterIP).map((m) => cause.invalid('spec.clusterIP', spec.clusterIP, m)));
  }
  asArr(spec.externalIPs).forEach((ip, i) => {
    if (typeof ip === 'string') out.push(...isValidIP(ip).map((m) => cause.invalid(child('spec.externalIPs', i), ip, m)));
  });
  const oldSpec = old && asObj(old.spec);
  if (oldSpec && typeof oldSpec.clusterIP === 'string' && oldSpec.clusterIP !== '' && type !== 'ExternalName' && oldSpec.type !== 'ExternalName')
    out.push(...immutable(spec.clusterIP, oldSpec.clusterIP, 'spec.clusterIP'));
  return out;
}

export const serviceKind: SkiffKindDefinition = {
  group: '',
  version: 'v1',
  kind: 'Service',
  resource: 'services',
  singular: 'service',
  namespaced: true,
  shortNames: ['svc'],
  categories: ['all'],
  subresources: ['status'],
  nameCheck: nameIsDNS1035Label,
  schema: objectSchema(serviceProps),
  default: safeDefault(defaultService),
  validate: safeValidate(validateService),
};

const endpointPort = S.obj({ name: S.str, port: S.int, protocol: S.str, appProtocol: S.str });
const endpointAddress = S.obj({ ip: S.str, hostname: S.str, nodeName: S.str, targetRef: S.obj() });
const subsets = S.arr(S.obj({ addresses: S.arr(endpointAddress), notReadyAddresses: S.arr(endpointAddress), ports: S.arr(endpointPort) }));

const endpointsProps = { subsets };

function validateEndpoints(obj: Obj): StatusCause[] {
  const out = structure(obj, endpointsProps);
  asArr(obj.subsets).forEach((s, i) => {
    if (!isObj(s)) return;
    const f = child('subsets', i);
    for (const list of ['addresses', 'notReadyAddresses'])
      asArr(s[list]).forEach((a, j) => {
        if (isObj(a)) out.push(...validateString(a.ip, child(f, list, j, 'ip'), isValidIP, { required: true }));
      });
    asArr(s.ports).forEach((p, j) => {
      if (!isObj(p)) return;
      out.push(...validatePortNumber(p.port, child(f, 'ports', j, 'port'), { required: true }));
      out.push(...validateProtocol(p.protocol, child(f, 'ports', j, 'protocol')));
    });
  });
  return out;
}

export const endpointsKind: SkiffKindDefinition = {
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  resource: 'endpoints',
  singular: 'endpoints',
  namespaced: true,
  shortNames: ['ep'],
  schema: objectSchema(endpointsProps),
  default: safeDefault((o) => {
    for (const s of asArr(o.subsets)) for (const p of asArr(isObj(s) ? s.ports : undefined)) if (isObj(p)) setStringDefault(p, 'protocol', 'TCP');
  }),
  validate: safeValidate(validateEndpoints),
};
