// What kube-apiserver keeps by itself: the `kubernetes` ServiceCIDR (the configured service range)
// and the `kubernetes` Service in `default` at the range's first address, port 443 (https) to the
// API server's port, with its Endpoints when the API servers' addresses are known (kube's endpoint
// reconciler writes each server's advertise address; Skiff's REST API listens on loopback by
// default, and a loopback address is no valid endpoint, so the Endpoints are written only when
// addresses are configured).
import { ENDPOINT_SLICES, ENDPOINTS, SERVICE_CIDRS, SERVICES } from '@skiff/api';
import { isStatusError, type Kernel, type KObject } from '@skiff/kernel';
import type { ServiceIPRange } from './ranges.ts';

export interface KubernetesServiceOptions {
  /** the API server's port (the Service's targetPort and the Endpoints' port) */
  apiServerPort: number;
  /** the API servers' addresses for the Endpoints (none: no Endpoints) */
  apiServerAddresses: string[];
}

const code = (e: unknown) => (isStatusError(e) ? e.code : undefined);
const LABELS = { component: 'apiserver', provider: 'kubernetes' };

async function createIfMissing(kernel: Kernel, ref: typeof SERVICES, obj: KObject): Promise<boolean> {
  try {
    await kernel.create(ref, obj);
    return true;
  } catch (e) {
    if (code(e) === 409) return false;
    throw e;
  }
}

async function getIfExists(kernel: Kernel, ref: typeof SERVICES, ns: string, name: string): Promise<KObject | undefined> {
  try {
    return await kernel.get(ref, ns, name);
  } catch (e) {
    if (code(e) === 404) return undefined;
    throw e;
  }
}

/** The `kubernetes` ServiceCIDR; returns the CIDRs it has when it exists with others (config changed). */
export async function ensureServiceCIDR(kernel: Kernel, range: ServiceIPRange): Promise<string[] | undefined> {
  const cidr = range.toString();
  const obj: KObject = { apiVersion: 'networking.k8s.io/v1', kind: 'ServiceCIDR', metadata: { name: 'kubernetes' }, spec: { cidrs: [cidr] } };
  if (!(await createIfMissing(kernel, SERVICE_CIDRS, obj))) {
    const cur = await kernel.get(SERVICE_CIDRS, undefined, 'kubernetes');
    const cidrs = ((cur.spec as { cidrs?: string[] } | undefined)?.cidrs ?? []) as string[];
    if (!cidrs.includes(cidr)) return cidrs;
    if ((cur.status as { conditions?: unknown[] } | undefined)?.conditions?.length) return undefined;
  }
  // Ready, as kube's ServiceCIDR controller reports a range it allocates from
  const cur = await kernel.get(SERVICE_CIDRS, undefined, 'kubernetes');
  const ready = { type: 'Ready', status: 'True', reason: 'Ready', message: 'Kubernetes Service CIDR is ready', lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
  try {
    await kernel.update(SERVICE_CIDRS, { ...cur, status: { conditions: [ready] } }, { subresource: 'status' });
  } catch (e) {
    if (code(e) !== 409) throw e;
  }
  return undefined;
}

/** Create the `kubernetes` Service (and its Endpoints) when missing; fix its port when it differs. Returns what it did. */
export async function ensureKubernetesService(kernel: Kernel, range: ServiceIPRange, o: KubernetesServiceOptions): Promise<string[]> {
  const done: string[] = [];
  const ports = [{ name: 'https', protocol: 'TCP', port: 443, targetPort: o.apiServerPort }];
  const svc: KObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: LABELS },
    spec: { type: 'ClusterIP', clusterIP: range.kubernetesIP, clusterIPs: [range.kubernetesIP], ports, sessionAffinity: 'None' },
  };
  // read first: a create of the existing Service would be refused by this plugin's own admission
  // (its address is allocated, to that Service) before the store could answer AlreadyExists
  const cur = await getIfExists(kernel, SERVICES, 'default', 'kubernetes');
  if (!cur) {
    if (await createIfMissing(kernel, SERVICES, svc)) done.push('service');
  } else {
    const spec = (cur.spec ?? {}) as { ports?: unknown };
    if (JSON.stringify(spec.ports) !== JSON.stringify(ports)) {
      await kernel.update(SERVICES, { ...cur, spec: { ...(cur.spec as object), ports } });
      done.push('service-ports');
    }
  }
  if (o.apiServerAddresses.length > 0) {
    const subsets = [{ addresses: o.apiServerAddresses.map((ip) => ({ ip })), ports: [{ name: 'https', port: o.apiServerPort, protocol: 'TCP' }] }];
    const ep: KObject = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }, subsets } as KObject;
    if (await createIfMissing(kernel, ENDPOINTS, ep)) done.push('endpoints');
    else {
      const cur = await kernel.get(ENDPOINTS, 'default', 'kubernetes');
      if (JSON.stringify((cur as { subsets?: unknown }).subsets) !== JSON.stringify(subsets)) {
        await kernel.update(ENDPOINTS, { ...cur, subsets } as KObject);
        done.push('endpoints-updated');
      }
    }
  }
  if (o.apiServerAddresses.length > 0 && kernel.kinds().some((k) => k.group === ENDPOINT_SLICES.group && k.resource === ENDPOINT_SLICES.resource)) {
    const slice = {
      addressType: 'IPv4',
      endpoints: o.apiServerAddresses.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
      ports: [{ name: 'https', port: o.apiServerPort, protocol: 'TCP' }],
    };
    const obj = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } }, ...slice } as KObject;
    const cur = await getIfExists(kernel, ENDPOINT_SLICES, 'default', 'kubernetes');
    if (!cur) {
      if (await createIfMissing(kernel, ENDPOINT_SLICES, obj)) done.push('endpointslice');
    } else if (JSON.stringify([cur.endpoints, cur.ports]) !== JSON.stringify([slice.endpoints, slice.ports])) {
      await kernel.update(ENDPOINT_SLICES, { ...cur, ...slice } as KObject);
      done.push('endpointslice-updated');
    }
  }
  return done;
}
