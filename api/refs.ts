// Which collection an operation is about, for every built-in kind: group ("" for core), version and
// plural resource, as the Kernel interface takes them.

import type { HorizontalPodAutoscaler } from './types/autoscaling.ts';
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from './types/apps.ts';
import type { CronJob, Job } from './types/batch.ts';
import type { Lease } from './types/coordination.ts';
import type { Pod } from './types/core-pod.ts';
import type { ConfigMap, Endpoints, Event, Namespace, Node, PersistentVolume, PersistentVolumeClaim, ReplicationController, Secret, Service, ServiceAccount } from './types/core.ts';
import type { EndpointSlice } from './types/discovery.ts';
import type { KObject } from './types/meta.ts';
import type { NodeMetrics, PodMetrics } from './types/metrics.ts';
import type { Ingress, IngressClass } from './types/networking-ingress.ts';
import type { NetworkPolicy } from './types/networking-policy.ts';
import type { PodDisruptionBudget } from './types/policy.ts';
import type { PriorityClass } from './types/scheduling.ts';

/** Which collection an operation is about: group ("" for core), version and plural resource. */
export interface ResourceRef {
  group: string;
  version: string;
  resource: string;
}

/**
 * A ResourceRef that knows the type of its objects: the typed client (@skiff/client's TypedKernel)
 * reads it, the Kernel ignores it (a plain ResourceRef at run time).
 */
export interface TypedRef<T extends KObject = KObject> extends ResourceRef {
  /** never set: carries the object type */
  readonly __object?: T;
}

const ref = <T extends KObject = KObject>(group: string, version: string, resource: string): TypedRef<T> => Object.freeze({ group, version, resource });

// core/v1
export const PODS = ref<Pod>('', 'v1', 'pods');
export const NODES = ref<Node>('', 'v1', 'nodes');
export const NAMESPACES = ref<Namespace>('', 'v1', 'namespaces');
export const EVENTS = ref<Event>('', 'v1', 'events');
export const SERVICE_ACCOUNTS = ref<ServiceAccount>('', 'v1', 'serviceaccounts');
export const CONFIG_MAPS = ref<ConfigMap>('', 'v1', 'configmaps');
export const SECRETS = ref<Secret>('', 'v1', 'secrets');
export const SERVICES = ref<Service>('', 'v1', 'services');
export const ENDPOINTS = ref<Endpoints>('', 'v1', 'endpoints');
export const PVS = ref<PersistentVolume>('', 'v1', 'persistentvolumes');
export const PVCS = ref<PersistentVolumeClaim>('', 'v1', 'persistentvolumeclaims');
export const REPLICATION_CONTROLLERS = ref<ReplicationController>('', 'v1', 'replicationcontrollers');
export const POD_TEMPLATES = ref('', 'v1', 'podtemplates');
export const LIMIT_RANGES = ref('', 'v1', 'limitranges');
export const RESOURCE_QUOTAS = ref('', 'v1', 'resourcequotas');
// apps/v1
export const DEPLOYMENTS = ref<Deployment>('apps', 'v1', 'deployments');
export const REPLICA_SETS = ref<ReplicaSet>('apps', 'v1', 'replicasets');
export const STATEFUL_SETS = ref<StatefulSet>('apps', 'v1', 'statefulsets');
export const DAEMON_SETS = ref<DaemonSet>('apps', 'v1', 'daemonsets');
export const CONTROLLER_REVISIONS = ref<ControllerRevision>('apps', 'v1', 'controllerrevisions');
// batch/v1
export const JOBS = ref<Job>('batch', 'v1', 'jobs');
export const CRON_JOBS = ref<CronJob>('batch', 'v1', 'cronjobs');
// coordination.k8s.io/v1
export const LEASES = ref<Lease>('coordination.k8s.io', 'v1', 'leases');
// scheduling.k8s.io/v1
export const PRIORITY_CLASSES = ref<PriorityClass>('scheduling.k8s.io', 'v1', 'priorityclasses');
// policy/v1
export const POD_DISRUPTION_BUDGETS = ref<PodDisruptionBudget>('policy', 'v1', 'poddisruptionbudgets');
// autoscaling/v2
export const HORIZONTAL_POD_AUTOSCALERS = ref<HorizontalPodAutoscaler>('autoscaling', 'v2', 'horizontalpodautoscalers');
// discovery.k8s.io/v1
export const ENDPOINT_SLICES = ref<EndpointSlice>('discovery.k8s.io', 'v1', 'endpointslices');
/** The label that ties an EndpointSlice to its Service. */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
// networking.k8s.io/v1: a Service's cluster IP (one IPAddress per IP) and the ranges they come from
export const IP_ADDRESSES = ref('networking.k8s.io', 'v1', 'ipaddresses');
export const SERVICE_CIDRS = ref('networking.k8s.io', 'v1', 'servicecidrs');
// networking.k8s.io/v1: which traffic may reach and leave pods
export const NETWORK_POLICIES = ref<NetworkPolicy>('networking.k8s.io', 'v1', 'networkpolicies');
// networking.skiff.io/v1alpha1: a Service's node port (one object per port number)
export const NODE_PORT_ALLOCATIONS = ref('networking.skiff.io', 'v1alpha1', 'nodeportallocations');
// networking.k8s.io/v1: Ingress
export const INGRESSES = ref<Ingress>('networking.k8s.io', 'v1', 'ingresses');
export const INGRESS_CLASSES = ref<IngressClass>('networking.k8s.io', 'v1', 'ingressclasses');
// events.k8s.io/v1
export const EVENTS_V1 = ref('events.k8s.io', 'v1', 'events');
// storage.k8s.io/v1
export const STORAGE_CLASSES = ref('storage.k8s.io', 'v1', 'storageclasses');
export const CSI_DRIVERS = ref('storage.k8s.io', 'v1', 'csidrivers');
export const CSI_NODES = ref('storage.k8s.io', 'v1', 'csinodes');
export const VOLUME_ATTACHMENTS = ref('storage.k8s.io', 'v1', 'volumeattachments');
export const CSI_STORAGE_CAPACITIES = ref('storage.k8s.io', 'v1', 'csistoragecapacities');
// apiextensions.k8s.io/v1
export const CUSTOM_RESOURCE_DEFINITIONS = ref('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
// metrics.k8s.io/v1beta1
export const NODE_METRICS = ref<NodeMetrics>('metrics.k8s.io', 'v1beta1', 'nodes');
export const POD_METRICS = ref<PodMetrics>('metrics.k8s.io', 'v1beta1', 'pods');
// plugins.skiff.io/v1alpha1
export const PLUGINS = ref('plugins.skiff.io', 'v1alpha1', 'plugins');
export const DISTRIBUTIONS = ref('plugins.skiff.io', 'v1alpha1', 'distributions');

/** "v1" or "apps/v1": the apiVersion of objects in a group/version. */
export function apiVersionOf(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** Split an apiVersion ("apps/v1", "v1") into group and version. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}
