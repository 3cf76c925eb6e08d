// decodeKubernetesProtobuf: bodies kubectl 1.32 sent (captured with -v=9), objects encoded with
// Skiff's own proto/k8s definitions (including gogo-style zero values), and the 400/415 errors.
import { describe, expect, it } from 'vitest';
import { isStatusError } from '@skiff/kernel';
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf, KIND_MESSAGES, withExtraField, wrapRaw } from './mod.ts';
import { messageType } from './schema.ts';

/** What `kubectl create ... --dry-run=server -v=9` sent (kubectl v1.32.4), as hex. */
const KUBECTL_132 = {
  namespace: '6b3873000a0f0a02763112094e616d657370616365121d0a150a0566782d6e7312001a0022002a0032003800420012001a020a001a002200',
  configmap: '6b3873000a0f0a0276311209436f6e6669674d617012200a160a0566782d636d12001a017822002a0032003800420012060a01611201621a002200',
  secret: '6b3873000a0c0a027631120653656372657412280a150a0466782d7312001a017822002a00320038004200120d0a027077120768756e746572321a001a002200',
  serviceaccount: '6b3873000a140a027631120e536572766963654163636f756e7412180a160a0566782d736112001a017822002a003200380042001a002200',
  deployment:
    '6b3873000a150a07617070732f7631120a4465706c6f796d656e7412cf010a220a0466782d6412001a017822002a003200380042005a0b0a03617070120466782d64129a010802120d0a0b0a03617070120466782d641a7f0a1d0a0012001a0022002a003200380042005a0b0a03617070120466782d64125e12400a0762757379626f78120762757379626f781a05736c6565701a04333630302a00320b0a00100018903f22002a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200',
  service:
    '6b3873000a0d0a02763112075365727669636512730a260a0666782d73766312001a017822002a003200380042005a0d0a03617070120666782d73766312450a1b0a0738302d38303830120354435018502207080010903f1a002800120d0a03617070120666782d7376631a002209436c757374657249503a00420052005a00600068001a020a001a002200',
  job: '6b3873000a0f0a0862617463682f763112034a6f621289010a150a0466782d6a12001a017822002a00320038004200126632640a100a0012001a0022002a003200380042001250122d0a0466782d6a120762757379626f781a046563686f1a0268692a0042006a007200800100880100900100a201001a054e65766572320042004a0052005800600068008201008a01009a0100c201001a082000280030003a001a002200',
  cronjob:
    '6b3873000a130a0862617463682f7631120743726f6e4a6f6212af010a160a0566782d636a12001a017822002a003200380042001292010a0b2a2f35202a202a202a202a1a002a80010a150a0566782d636a12001a0022002a00320038004200126732650a100a0012001a0022002a003200380042001251122a0a0566782d636a120762757379626f781a04646174652a0042006a007200800100880100900100a201001a094f6e4661696c757265320042004a0052005800600068008201008a01009a0100c201001a001a002200',
};

const kubectl = (name: keyof typeof KUBECTL_132) => decodeKubernetesProtobuf(Buffer.from(KUBECTL_132[name], 'hex'));

/** The StatusError decodeKubernetesProtobuf throws for `body`. */
function failure(body: Buffer): { code: number; reason: string; message: string } {
  try {
    decodeKubernetesProtobuf(body);
  } catch (e) {
    if (!isStatusError(e)) throw e;
    return { code: e.status.code, reason: e.status.reason, message: e.status.message };
  }
  throw new Error('decoded without an error');
}

const T_2026 = Date.UTC(2026, 0, 2, 3, 4, 5) / 1000; // 2026-01-02T03:04:05Z

describe('bodies sent by kubectl 1.32', () => {
  it('create namespace', () => {
    expect(kubectl('namespace')).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fx-ns' }, spec: {}, status: {} });
  });

  it('create configmap --from-literal', () => {
    expect(kubectl('configmap')).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fx-cm', namespace: 'x' }, data: { a: 'b' } });
  });

  it('create secret generic --from-literal (bytes as base64, the empty type left out)', () => {
    expect(kubectl('secret')).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'fx-s', namespace: 'x' },
      data: { pw: Buffer.from('hunter2').toString('base64') },
    });
  });

  it('create serviceaccount', () => {
    expect(kubectl('serviceaccount')).toEqual({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'fx-sa', namespace: 'x' } });
  });

  it('create deployment --image --port --replicas -- sleep 3600', () => {
    expect(kubectl('deployment')).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'fx-d', namespace: 'x', labels: { app: 'fx-d' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'fx-d' } },
        template: {
          metadata: { labels: { app: 'fx-d' } },
          spec: { containers: [{ name: 'busybox', image: 'busybox', command: ['sleep', '3600'], ports: [{ containerPort: 8080 }], resources: {} }] },
        },
        strategy: {},
      },
      status: {},
    });
  });

  it('create service clusterip --tcp=80:8080', () => {
    expect(kubectl('service')).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'fx-svc', namespace: 'x', labels: { app: 'fx-svc' } },
      spec: { ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }], selector: { app: 'fx-svc' }, type: 'ClusterIP' },
      status: { loadBalancer: {} },
    });
  });

  it('create job -- echo hi', () => {
    expect(kubectl('job')).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'fx-j', namespace: 'x' },
      spec: {
        template: { metadata: {}, spec: { containers: [{ name: 'fx-j', image: 'busybox', command: ['echo', 'hi'], resources: {} }], restartPolicy: 'Never' } },
      },
      status: {},
    });
  });

  it('create cronjob --schedule', () => {
    expect(kubectl('cronjob')).toEqual({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'fx-cj', namespace: 'x' },
      spec: {
        schedule: '*/5 * * * *',
        jobTemplate: {
          metadata: { name: 'fx-cj' },
          spec: { template: { metadata: {}, spec: { containers: [{ name: 'fx-cj', image: 'busybox', command: ['date'], resources: {} }], restartPolicy: 'OnFailure' } } },
        },
      },
      status: {},
    });
  });
});

describe('objects encoded with proto/k8s', () => {
  it('ObjectMeta: RFC 3339 times, maps, owner references, pointers kept at zero, managedFields dropped', () => {
    const body = encodeKubernetesProtobuf('v1', 'ConfigMap', {
      metadata: {
        name: 'm',
        generateName: '',
        namespace: 'ns',
        uid: 'u-1',
        resourceVersion: '42',
        generation: 7,
        creationTimestamp: { seconds: T_2026, nanos: 999_000_000 },
        deletionTimestamp: { seconds: T_2026 + 60, nanos: 0 },
        deletionGracePeriodSeconds: 0,
        labels: { app: 'web', tier: '' },
        annotations: { 'example.com/note': 'hi' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u-2', controller: false }],
        finalizers: ['example.com/f'],
        managedFields: [Buffer.from([0x0a, 0x01, 0x61])],
      },
      data: { a: '1' },
      binaryData: { bin: Buffer.from([0, 1, 2, 255]) },
      immutable: false,
    });
    expect(decodeKubernetesProtobuf(body)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'm',
        namespace: 'ns',
        uid: 'u-1',
        resourceVersion: '42',
        generation: 7,
        creationTimestamp: '2026-01-02T03:04:05Z',
        deletionTimestamp: '2026-01-02T03:05:05Z',
        deletionGracePeriodSeconds: 0,
        labels: { app: 'web', tier: '' },
        annotations: { 'example.com/note': 'hi' },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u-2', controller: false }],
        finalizers: ['example.com/f'],
      },
      data: { a: '1' },
      binaryData: { bin: 'AAEC/w==' },
      immutable: false,
    });
  });

  it('zero values written on the wire (as Go does for non-pointer fields) are left out, like omitempty', () => {
    const body = encodeKubernetesProtobuf('v1', 'Secret', {
      metadata: { name: 's', generateName: '', namespace: '', selfLink: '', uid: '', resourceVersion: '', generation: 0, creationTimestamp: {} },
      data: {},
      stringData: { k: 'v' },
      type: '',
    });
    expect(decodeKubernetesProtobuf(body)).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { k: 'v' } });
  });

  it('ServiceAccount', () => {
    const body = encodeKubernetesProtobuf('v1', 'ServiceAccount', {
      metadata: { name: 'sa' },
      secrets: [{ name: 'tok', kind: '', namespace: '' }],
      imagePullSecrets: [{ name: 'reg' }],
      automountServiceAccountToken: false,
    });
    expect(decodeKubernetesProtobuf(body)).toEqual({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'sa' },
      secrets: [{ name: 'tok' }],
      imagePullSecrets: [{ name: 'reg' }],
      automountServiceAccountToken: false,
    });
  });

  it('Service: int-or-string target ports, required port, pointers', () => {
    const body = encodeKubernetesProtobuf('v1', 'Service', {
      metadata: { name: 'svc' },
      spec: {
        ports: [
          { name: 'http', protocol: 'TCP', port: 80, targetPort: { type: 1, intVal: 0, strVal: 'web' }, nodePort: 0 },
          { name: 'dns', protocol: 'UDP', port: 53, targetPort: { type: 0, intVal: 5353, strVal: '' }, appProtocol: '' },
          { port: 0, targetPort: { type: 0, intVal: 0, strVal: '' } },
        ],
        selector: { app: 'web' },
        clusterIP: '',
        type: 'NodePort',
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } },
        ipFamilyPolicy: 'SingleStack',
        allocateLoadBalancerNodePorts: false,
        publishNotReadyAddresses: false,
      },
      status: { loadBalancer: {} },
    });
    expect(decodeKubernetesProtobuf(body)).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'svc' },
      spec: {
        ports: [
          { name: 'http', protocol: 'TCP', port: 80, targetPort: 'web' },
          { name: 'dns', protocol: 'UDP', port: 53, targetPort: 5353, appProtocol: '' },
          { port: 0, targetPort: 0 },
        ],
        selector: { app: 'web' },
        type: 'NodePort',
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } },
        ipFamilyPolicy: 'SingleStack',
        allocateLoadBalancerNodePorts: false,
      },
      status: { loadBalancer: {} },
    });
  });

  it('Deployment: pod template with containers, env, resources, probes, volumes (inline sources)', () => {
    const body = encodeKubernetesProtobuf('apps/v1', 'Deployment', {
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: { type: 0, intVal: 1 }, maxSurge: { type: 1, strVal: '25%' } } },
        minReadySeconds: 0,
        revisionHistoryLimit: 3,
        paused: false,
        template: {
          metadata: { labels: { app: 'web' }, creationTimestamp: {} },
          spec: {
            containers: [
              {
                name: 'c',
                image: 'nginx:1.25',
                args: ['-g', 'daemon off;'],
                ports: [{ name: 'http', containerPort: 80, protocol: 'TCP', hostPort: 0 }],
                env: [
                  { name: 'A', value: 'b' },
                  { name: 'EMPTY', value: '' },
                  { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
                  { name: 'CM', valueFrom: { configMapKeyRef: { localObjectReference: { name: 'cfg' }, key: 'k', optional: true } } },
                  { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: { string: '1Mi' } } } },
                ],
                envFrom: [{ prefix: 'S_', secretRef: { localObjectReference: { name: 'sec' } } }],
                resources: { limits: { cpu: { string: '500m' }, memory: { string: '128Mi' } }, requests: { cpu: { string: '250m' } } },
                volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true, subPath: '' }],
                livenessProbe: {
                  handler: { httpGet: { path: '/healthz', port: { type: 1, strVal: 'http' }, scheme: 'HTTP', httpHeaders: [{ name: 'X', value: '' }] } },
                  initialDelaySeconds: 5,
                  timeoutSeconds: 0,
                  terminationGracePeriodSeconds: 0,
                },
                readinessProbe: { handler: { tcpSocket: { port: { type: 0, intVal: 80 } } } },
                startupProbe: { handler: { exec: { command: ['true'] } }, failureThreshold: 30 },
                lifecycle: { preStop: { sleep: { seconds: 5 } } },
                securityContext: { runAsUser: 0, runAsNonRoot: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
                imagePullPolicy: 'IfNotPresent',
                stdin: false,
                tty: false,
              },
            ],
            volumes: [
              { name: 'data', volumeSource: { emptyDir: {} } },
              { name: 'mem', volumeSource: { emptyDir: { medium: 'Memory', sizeLimit: { string: '64Mi' } } } },
              { name: 'cfg', volumeSource: { configMap: { localObjectReference: { name: 'cfg' }, items: [{ key: 'a', path: 'a.txt', mode: 256 }], defaultMode: 420 } } },
              { name: 'sec', volumeSource: { secret: { secretName: 'sec', optional: false } } },
              { name: 'host', volumeSource: { hostPath: { path: '/var/log', type: '' } } },
              { name: 'pvc', volumeSource: { persistentVolumeClaim: { claimName: 'claim', readOnly: false } } },
            ],
            restartPolicy: 'Always',
            terminationGracePeriodSeconds: 30,
            dnsPolicy: 'ClusterFirst',
            nodeSelector: { disk: 'ssd' },
            serviceAccountName: 'sa',
            automountServiceAccountToken: false,
            hostNetwork: false,
            securityContext: { fsGroup: 2000, supplementalGroups: [1, 2] },
            imagePullSecrets: [{ name: 'reg' }],
            tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 }],
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] },
              },
            },
            priority: 0,
            enableServiceLinks: true,
          },
        },
      },
      status: { observedGeneration: 0, replicas: 0 },
    });
    expect(decodeKubernetesProtobuf(body)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            volumes: [
              { name: 'data', emptyDir: {} },
              { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
              { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'a', path: 'a.txt', mode: 256 }], defaultMode: 420 } },
              { name: 'sec', secret: { secretName: 'sec', optional: false } },
              { name: 'host', hostPath: { path: '/var/log', type: '' } },
              { name: 'pvc', persistentVolumeClaim: { claimName: 'claim' } },
            ],
            containers: [
              {
                name: 'c',
                image: 'nginx:1.25',
                args: ['-g', 'daemon off;'],
                ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
                env: [
                  { name: 'A', value: 'b' },
                  { name: 'EMPTY' },
                  { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
                  { name: 'CM', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k', optional: true } } },
                  { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
                ],
                resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m' } },
                volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }],
                livenessProbe: {
                  httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP', httpHeaders: [{ name: 'X', value: '' }] },
                  initialDelaySeconds: 5,
                  terminationGracePeriodSeconds: 0,
                },
                readinessProbe: { tcpSocket: { port: 80 } },
                lifecycle: { preStop: { sleep: { seconds: 5 } } },
                imagePullPolicy: 'IfNotPresent',
                securityContext: { capabilities: { drop: ['ALL'] }, runAsUser: 0, runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' } },
                envFrom: [{ prefix: 'S_', secretRef: { name: 'sec' } }],
                startupProbe: { exec: { command: ['true'] }, failureThreshold: 30 },
              },
            ],
            restartPolicy: 'Always',
            terminationGracePeriodSeconds: 30,
            dnsPolicy: 'ClusterFirst',
            nodeSelector: { disk: 'ssd' },
            serviceAccountName: 'sa',
            securityContext: { supplementalGroups: [1, 2], fsGroup: 2000 },
            imagePullSecrets: [{ name: 'reg' }],
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] },
              },
            },
            automountServiceAccountToken: false,
            tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 }],
            priority: 0,
            enableServiceLinks: true,
          },
        },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '25%' } },
        revisionHistoryLimit: 3,
      },
      status: {},
    });
  });

  it('Job and CronJob: pointers such as suspend=false and backoffLimit=0 are kept', () => {
    const template = { metadata: {}, spec: { containers: [{ name: 'j', image: 'busybox', command: ['echo', 'hi'] }], restartPolicy: 'Never' } };
    const job = encodeKubernetesProtobuf('batch/v1', 'Job', {
      metadata: { name: 'j' },
      spec: { parallelism: 1, completions: 1, backoffLimit: 0, suspend: false, ttlSecondsAfterFinished: 60, completionMode: 'NonIndexed', template },
      status: { active: 0, succeeded: 0, failed: 0, completedIndexes: '' },
    });
    expect(decodeKubernetesProtobuf(job)).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j' },
      spec: {
        parallelism: 1,
        completions: 1,
        template: { metadata: {}, spec: { containers: [{ name: 'j', image: 'busybox', command: ['echo', 'hi'] }], restartPolicy: 'Never' } },
        backoffLimit: 0,
        ttlSecondsAfterFinished: 60,
        completionMode: 'NonIndexed',
        suspend: false,
      },
      status: {},
    });
    const cron = encodeKubernetesProtobuf('batch/v1', 'CronJob', {
      metadata: { name: 'cj' },
      spec: {
        schedule: '0 * * * *',
        timeZone: 'Etc/UTC',
        startingDeadlineSeconds: 0,
        concurrencyPolicy: 'Forbid',
        suspend: true,
        successfulJobsHistoryLimit: 0,
        jobTemplate: { metadata: { labels: { from: 'cron' } }, spec: { template } },
      },
      status: {},
    });
    expect(decodeKubernetesProtobuf(cron)).toEqual({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'cj' },
      spec: {
        schedule: '0 * * * *',
        startingDeadlineSeconds: 0,
        concurrencyPolicy: 'Forbid',
        suspend: true,
        jobTemplate: { metadata: { labels: { from: 'cron' } }, spec: { template: { metadata: {}, spec: template.spec } } },
        successfulJobsHistoryLimit: 0,
        timeZone: 'Etc/UTC',
      },
      status: {},
    });
  });

  it('Pod, with a status whose plain fields are zero, and an empty required field written as ""', () => {
    const body = encodeKubernetesProtobuf('v1', 'Pod', {
      metadata: { name: 'p', labels: { run: 'p' } },
      spec: {
        containers: [{ name: 'p', image: 'busybox', env: [{ value: 'no name' }], resources: {} }],
        restartPolicy: 'Always',
        dnsPolicy: 'ClusterFirst',
        hostAliases: [{ ip: '1.2.3.4', hostnames: ['foo'] }],
        dnsConfig: { options: [{ name: 'ndots', value: '2' }] },
      },
      status: { phase: '', hostIP: '', podIP: '', qosClass: '', observedGeneration: 0 },
    });
    expect(decodeKubernetesProtobuf(body)).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: { run: 'p' } },
      spec: {
        containers: [{ name: 'p', image: 'busybox', env: [{ name: '', value: 'no name' }], resources: {} }],
        restartPolicy: 'Always',
        dnsPolicy: 'ClusterFirst',
        hostAliases: [{ ip: '1.2.3.4', hostnames: ['foo'] }],
        dnsConfig: { options: [{ name: 'ndots', value: '2' }] },
      },
      status: {},
    });
  });

  it('knows a message for every kind it lists (objects with metadata first; DeleteOptions has none)', () => {
    for (const [kind, name] of Object.entries(KIND_MESSAGES)) {
      expect(messageType(name).fieldsById[1]?.name).toBe(kind.endsWith('/DeleteOptions') ? 'gracePeriodSeconds' : 'metadata');
    }
  });
});

describe('errors', () => {
  it('400 without the k8s\\0 prefix, for a malformed envelope or object, and without a kind', () => {
    expect(failure(Buffer.from('{"kind":"Namespace"}'))).toMatchObject({ code: 400, reason: 'BadRequest', message: expect.stringContaining('k8s\\x00') });
    expect(failure(Buffer.alloc(2))).toMatchObject({ code: 400 });
    expect(failure(Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from([0x0a, 0x20, 0x01])]))).toMatchObject({
      code: 400,
      message: expect.stringContaining('malformed envelope'),
    });
    expect(failure(wrapRaw('v1', 'Namespace', Buffer.from([0x0a, 0x50, 0x0a])))).toMatchObject({
      code: 400,
      message: expect.stringContaining('error decoding the protobuf body of v1/Namespace'),
    });
    expect(failure(wrapRaw('', 'Namespace', new Uint8Array(0)))).toMatchObject({ code: 400, message: expect.stringContaining('no apiVersion or kind') });
  });

  it('415 for a kind it does not decode', () => {
    expect(failure(wrapRaw('v1', 'ResourceQuota', new Uint8Array(0)))).toEqual({
      code: 415,
      reason: 'UnsupportedMediaType',
      message: 'protobuf encoding is not supported for v1/ResourceQuota; send JSON (application/json)',
    });
    expect(failure(wrapRaw('authentication.k8s.io/v1', 'TokenRequest', new Uint8Array(0))).message).toBe(
      'protobuf encoding is not supported for authentication.k8s.io/v1/TokenRequest; send JSON (application/json)',
    );
  });

  it('415, naming the place, for a field proto/k8s does not describe (rather than dropping it)', () => {
    const pod = messageType('k8s.io.api.core.v1.Pod');
    const spec = messageType('k8s.io.api.core.v1.PodSpec');
    // PodSpec field 34: ephemeralContainers
    const specBytes = withExtraField(spec.encode(spec.fromObject({ containers: [{ name: 'c', image: 'i' }] })).finish(), 34, Buffer.from([0x0a, 0x01, 0x65]));
    const w = pod.encode(pod.fromObject({ metadata: { name: 'p' } })).finish();
    const raw = Buffer.concat([w, Buffer.from([0x12, specBytes.length]), specBytes]);
    expect(failure(wrapRaw('v1', 'Pod', raw))).toEqual({
      code: 415,
      reason: 'UnsupportedMediaType',
      message: 'protobuf encoding is not supported for v1/Pod with field 34 of PodSpec at spec (Skiff does not know that field); send JSON (application/json)',
    });
  });

  it('415 for an envelope with a content encoding', () => {
    expect(failure(wrapRaw('v1', 'Namespace', new Uint8Array(0), { contentEncoding: 'gzip' }))).toMatchObject({ code: 415 });
  });
});
