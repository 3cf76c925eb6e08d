// The legacy core/v1 Endpoints of a Service, as kube's endpoints controller writes them
// (pkg/controller/endpoint): one object named after the Service; ready pods in `addresses`, the
// others (not terminal) in `notReadyAddresses`; terminating pods left out unless the Service
// publishes not-ready addresses; subsets repacked so each holds the addresses that share a port set;
// at most 1000 addresses, beyond which the object is annotated `over-capacity: truncated`.
import { isPodReady, type EndpointAddress, type EndpointSubset, type Pod, type Service } from '@skiff/api';
import { isIP } from 'node:net';
import { findPort, LABEL_HEADLESS, podIPs, shouldPodBeInEndpoints, shouldSetHostname } from './desired.ts';

export const MAX_ENDPOINTS_PER_OBJECT = 1000;
export const ANNOTATION_OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';

type Port = NonNullable<EndpointSubset['ports']>[number];

interface Entry {
  addr: EndpointAddress;
  ready: boolean;
  ports: Port[];
}

/** The address of the Service's family (its first clusterIP's, else the pod's first IP). */
function podAddress(pod: Pod, svc: Service): EndpointAddress | undefined {
  const ips = podIPs(pod);
  const cip = svc.spec?.clusterIP;
  const want6 = svc.spec?.ipFamilies?.[0] === 'IPv6' || (!!cip && cip !== 'None' && isIP(cip) === 6);
  const ip = svc.spec?.ipFamilies?.length || (cip && cip !== 'None') ? ips.find((i) => (isIP(i) === 6) === want6) : ips[0];
  if (!ip) return undefined;
  const a: EndpointAddress = { ip, targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid } };
  if (pod.spec?.nodeName) a.nodeName = pod.spec.nodeName;
  if (shouldSetHostname(pod, svc)) a.hostname = pod.spec!.hostname;
  return a;
}

/** The pod may serve again: not terminal for its restart policy (kube's shouldPodBeInEndpoints of the endpoints controller). */
function notTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  switch (pod.spec?.restartPolicy) {
    case 'Never':
      return phase !== 'Failed' && phase !== 'Succeeded';
    case 'OnFailure':
      return phase !== 'Succeeded';
    default:
      return true;
  }
}

/** The subsets of the Service's Endpoints (sorted), and whether addresses were cut at 1000. */
export function endpointSubsets(svc: Service, pods: Pod[]): { subsets: EndpointSubset[]; truncated: boolean } {
  const tolerateUnready = svc.spec?.publishNotReadyAddresses === true;
  const entries: Entry[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const addr = podAddress(pod, svc);
    if (!addr) continue;
    const ready = tolerateUnready || isPodReady(pod);
    if (!ready && !notTerminal(pod)) continue;
    const ports: Port[] = [];
    const svcPorts = svc.spec?.ports ?? [];
    if (svcPorts.length === 0) {
      if (svc.spec?.clusterIP !== 'None') continue; // kube writes ports-less addresses for headless Services only
    } else {
      for (const sp of svcPorts) {
        const n = findPort(pod, sp);
        if (n === undefined) continue;
        const p: Port = { name: sp.name ?? '', port: n, protocol: sp.protocol ?? 'TCP' };
        if (sp.appProtocol !== undefined) p.appProtocol = sp.appProtocol;
        ports.push(p);
      }
      if (ports.length === 0) continue;
    }
    entries.push({ addr, ready, ports });
  }
  // RepackSubsets: addresses grouped by the exact set of ports they offer
  const groups = new Map<string, { ports: Port[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const e of entries) {
    const ports = [...e.ports].sort(comparePorts);
    const key = JSON.stringify(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, ready: [], notReady: [] }));
    (e.ready ? g.ready : g.notReady).push(e.addr);
  }
  const subsets: EndpointSubset[] = [];
  let count = 0;
  let truncated = false;
  for (const g of [...groups.values()].sort((a, b) => (JSON.stringify(a.ports) < JSON.stringify(b.ports) ? -1 : 1))) {
    g.ready.sort(compareAddr);
    g.notReady.sort(compareAddr);
    // over capacity: ready addresses are kept before not-ready ones
    const room = MAX_ENDPOINTS_PER_OBJECT - count;
    if (g.ready.length + g.notReady.length > room) truncated = true;
    const ready = g.ready.slice(0, room);
    const notReady = g.notReady.slice(0, Math.max(0, room - ready.length));
    count += ready.length + notReady.length;
    if (ready.length + notReady.length === 0) continue;
    const s: EndpointSubset = {};
    if (ready.length) s.addresses = ready;
    if (notReady.length) s.notReadyAddresses = notReady;
    if (g.ports.length) s.ports = g.ports;
    subsets.push(s);
  }
  return { subsets, truncated };
}

const comparePorts = (a: Port, b: Port) => ((a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : a.port - b.port);
const compareAddr = (a: EndpointAddress, b: EndpointAddress) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : (a.targetRef?.uid ?? '') < (b.targetRef?.uid ?? '') ? -1 : 1);

/** The Endpoints' labels: the Service's, plus the headless label when it has no ClusterIP. */
export function endpointsLabels(svc: Service): Record<string, string> {
  const out: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  if (!svc.spec?.clusterIP || svc.spec.clusterIP === 'None') out[LABEL_HEADLESS] = '';
  else delete out[LABEL_HEADLESS];
  return out;
}
