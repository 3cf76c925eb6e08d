// Valid objects of the common kinds and what each field is (Kubernetes' Go types), so a mutation
// of a field knows whether kube would reject it.
import type { NameRule } from './names.ts';

export interface KindSpec {
  kind: string;
  /** collection path, with NS for the namespace */
  collection: string;
  rule: NameRule;
  namespaced: boolean;
  template(name: string, ns: string): Record<string, unknown>;
}

export const KINDS: readonly KindSpec[] = [
  {
    kind: 'ConfigMap',
    collection: '/api/v1/namespaces/NS/configmaps',
    rule: 'subdomain',
    namespaced: true,
    template: (name, ns) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: ns, labels: { app: 'fz', tier: 'a' }, annotations: { note: 'fuzz' } },
      data: { key: 'value', other: 'x' },
      binaryData: { bin: 'aGVsbG8=' },
      immutable: false,
    }),
  },
  {
    kind: 'Secret',
    collection: '/api/v1/namespaces/NS/secrets',
    rule: 'subdomain',
    namespaced: true,
    template: (name, ns) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: ns, labels: { app: 'fz' } },
      type: 'Opaque',
      data: { password: 'c2VjcmV0' },
    }),
  },
  {
    kind: 'Pod',
    collection: '/api/v1/namespaces/NS/pods',
    rule: 'subdomain',
    namespaced: true,
    template: (name, ns) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels: { app: 'fz-pod' } },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'busybox:1.36',
            command: ['sh', '-c'],
            args: ['sleep 3600'],
            ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
            env: [{ name: 'E', value: '1' }],
            resources: { limits: { cpu: '100m', memory: '64Mi' } },
            imagePullPolicy: 'IfNotPresent',
          },
        ],
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 30,
        activeDeadlineSeconds: 3600,
        nodeSelector: { disk: 'ssd' },
        dnsPolicy: 'ClusterFirst',
        hostNetwork: false,
        securityContext: { runAsUser: 1000, runAsNonRoot: true },
        tolerations: [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoExecute', tolerationSeconds: 60 }],
      },
    }),
  },
  {
    kind: 'Deployment',
    collection: '/apis/apps/v1/namespaces/NS/deployments',
    rule: 'subdomain',
    namespaced: true,
    template: (name, ns) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: ns, labels: { app: 'fz-dep' } },
      spec: {
        replicas: 0, // nothing to schedule: the controllers stay quiet
        selector: { matchLabels: { app: 'fz-dep' } },
        template: {
          metadata: { labels: { app: 'fz-dep' } },
          spec: { containers: [{ name: 'c', image: 'busybox:1.36', ports: [{ containerPort: 80 }] }] },
        },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        minReadySeconds: 0,
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
        paused: false,
      },
    }),
  },
  {
    kind: 'Service',
    collection: '/api/v1/namespaces/NS/services',
    rule: 'label1035',
    namespaced: true,
    template: (name, ns) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: ns, labels: { app: 'fz-svc' } },
      spec: {
        type: 'ClusterIP',
        selector: { app: 'fz-svc' },
        ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
        sessionAffinity: 'None',
      },
    }),
  },
  {
    kind: 'Namespace',
    collection: '/api/v1/namespaces',
    rule: 'label',
    namespaced: false,
    template: (name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { app: 'fz-ns' } } }),
  },
];

export const kindNamed = (k: string) => KINDS.find((x) => x.kind === k)!;
export const collectionOf = (k: KindSpec, ns: string) => k.collection.replace('NS', encodeURIComponent(ns));

// Field paths with `[]` for any array index and `*` for any map key.
/** int64 in kube (int32 otherwise): 2^31 fits */
export const INT64 = new Set([
  'spec.terminationGracePeriodSeconds',
  'spec.activeDeadlineSeconds',
  'spec.securityContext.runAsUser',
  'spec.tolerations[].tolerationSeconds',
]);
/** int32 fields kube rejects when negative */
export const NON_NEGATIVE = new Set([
  'spec.replicas',
  'spec.minReadySeconds',
  'spec.revisionHistoryLimit',
  'spec.progressDeadlineSeconds',
  'spec.containers[].ports[].containerPort',
  'spec.template.spec.containers[].ports[].containerPort',
  'spec.ports[].port',
  'spec.ports[].targetPort',
  'spec.terminationGracePeriodSeconds',
  'spec.activeDeadlineSeconds',
]);
/** IntOrString: a number or a string are both decodable */
export const INT_OR_STRING = new Set(['spec.ports[].targetPort', 'spec.strategy.rollingUpdate.maxSurge', 'spec.strategy.rollingUpdate.maxUnavailable']);
/** resource.Quantity: a string or a number */
export const QUANTITY = new Set(['spec.containers[].resources.limits.*']);
/** string enums kube validates */
export const ENUMS = new Set([
  'spec.restartPolicy',
  'spec.dnsPolicy',
  'spec.containers[].imagePullPolicy',
  'spec.containers[].ports[].protocol',
  'spec.ports[].protocol',
  'spec.tolerations[].operator',
  'spec.tolerations[].effect',
  'spec.type',
  'spec.sessionAffinity',
  'spec.strategy.type',
  'apiVersion',
  'kind',
]);
/** strings that must be a name of some sort (random text is invalid) */
export const NAMED = new Set([
  'metadata.name',
  'metadata.namespace',
  'spec.containers[].name',
  'spec.containers[].ports[].name',
  'spec.containers[].env[].name',
  'spec.ports[].name',
  'spec.template.spec.containers[].name',
  'metadata.labels.*',
  'spec.selector.*',
  'spec.selector.matchLabels.*',
  'spec.template.metadata.labels.*',
  'spec.nodeSelector.*',
  'spec.containers[].image',
  'spec.template.spec.containers[].image',
  'data.*', // base64 in a Secret, free text in a ConfigMap: decided per kind below
  'binaryData.*',
  'type',
]);

/** `spec.containers.0.name` -> `spec.containers[].name`; map keys under maps become `*`. */
export function fieldPattern(kind: string, path: (string | number)[]): string {
  let s = '';
  for (let i = 0; i < path.length; i++) {
    const p = path[i]!;
    if (typeof p === 'number') s += '[]';
    else {
      const parent = s;
      const isMapKey = /(^|\.)(labels|annotations|data|binaryData|nodeSelector|matchLabels|limits|requests)$/.test(parent) || (kind === 'Service' && parent === 'spec.selector');
      s += (s ? '.' : '') + (isMapKey ? '*' : p);
    }
  }
  return s;
}
