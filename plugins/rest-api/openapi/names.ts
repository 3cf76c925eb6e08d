// Names of OpenAPI definitions, as Kubernetes publishes them: io.k8s.api.core.v1.Pod for built-in
// kinds, the reversed group for others (a CRD of stable.example.com: com.example.stable.v1.CronTab).
// The kinds' schemas are anonymous JSON schemas; NESTED names their well-known parts by path, so
// kubectl explain prints <[]Container> and one definition serves every kind that shares the part.

/** The Go package path Kubernetes names a built-in group's types after. */
const PACKAGES: Record<string, string> = {
  '': 'io.k8s.api.core',
  apps: 'io.k8s.api.apps',
  batch: 'io.k8s.api.batch',
  autoscaling: 'io.k8s.api.autoscaling',
  policy: 'io.k8s.api.policy',
  'discovery.k8s.io': 'io.k8s.api.discovery',
  'networking.k8s.io': 'io.k8s.api.networking',
  'scheduling.k8s.io': 'io.k8s.api.scheduling',
  'storage.k8s.io': 'io.k8s.api.storage',
  'coordination.k8s.io': 'io.k8s.api.coordination',
  'apiextensions.k8s.io': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions',
};

export function packageOf(group: string, version: string): string {
  const pkg = PACKAGES[group] ?? group.split('.').reverse().join('.');
  return `${pkg}.${version}`;
}

export function definitionName(group: string, version: string, kind: string): string {
  return `${packageOf(group, version)}.${kind}`;
}

/** Whether the group is one of Kubernetes' own (its kinds take strategic merge patches). */
export const isBuiltinGroup = (group: string): boolean => Object.hasOwn(PACKAGES, group);

const CORE = 'io.k8s.api.core.v1.';
const APPS = 'io.k8s.api.apps.v1.';
const BATCH = 'io.k8s.api.batch.v1.';

const podSpec: Record<string, string> = {
  '': `${CORE}PodSpec`,
  'containers[]': `${CORE}Container`,
  'initContainers[]': `${CORE}Container`,
  'ephemeralContainers[]': `${CORE}EphemeralContainer`,
  'containers[].ports[]': `${CORE}ContainerPort`,
  'containers[].env[]': `${CORE}EnvVar`,
  'containers[].envFrom[]': `${CORE}EnvFromSource`,
  'containers[].resources': `${CORE}ResourceRequirements`,
  'containers[].volumeMounts[]': `${CORE}VolumeMount`,
  'containers[].livenessProbe': `${CORE}Probe`,
  'containers[].lifecycle': `${CORE}Lifecycle`,
  'containers[].lifecycle.postStart': `${CORE}LifecycleHandler`,
  'containers[].securityContext': `${CORE}SecurityContext`,
  'volumes[]': `${CORE}Volume`,
  securityContext: `${CORE}PodSecurityContext`,
  affinity: `${CORE}Affinity`,
  'tolerations[]': `${CORE}Toleration`,
  'topologySpreadConstraints[]': `${CORE}TopologySpreadConstraint`,
  dnsConfig: `${CORE}PodDNSConfig`,
  'hostAliases[]': `${CORE}HostAlias`,
  'imagePullSecrets[]': `${CORE}LocalObjectReference`,
};

const under = (prefix: string, names: Record<string, string>) =>
  Object.fromEntries(Object.entries(names).map(([p, n]) => [p ? `${prefix}.${p}` : prefix, n]));

const podTemplate = (at: string) => ({ [at]: `${CORE}PodTemplateSpec`, ...under(`${at}.spec`, podSpec) });
const labelSelector = 'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector';

/** kind definition name -> path in the kind's schema ("spec.containers[]") -> definition name */
export const NESTED: Record<string, Record<string, string>> = {
  [`${CORE}Pod`]: { ...under('spec', podSpec), status: `${CORE}PodStatus`, 'status.containerStatuses[]': `${CORE}ContainerStatus`, 'status.conditions[]': `${CORE}PodCondition` },
  [`${CORE}Service`]: { spec: `${CORE}ServiceSpec`, 'spec.ports[]': `${CORE}ServicePort`, status: `${CORE}ServiceStatus` },
  [`${CORE}Namespace`]: { spec: `${CORE}NamespaceSpec`, status: `${CORE}NamespaceStatus` },
  [`${CORE}Node`]: { spec: `${CORE}NodeSpec`, status: `${CORE}NodeStatus`, 'spec.taints[]': `${CORE}Taint` },
  [`${CORE}PersistentVolumeClaim`]: { spec: `${CORE}PersistentVolumeClaimSpec`, status: `${CORE}PersistentVolumeClaimStatus` },
  [`${CORE}PersistentVolume`]: { spec: `${CORE}PersistentVolumeSpec`, status: `${CORE}PersistentVolumeStatus` },
  [`${CORE}ReplicationController`]: { spec: `${CORE}ReplicationControllerSpec`, status: `${CORE}ReplicationControllerStatus`, ...podTemplate('spec.template') },
  [`${APPS}Deployment`]: {
    spec: `${APPS}DeploymentSpec`,
    status: `${APPS}DeploymentStatus`,
    'spec.strategy': `${APPS}DeploymentStrategy`,
    'spec.strategy.rollingUpdate': `${APPS}RollingUpdateDeployment`,
    'spec.selector': labelSelector,
    ...podTemplate('spec.template'),
  },
  [`${APPS}ReplicaSet`]: { spec: `${APPS}ReplicaSetSpec`, status: `${APPS}ReplicaSetStatus`, ...podTemplate('spec.template') },
  [`${APPS}StatefulSet`]: { spec: `${APPS}StatefulSetSpec`, status: `${APPS}StatefulSetStatus`, 'spec.updateStrategy': `${APPS}StatefulSetUpdateStrategy`, ...podTemplate('spec.template') },
  [`${APPS}DaemonSet`]: { spec: `${APPS}DaemonSetSpec`, status: `${APPS}DaemonSetStatus`, 'spec.updateStrategy': `${APPS}DaemonSetUpdateStrategy`, ...podTemplate('spec.template') },
  [`${BATCH}Job`]: { spec: `${BATCH}JobSpec`, status: `${BATCH}JobStatus`, ...podTemplate('spec.template') },
  [`${BATCH}CronJob`]: { spec: `${BATCH}CronJobSpec`, status: `${BATCH}CronJobStatus`, 'spec.jobTemplate': `${BATCH}JobTemplateSpec` },
  'io.k8s.api.networking.v1.Ingress': { spec: 'io.k8s.api.networking.v1.IngressSpec', status: 'io.k8s.api.networking.v1.IngressStatus', 'spec.rules[]': 'io.k8s.api.networking.v1.IngressRule' },
  'io.k8s.api.networking.v1.NetworkPolicy': { spec: 'io.k8s.api.networking.v1.NetworkPolicySpec' },
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler': { spec: 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec', status: 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus' },
  'io.k8s.api.policy.v1.PodDisruptionBudget': { spec: 'io.k8s.api.policy.v1.PodDisruptionBudgetSpec', status: 'io.k8s.api.policy.v1.PodDisruptionBudgetStatus' },
  'io.k8s.api.coordination.v1.Lease': { spec: 'io.k8s.api.coordination.v1.LeaseSpec' },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition': {
    spec: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionSpec',
  },
};

/** Fields Kubernetes marks required (kubectl explain shows -required-, kubectl 1.20 checks them). */
export const REQUIRED: Record<string, string[]> = {
  [`${CORE}PodSpec`]: ['containers'],
  [`${CORE}Container`]: ['name'],
  [`${CORE}ContainerPort`]: ['containerPort'],
  [`${CORE}EnvVar`]: ['name'],
  [`${CORE}VolumeMount`]: ['name', 'mountPath'],
  [`${CORE}Volume`]: ['name'],
  [`${CORE}ServicePort`]: ['port'],
  [`${APPS}DeploymentSpec`]: ['selector', 'template'],
  [`${APPS}ReplicaSetSpec`]: ['selector'],
  [`${APPS}StatefulSetSpec`]: ['selector', 'template'],
  [`${APPS}DaemonSetSpec`]: ['selector', 'template'],
  [`${BATCH}JobSpec`]: ['template'],
  [`${BATCH}CronJobSpec`]: ['schedule', 'jobTemplate'],
};
