// The two allocation kinds: IPAddress (networking.k8s.io/v1, as kube's IP allocator writes them) and
// NodePortAllocation (networking.skiff.io/v1alpha1, Skiff's: kube keeps node ports in a bitmap).
import { formatIPv4, IP_ADDRESSES, NODE_PORT_ALLOCATIONS, parseIPv4 } from '@skiff/api';
import type { KObject } from '@skiff/kernel';
import type { AllocationKind } from './claims.ts';

type Spec = { type?: unknown; clusterIP?: unknown; clusterIPs?: unknown; ports?: unknown };
const specOf = (svc: KObject): Spec => (typeof svc.spec === 'object' && svc.spec !== null ? (svc.spec as Spec) : {});

/** The cluster IPs a Service holds ("None" and "" are none). */
export function clusterIPsOf(svc: KObject): string[] {
  const s = specOf(svc);
  if (s.type === 'ExternalName') return [];
  const ips = Array.isArray(s.clusterIPs) ? s.clusterIPs : typeof s.clusterIP === 'string' ? [s.clusterIP] : [];
  return ips.filter((ip): ip is string => typeof ip === 'string' && ip !== '' && ip !== 'None');
}

/** The node ports a Service holds. */
export function nodePortsOf(svc: KObject): number[] {
  const s = specOf(svc);
  const out = new Set<number>();
  if (Array.isArray(s.ports))
    for (const p of s.ports) {
      const np = (p as { nodePort?: unknown } | null)?.nodePort;
      if (typeof np === 'number' && Number.isInteger(np) && np > 0) out.add(np);
    }
  return [...out];
}

export const ipAddresses: AllocationKind = {
  ref: IP_ADDRESSES,
  apiVersion: 'networking.k8s.io/v1',
  kind: 'IPAddress',
  labels: { 'ipaddress.kubernetes.io/ip-family': 'IPv4', 'ipaddress.kubernetes.io/managed-by': 'ipallocator.k8s.io' },
  name: formatIPv4,
  value: (name) => parseIPv4(name),
  holds: (svc, n) => clusterIPsOf(svc).includes(formatIPv4(n)),
};

export const nodePorts: AllocationKind = {
  ref: NODE_PORT_ALLOCATIONS,
  apiVersion: 'networking.skiff.io/v1alpha1',
  kind: 'NodePortAllocation',
  labels: { 'networking.skiff.io/managed-by': 'service-ipam' },
  name: String,
  value: (name) => (/^[1-9]\d{0,4}$/.test(name) ? Number(name) : undefined),
  holds: (svc, n) => nodePortsOf(svc).includes(n),
};
