// Structural (JSON type) schemas of PodSpec and friends; semantic checks live in pod-spec.ts.
import { S } from '../structural.ts';

const resources = S.obj({ limits: S.map(S.quantity), requests: S.map(S.quantity), claims: S.arr(S.obj({ name: S.str })) });

const probe = S.obj({
  exec: S.obj({ command: S.strArr }),
  httpGet: S.obj({ path: S.str, port: S.intOrStr, host: S.str, scheme: S.str }),
  tcpSocket: S.obj({ port: S.intOrStr, host: S.str }),
  grpc: S.obj({ port: S.int, service: S.str }),
  initialDelaySeconds: S.int,
  timeoutSeconds: S.int,
  periodSeconds: S.int,
  successThreshold: S.int,
  failureThreshold: S.int,
  terminationGracePeriodSeconds: S.int64,
});

export const containerSchema = S.obj({
  name: S.str,
  image: S.str,
  command: S.strArr,
  args: S.strArr,
  workingDir: S.str,
  ports: S.arr(S.obj({ name: S.str, containerPort: S.int, hostPort: S.int, hostIP: S.str, protocol: S.str })),
  env: S.arr(S.obj({ name: S.str, value: S.str, valueFrom: S.obj() })),
  envFrom: S.arr(S.obj({ prefix: S.str, configMapRef: S.obj({ name: S.str }), secretRef: S.obj({ name: S.str }) })),
  resources,
  volumeMounts: S.arr(S.obj({ name: S.str, mountPath: S.str, readOnly: S.bool, subPath: S.str, mountPropagation: S.str })),
  volumeDevices: S.arr(S.obj({ name: S.str, devicePath: S.str })),
  livenessProbe: probe,
  readinessProbe: probe,
  startupProbe: probe,
  lifecycle: S.obj(),
  terminationMessagePath: S.str,
  terminationMessagePolicy: S.str,
  imagePullPolicy: S.str,
  securityContext: S.obj(),
  restartPolicy: S.str,
  stdin: S.bool,
  stdinOnce: S.bool,
  tty: S.bool,
});

const toleration = S.obj({ key: S.str, operator: S.str, value: S.str, effect: S.str, tolerationSeconds: S.int64 });

export const podSpecSchema = S.obj({
  containers: S.arr(containerSchema),
  initContainers: S.arr(containerSchema),
  ephemeralContainers: S.arr(S.obj()),
  volumes: S.arr(S.obj({ name: S.str })),
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
  securityContext: S.obj(),
  imagePullSecrets: S.arr(S.obj({ name: S.str })),
  hostname: S.str,
  subdomain: S.str,
  affinity: S.obj(),
  schedulerName: S.str,
  tolerations: S.arr(toleration),
  hostAliases: S.arr(S.obj({ ip: S.str, hostnames: S.strArr })),
  priorityClassName: S.str,
  priority: S.int,
  dnsConfig: S.obj(),
  readinessGates: S.arr(S.obj({ conditionType: S.str })),
  runtimeClassName: S.str,
  enableServiceLinks: S.bool,
  preemptionPolicy: S.str,
  overhead: S.map(S.quantity),
  topologySpreadConstraints: S.arr(S.obj({ maxSkew: S.int, topologyKey: S.str, whenUnsatisfiable: S.str })),
  schedulingGates: S.arr(S.obj({ name: S.str })),
});

export const podStatusSchema = S.obj({
  phase: S.str,
  conditions: S.arr(S.obj({ type: S.str, status: S.str, reason: S.str, message: S.str })),
  message: S.str,
  reason: S.str,
  nominatedNodeName: S.str,
  hostIP: S.str,
  podIP: S.str,
  podIPs: S.arr(S.obj({ ip: S.str })),
  startTime: S.str,
  qosClass: S.str,
  initContainerStatuses: S.arr(S.obj({ name: S.str, ready: S.bool, restartCount: S.int })),
  containerStatuses: S.arr(S.obj({ name: S.str, ready: S.bool, restartCount: S.int })),
});

export const objectMetaSchema = S.obj({ name: S.str, namespace: S.str, labels: S.strMap, annotations: S.strMap });

export const podTemplateSchema = S.obj({ metadata: objectMetaSchema, spec: podSpecSchema });
