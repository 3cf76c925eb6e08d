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

export interface EnsureOptions {
  /** tries when the create is refused and no Service is there (another node's may be mid-write) */
  attempts?: number;
  /** the wait before the second try, doubling after each */
  retryMs?: number;
}

/**
 * Creates the Service when it is missing. Returns undefined when it is (or now is) at `ip`, else the
 * address the existing Service has (a conflict for the caller to report).
 *
 * Nodes starting together all try to create it. The one that loses hears AlreadyExists from the
 * store, or, as in Kubernetes, a 422 from the Service IP allocator in admission ("provided IP is
 * already allocated": the winner claimed the address) before the store sees the name, possibly while
 * the winner's Service is still being written. So a refused create is followed by a read, and
 * retried a few times while nothing is there; then the refusal stands.
 */
export async function ensureDnsService(kernel: Kernel, ip: string, o: EnsureOptions = {}): Promise<string | undefined> {
  const attempts = o.attempts ?? 5;
  const get = () => kernel.get(SERVICES, DNS_SERVICE.namespace, DNS_SERVICE.name) as Promise<Service>;
  const found = (svc: Service) => (svc.spec?.clusterIP === ip ? undefined : (svc.spec?.clusterIP ?? ''));
  for (let i = 0; ; i++) {
    try {
      return found(await get());
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    try {
      return found((await kernel.create(SERVICES, dnsService(ip))) as Service);
    } catch (c) {
      if (i + 1 >= attempts) throw c;
      // AlreadyExists: read it now; a refusal: give the other's write time
      if (!isAlreadyExists(c)) await new Promise((r) => setTimeout(r, (o.retryMs ?? 200) * 2 ** i));
    }
  }
}
