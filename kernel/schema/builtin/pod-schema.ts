// Structural (JSON type) schemas of PodSpec and friends; semantic checks live in pod-spec.ts.
// An object with properties lists all of Kubernetes' fields (fieldValidation reports the others as
// unknown); S.obj() with none is open: its fields are not checked (the rarer volume sources).
import { S } from '../structural.ts';

const resources = S.obj({ limits: S.map(S.quantity), requests: S.map(S.quantity), claims: S.arr(S.obj({ name: S.str })) });

const probe = S.obj({
  exec: S.obj({ command: S.strArr }),
  httpGet: S.obj({ path: S.str, port: S.intOrStr, host: S.str, scheme: S.str, httpHeaders: S.arr(S.obj({ name: S.str, value: S.str })) }),
  tcpSocket: S.obj({ port: S.intOrStr, host: S.str }),
  grpc: S.obj({ port: S.int, service: S.str }),
  initialDelaySeconds: S.int,
  timeoutSeconds: S.int,
  periodSeconds: S.int,
  successThreshold: S.int,
  failureThreshold: S.int,
  terminationGracePeriodSeconds: S.int64,
});

// the int32 / int64 fields of the structs below are range-checked (runAsUser: 1e400 or 2^64 is a
// 422, not a number stored as null or rounded); their other fields are typed where kube has them
const seLinuxOptions = S.obj({ user: S.str, role: S.str, type: S.str, level: S.str });
const windowsOptions = S.obj({ gmsaCredentialSpecName: S.str, gmsaCredentialSpec: S.str, runAsUserName: S.str, hostProcess: S.bool });
const profile = S.obj({ type: S.str, localhostProfile: S.str });
const securityContext = S.obj({
  capabilities: S.obj({ add: S.strArr, drop: S.strArr }),
  privileged: S.bool,
  seLinuxOptions,
  windowsOptions,
  runAsUser: S.int64,
  runAsGroup: S.int64,
  runAsNonRoot: S.bool,
  readOnlyRootFilesystem: S.bool,
  allowPrivilegeEscalation: S.bool,
  procMount: S.str,
  seccompProfile: profile,
  appArmorProfile: profile,
});
const podSecurityContext = S.obj({
  seLinuxOptions,
  windowsOptions,
  runAsUser: S.int64,
  runAsGroup: S.int64,
  runAsNonRoot: S.bool,
  supplementalGroups: S.arr(S.int64),
  supplementalGroupsPolicy: S.str,
  fsGroup: S.int64,
  sysctls: S.arr(S.obj({ name: S.str, value: S.str })),
  fsGroupChangePolicy: S.str,
  seccompProfile: profile,
  appArmorProfile: profile,
  seLinuxChangePolicy: S.str,
});
const handler = S.obj({
  exec: S.obj({ command: S.strArr }),
  httpGet: S.obj({ path: S.str, port: S.intOrStr, host: S.str, scheme: S.str, httpHeaders: S.arr(S.obj({ name: S.str, value: S.str })) }),
  tcpSocket: S.obj({ port: S.intOrStr, host: S.str }),
  sleep: S.obj({ seconds: S.int64 }),
});
const keyToPaths = S.arr(S.obj({ key: S.str, path: S.str, mode: S.int }));
const volume = S.obj({
  name: S.str,
  configMap: S.obj({ name: S.str, items: keyToPaths, defaultMode: S.int, optional: S.bool }),
  secret: S.obj({ secretName: S.str, items: keyToPaths, defaultMode: S.int, optional: S.bool }),
  projected: S.obj({ sources: S.arr(S.obj()), defaultMode: S.int }),
  downwardAPI: S.obj({ items: S.arr(S.obj({ path: S.str, mode: S.int, fieldRef: S.obj(), resourceFieldRef: S.obj() })), defaultMode: S.int }),
  emptyDir: S.obj({ medium: S.str, sizeLimit: S.quantity }),
  hostPath: S.obj({ path: S.str, type: S.str }),
  persistentVolumeClaim: S.obj({ claimName: S.str, readOnly: S.bool }),
  nfs: S.obj({ server: S.str, path: S.str, readOnly: S.bool }),
  csi: S.obj({ driver: S.str, readOnly: S.bool, fsType: S.str, volumeAttributes: S.strMap, nodePublishSecretRef: S.obj({ name: S.str }) }),
  ephemeral: S.obj({ volumeClaimTemplate: S.obj() }),
  image: S.obj({ reference: S.str, pullPolicy: S.str }),
  ...Object.fromEntries(
    ['awsElasticBlockStore', 'azureDisk', 'azureFile', 'cephfs', 'cinder', 'fc', 'flexVolume', 'flocker', 'gcePersistentDisk', 'gitRepo', 'glusterfs', 'iscsi', 'photonPersistentDisk', 'portworxVolume', 'quobyte', 'rbd', 'scaleIO', 'storageos', 'vsphereVolume'].map((s) => [s, S.obj()]),
  ),
});
const nodeSelectorTerm = S.obj({ matchExpressions: S.arr(S.obj({ key: S.str, operator: S.str, values: S.strArr })), matchFields: S.arr(S.obj({ key: S.str, operator: S.str, values: S.strArr })) });
const podAffinityTerm = S.obj({ labelSelector: S.obj(), namespaces: S.strArr, topologyKey: S.str, namespaceSelector: S.obj() });
const podAffinity = S.obj({
  requiredDuringSchedulingIgnoredDuringExecution: S.arr(podAffinityTerm),
  preferredDuringSchedulingIgnoredDuringExecution: S.arr(S.obj({ weight: S.int, podAffinityTerm })),
});
const affinity = S.obj({
  nodeAffinity: S.obj({
    requiredDuringSchedulingIgnoredDuringExecution: S.obj({ nodeSelectorTerms: S.arr(nodeSelectorTerm) }),
    preferredDuringSchedulingIgnoredDuringExecution: S.arr(S.obj({ weight: S.int, preference: nodeSelectorTerm })),
  }),
  podAffinity,
  podAntiAffinity: podAffinity,
});

export const containerSchema = S.obj({
  name: S.str,
  image: S.str,
  command: S.strArr,
  args: S.strArr,
  workingDir: S.str,
  ports: S.arr(S.obj({ name: S.str, containerPort: S.int, hostPort: S.int, hostIP: S.str, protocol: S.str })),
  env: S.arr(S.obj({ name: S.str, value: S.str, valueFrom: S.obj() })),
  envFrom: S.arr(S.obj({ prefix: S.str, configMapRef: S.obj({ name: S.str, optional: S.bool }), secretRef: S.obj({ name: S.str, optional: S.bool }) })),
  resources,
  resizePolicy: S.arr(S.obj({ resourceName: S.str, restartPolicy: S.str })),
  volumeMounts: S.arr(S.obj({ name: S.str, mountPath: S.str, readOnly: S.bool, recursiveReadOnly: S.str, subPath: S.str, subPathExpr: S.str, mountPropagation: S.str })),
  volumeDevices: S.arr(S.obj({ name: S.str, devicePath: S.str })),
  livenessProbe: probe,
  readinessProbe: probe,
  startupProbe: probe,
  lifecycle: S.obj({ postStart: handler, preStop: handler, stopSignal: S.str }),
  terminationMessagePath: S.str,
  terminationMessagePolicy: S.str,
  imagePullPolicy: S.str,
  securityContext,
  restartPolicy: S.str,
  stdin: S.bool,
  stdinOnce: S.bool,
  tty: S.bool,
  // ephemeral containers only
  targetContainerName: S.str,
});

const toleration = S.obj({ key: S.str, operator: S.str, value: S.str, effect: S.str, tolerationSeconds: S.int64 });

export const podSpecSchema = S.obj({
  containers: S.arr(containerSchema),
  initContainers: S.arr(containerSchema),
  ephemeralContainers: S.arr(containerSchema),
  volumes: S.arr(volume),
  restartPolicy: S.str,
  terminationGracePeriodSeconds: S.int64,
  activeDeadlineSeconds: S.int64,
  dnsPolicy: S.str,
  nodeSelector: S.strMap,
  serviceAccountName: S.str,
  serviceAccount: S.str,
  automountServiceAccountToken: S.bool,
  nodeName: S.str,
  hostNetwork: S.bool,
  hostPID: S.bool,
  hostIPC: S.bool,
  shareProcessNamespace: S.bool,
  securityContext: podSecurityContext,
  imagePullSecrets: S.arr(S.obj({ name: S.str })),
  hostname: S.str,
  subdomain: S.str,
  affinity,
  schedulerName: S.str,
  tolerations: S.arr(toleration),
  hostAliases: S.arr(S.obj({ ip: S.str, hostnames: S.strArr })),
  priorityClassName: S.str,
  priority: S.int,
  dnsConfig: S.obj({ nameservers: S.strArr, searches: S.strArr, options: S.arr(S.obj({ name: S.str, value: S.str })) }),
  readinessGates: S.arr(S.obj({ conditionType: S.str })),
  runtimeClassName: S.str,
  enableServiceLinks: S.bool,
  preemptionPolicy: S.str,
  overhead: S.map(S.quantity),
  topologySpreadConstraints: S.arr(S.obj({ maxSkew: S.int, topologyKey: S.str, whenUnsatisfiable: S.str, labelSelector: S.obj(), minDomains: S.int, matchLabelKeys: S.strArr })),
  schedulingGates: S.arr(S.obj({ name: S.str })),
  os: S.obj({ name: S.str }),
  setHostnameAsFQDN: S.bool,
  hostUsers: S.bool,
  resourceClaims: S.arr(S.obj({ name: S.str, resourceClaimName: S.str, resourceClaimTemplateName: S.str })),
  resources,
});

const containerStatus = S.obj({
  name: S.str,
  ready: S.bool,
  restartCount: S.int,
  state: S.obj(),
  lastState: S.obj(),
  image: S.str,
  imageID: S.str,
  containerID: S.str,
  started: S.bool,
  allocatedResources: S.map(S.quantity),
  allocatedResourcesStatus: S.arr(S.obj()),
  resources: S.obj(),
  volumeMounts: S.arr(S.obj()),
  user: S.obj(),
  stopSignal: S.str,
});

export const podStatusSchema = S.obj({
  phase: S.str,
  conditions: S.arr(S.obj({ type: S.str, status: S.str, observedGeneration: S.int64, lastProbeTime: S.str, lastTransitionTime: S.str, reason: S.str, message: S.str })),
  message: S.str,
  observedGeneration: S.int64,
  reason: S.str,
  nominatedNodeName: S.str,
  hostIP: S.str,
  podIP: S.str,
  podIPs: S.arr(S.obj({ ip: S.str })),
  hostIPs: S.arr(S.obj({ ip: S.str })),
  resize: S.str,
  resourceClaimStatuses: S.arr(S.obj()),
  startTime: S.str,
  qosClass: S.str,
  initContainerStatuses: S.arr(containerStatus),
  containerStatuses: S.arr(containerStatus),
  ephemeralContainerStatuses: S.arr(containerStatus),
});

export const objectMetaSchema = S.obj({ name: S.str, namespace: S.str, labels: S.strMap, annotations: S.strMap });

export const podTemplateSchema = S.obj({ metadata: objectMetaSchema, spec: podSpecSchema });
