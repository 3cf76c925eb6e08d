// Which collection an operation is about, for every built-in kind: group ("" for core), version and
// plural resource, as the Kernel interface takes them.

/** Which collection an operation is about: group ("" for core), version and plural resource. */
export interface ResourceRef {
  group: string;
  version: string;
  resource: string;
}

const ref = (group: string, version: string, resource: string): ResourceRef => Object.freeze({ group, version, resource });

// core/v1
export const PODS = ref('', 'v1', 'pods');
export const NODES = ref('', 'v1', 'nodes');
export const NAMESPACES = ref('', 'v1', 'namespaces');
export const EVENTS = ref('', 'v1', 'events');
export const SERVICE_ACCOUNTS = ref('', 'v1', 'serviceaccounts');
export const CONFIG_MAPS = ref('', 'v1', 'configmaps');
export const SECRETS = ref('', 'v1', 'secrets');
export const SERVICES = ref('', 'v1', 'services');
export const ENDPOINTS = ref('', 'v1', 'endpoints');
export const PVS = ref('', 'v1', 'persistentvolumes');
export const PVCS = ref('', 'v1', 'persistentvolumeclaims');
export const REPLICATION_CONTROLLERS = ref('', 'v1', 'replicationcontrollers');
export const POD_TEMPLATES = ref('', 'v1', 'podtemplates');
export const LIMIT_RANGES = ref('', 'v1', 'limitranges');
export const RESOURCE_QUOTAS = ref('', 'v1', 'resourcequotas');
// apps/v1
export const DEPLOYMENTS = ref('apps', 'v1', 'deployments');
export const REPLICA_SETS = ref('apps', 'v1', 'replicasets');
export const STATEFUL_SETS = ref('apps', 'v1', 'statefulsets');
export const DAEMON_SETS = ref('apps', 'v1', 'daemonsets');
export const CONTROLLER_REVISIONS = ref('apps', 'v1', 'controllerrevisions');
// batch/v1
export const JOBS = ref('batch', 'v1', 'jobs');
export const CRON_JOBS = ref('batch', 'v1', 'cronjobs');
// coordination.k8s.io/v1
export const LEASES = ref('coordination.k8s.io', 'v1', 'leases');
// scheduling.k8s.io/v1
export const PRIORITY_CLASSES = ref('scheduling.k8s.io', 'v1', 'priorityclasses');
// policy/v1
export const POD_DISRUPTION_BUDGETS = ref('policy', 'v1', 'poddisruptionbudgets');
// autoscaling/v2
export const HORIZONTAL_POD_AUTOSCALERS = ref('autoscaling', 'v2', 'horizontalpodautoscalers');
// discovery.k8s.io/v1
export const ENDPOINT_SLICES = ref('discovery.k8s.io', 'v1', 'endpointslices');
/** The label that ties an EndpointSlice to its Service. */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
// networking.k8s.io/v1: a Service's cluster IP (one IPAddress per IP) and the ranges they come from
export const IP_ADDRESSES = ref('networking.k8s.io', 'v1', 'ipaddresses');
export const SERVICE_CIDRS = ref('networking.k8s.io', 'v1', 'servicecidrs');
// networking.k8s.io/v1: which traffic may reach and leave pods
export const NETWORK_POLICIES = ref('networking.k8s.io', 'v1', 'networkpolicies');
// networking.skiff.io/v1alpha1: a Service's node port (one object per port number)
export const NODE_PORT_ALLOCATIONS = ref('networking.skiff.io', 'v1alpha1', 'nodeportallocations');
// networking.k8s.io/v1: Ingress
export const INGRESSES = ref('networking.k8s.io', 'v1', 'ingresses');
export const INGRESS_CLASSES = ref('networking.k8s.io', 'v1', 'ingressclasses');
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
export const NODE_METRICS = ref('metrics.k8s.io', 'v1beta1', 'nodes');
export const POD_METRICS = ref('metrics.k8s.io', 'v1beta1', 'pods');
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
