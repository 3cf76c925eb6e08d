// The `kube-system/kube-dns` Service: the name and ClusterIP pods know the cluster DNS by. Every
// node serves that address itself (local-address.ts), so the Service carries
// `service.kubernetes.io/service-proxy-name`: a service proxy leaves it alone, as kube-proxy does
// for Services another proxy implements.
import { isAlreadyExists, isNotFound, SERVICES, type Service } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';

export const DNS_SERVICE = { namespace: 'kube-system', name: 'kube-dns' } as const;
export const PROXY_NAME_LABEL = 'service.kubernetes.io/service-proxy-name';

export function dnsService(ip: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      ...DNS_SERVICE,
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'SkiffDNS', [PROXY_NAME_LABEL]: 'cluster-dns' },
    },
    spec: {
      clusterIP: ip,
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      ],
    },
  } as Service;
}

/**
 * Creates the Service when it is missing. Returns undefined when it is (or now is) at `ip`, else the
 * address the existing Service has (a conflict for the caller to report).
 */
export async function ensureDnsService(kernel: Kernel, ip: string): Promise<string | undefined> {
  const get = () => kernel.get(SERVICES, DNS_SERVICE.namespace, DNS_SERVICE.name) as Promise<Service>;
  let svc: Service | undefined;
  try {
    svc = await get();
  } catch (e) {
    if (!isNotFound(e)) throw e;
    try {
      svc = (await kernel.create(SERVICES, dnsService(ip))) as Service;
    } catch (c) {
      if (!isAlreadyExists(c)) throw c;
      svc = await get(); // another node made it first
    }
  }
  const has = svc.spec?.clusterIP;
  return has === ip ? undefined : (has ?? '');
}
