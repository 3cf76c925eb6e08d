// What a Service's endpoints should be, from its pods, as kube's endpointslice controller computes
// them (pkg/controller/endpointslice/utils.go and pkg/controller/util/endpointslice): which pods
// count, each pod's ports (a named targetPort looked up in the pod's containers), the endpoint of a
// pod (addresses, conditions, nodeName, zone, targetRef, hostname), and the keys endpoints and port
// sets are compared by.
import { isPodReady, type AddressType, type Endpoint, type EndpointPort, type Node, type Pod, type Service, type ServicePort } from '@skiff/api';
import { isIP } from 'node:net';

export { LABEL_SERVICE_NAME } from '@skiff/api';
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';

/** A Service this controller writes endpoints for: a selector, and not ExternalName. */
export function hasSelector(svc: Service): boolean {
  // an empty selector is stored as none (Go drops empty maps): kube leaves such Services alone too
  return svc.spec?.type !== 'ExternalName' && !!svc.spec?.selector && Object.keys(svc.spec.selector).length > 0;
}

/** The pod's IPs (status.podIPs, or status.podIP). */
export function podIPs(pod: Pod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter(Boolean);
  if (ips.length) return ips;
  return pod.status?.podIP ? [pod.status.podIP] : [];
}

/**
 * ShouldPodBeInEndpoints: not terminal, has an IP, and (unless terminating pods are wanted) not
 * being deleted. The slices include terminating pods; legacy Endpoints include them only with
 * publishNotReadyAddresses.
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') return false;
  if (podIPs(pod).length === 0) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** The address types a Service's slices use: its ipFamilies, else its ClusterIP's family, else the pods'. */
export function addressTypesFor(svc: Service, pods: Pod[]): AddressType[] {
  const types = new Set<AddressType>();
  for (const f of svc.spec?.ipFamilies ?? []) types.add(f === 'IPv6' ? 'IPv6' : 'IPv4');
  if (types.size === 0) {
    const ip = svc.spec?.clusterIP;
    if (ip && ip !== 'None' && isIP(ip)) types.add(isIP(ip) === 6 ? 'IPv6' : 'IPv4');
  }
  if (types.size === 0) {
    // headless (or not allocated yet): the families the pods have; IPv4 when there are none
    for (const p of pods) for (const ip of podIPs(p)) types.add(isIP(ip) === 6 ? 'IPv6' : 'IPv4');
    if (types.size === 0) types.add('IPv4');
  }
  return [...types].sort();
}

/** The pod's addresses of one family. */
export function addressesOf(pod: Pod, type: AddressType): string[] {
  return podIPs(pod).filter((ip) => (isIP(ip) === 6) === (type === 'IPv6'));
}

/** FindPort: the container port a Service port reaches on this pod; undefined when no container has the named port. */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  const protocol = sp.protocol ?? 'TCP';
  const sidecars = (pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always');
  for (const c of [...(pod.spec?.containers ?? []), ...sidecars])
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  return undefined;
}

export interface PortResolution {
  ports: EndpointPort[];
  /** Service port names (or numbers) whose targetPort this pod has no container port for */
  missing: { port: string; targetPort: string }[];
}

/** getEndpointPorts: the pod's endpoint ports, one per Service port it can serve. */
export function endpointPorts(svc: Service, pod: Pod): PortResolution {
  const ports: EndpointPort[] = [];
  const missing: PortResolution['missing'] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const n = findPort(pod, sp);
    if (n === undefined) {
      missing.push({ port: sp.name || String(sp.port), targetPort: String(sp.targetPort) });
      continue;
    }
    const p: EndpointPort = { name: sp.name ?? '', port: n, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol !== undefined) p.appProtocol = sp.appProtocol;
    ports.push(p);
  }
  return { ports, missing };
}

/** ShouldSetHostname: the pod has a hostname and its subdomain is this Service (a StatefulSet's headless Service). */
export function shouldSetHostname(pod: Pod, svc: Service): boolean {
  return !!pod.spec?.hostname && pod.spec.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace;
}

/** podToEndpoint. */
export function podToEndpoint(pod: Pod, node: Node | undefined, svc: Service, type: AddressType): Endpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  // for compatibility, "ready" is never true for a terminating pod, unless publishNotReadyAddresses
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: Endpoint = {
    addresses: addressesOf(pod, type),
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
  };
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  const zone = node?.metadata.labels?.[LABEL_ZONE];
  if (zone) ep.zone = zone;
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec!.hostname;
  return ep;
}

/** hashEndpoint: what makes two endpoints the same one (addresses, hostname, the pod). */
export function endpointKey(ep: Endpoint): string {
  return JSON.stringify([[...ep.addresses].sort(), ep.hostname ?? '', ep.targetRef?.namespace ?? '', ep.targetRef?.name ?? '']);
}

/** EndpointsEqualBeyondHash: the same endpoint, unchanged (hints are the topology step's business). */
export function endpointsEqualBeyondKey(a: Endpoint, b: Endpoint): boolean {
  const c1 = a.conditions ?? {};
  const c2 = b.conditions ?? {};
  return (
    (a.nodeName ?? '') === (b.nodeName ?? '') &&
    (a.zone ?? '') === (b.zone ?? '') &&
    c1.ready === c2.ready &&
    c1.serving === c2.serving &&
    c1.terminating === c2.terminating &&
    (a.targetRef?.uid ?? '') === (b.targetRef?.uid ?? '') &&
    (a.targetRef?.kind ?? '') === (b.targetRef?.kind ?? '')
  );
}

/** NewPortMapKey: the identity of a set of ports (order does not matter). */
export function portMapKey(ports: EndpointPort[] | undefined): string {
  const norm = (ports ?? []).map((p) => JSON.stringify([p.name ?? '', p.port ?? null, p.protocol ?? 'TCP', p.appProtocol ?? null]));
  return norm.sort().join('|');
}
