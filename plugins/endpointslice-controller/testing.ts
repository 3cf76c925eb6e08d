// Test helpers: Services, Nodes and pods whose status the tests write as a kubelet would (no
// containers run), and reads of a Service's slices.
import { ENDPOINT_SLICES, NODES, PODS, rfc3339, SERVICES, type EndpointSlice, type Pod, type Service } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import { LABEL_SERVICE_NAME } from './desired.ts';

export const NS = 'default';

export async function createNode(kernel: Kernel, name: string, zone?: string, cpu = '4'): Promise<void> {
  await kernel.create(NODES, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: zone ? { 'topology.kubernetes.io/zone': zone } : {} },
    status: { allocatable: { cpu, memory: '8Gi', pods: '110' }, capacity: { cpu, memory: '8Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }] },
  });
}

export interface SvcOptions {
  selector?: Record<string, string> | null;
  ports?: { name?: string; port: number; targetPort?: number | string; protocol?: string }[];
  clusterIP?: string;
  annotations?: Record<string, string>;
  publishNotReadyAddresses?: boolean;
  labels?: Record<string, string>;
}

export async function createService(kernel: Kernel, name: string, o: SvcOptions = {}): Promise<Service> {
  return (await kernel.create(SERVICES, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: NS, annotations: o.annotations, labels: o.labels },
    spec: {
      selector: o.selector === null ? undefined : (o.selector ?? { app: name }),
      ports: o.ports ?? [{ port: 80, targetPort: 8080 }],
      clusterIP: o.clusterIP,
      publishNotReadyAddresses: o.publishNotReadyAddresses,
    },
  })) as Service;
}

export interface PodOptions {
  labels: Record<string, string>;
  node?: string;
  ip?: string;
  ready?: boolean;
  ports?: { name: string; containerPort: number }[];
  hostname?: string;
  subdomain?: string;
}

/** A pod bound to `node` (spec.nodeName set at create, as a kubelet-less test may), with its status written. */
export async function createPod(kernel: Kernel, name: string, o: PodOptions): Promise<Pod> {
  await kernel.create(PODS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: o.labels },
    spec: {
      nodeName: o.node ?? 'node-a',
      hostname: o.hostname,
      subdomain: o.subdomain,
      containers: [{ name: 'app', image: 'busybox', ports: o.ports }],
    },
  });
  return o.ip ? setPodStatus(kernel, name, { ip: o.ip, ready: o.ready ?? true }) : ((await kernel.get(PODS, NS, name)) as Pod);
}

/** Write a pod's status as a kubelet would: Running, its IP, the Ready condition. */
export async function setPodStatus(kernel: Kernel, name: string, s: { ip: string; ready: boolean }): Promise<Pod> {
  const pod = (await kernel.get(PODS, NS, name)) as Pod;
  const status = {
    ...pod.status,
    phase: 'Running' as const,
    podIP: s.ip,
    podIPs: [{ ip: s.ip }],
    conditions: [{ type: 'Ready', status: s.ready ? 'True' : 'False', lastTransitionTime: rfc3339(new Date()) }],
  };
  return (await kernel.update(PODS, { ...pod, status } as Pod, { subresource: 'status' })) as Pod;
}

export async function slicesOf(kernel: Kernel, svc: string): Promise<EndpointSlice[]> {
  return (await kernel.list(ENDPOINT_SLICES, { namespace: NS, labelSelector: `${LABEL_SERVICE_NAME}=${svc}` })).items as EndpointSlice[];
}

/** Every endpoint of a Service's slices, by pod name. */
export async function endpointsByPod(kernel: Kernel, svc: string) {
  const out = new Map<string, EndpointSlice['endpoints'][number] & { slice: string; ports: EndpointSlice['ports'] }>();
  for (const s of await slicesOf(kernel, svc)) for (const ep of s.endpoints ?? []) out.set(ep.targetRef!.name!, { ...ep, slice: s.metadata.name!, ports: s.ports });
  return out;
}
