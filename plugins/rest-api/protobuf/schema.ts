// The Kubernetes protobuf messages Skiff understands: proto/k8s/*.proto (Skiff's own subset of
// Kubernetes' generated.proto files), parsed once with protobufjs, and the kinds they describe.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** The field option that says how Go's encoding/json renders a field (see proto/k8s/skiff/options.proto). */
export const GO_JSON_OPTION = '(skiff.go_json)';
export type GoJson = 'pointer' | 'required' | 'inline' | 'drop';

export const ENVELOPE_TYPE = 'k8s.io.apimachinery.pkg.runtime.Unknown';
export const TIME_TYPE = 'k8s.io.apimachinery.pkg.apis.meta.v1.Time';
export const QUANTITY_TYPE = 'k8s.io.apimachinery.pkg.api.resource.Quantity';
export const INT_OR_STRING_TYPE = 'k8s.io.apimachinery.pkg.util.intstr.IntOrString';

/** apiVersion/kind → the message of the object (the `raw` of the envelope). */
export const KIND_MESSAGES: Readonly<Record<string, string>> = {
  'v1/Namespace': 'k8s.io.api.core.v1.Namespace',
  'v1/ConfigMap': 'k8s.io.api.core.v1.ConfigMap',
  'v1/Secret': 'k8s.io.api.core.v1.Secret',
  'v1/ServiceAccount': 'k8s.io.api.core.v1.ServiceAccount',
  'v1/Service': 'k8s.io.api.core.v1.Service',
  'v1/Pod': 'k8s.io.api.core.v1.Pod',
  'apps/v1/Deployment': 'k8s.io.api.apps.v1.Deployment',
  'batch/v1/Job': 'k8s.io.api.batch.v1.Job',
  'batch/v1/CronJob': 'k8s.io.api.batch.v1.CronJob',
  'autoscaling/v1/HorizontalPodAutoscaler': 'k8s.io.api.autoscaling.v1.HorizontalPodAutoscaler',
  'policy/v1/Eviction': 'k8s.io.api.policy.v1.Eviction',
  'policy/v1/PodDisruptionBudget': 'k8s.io.api.policy.v1.PodDisruptionBudget',
  'scheduling.k8s.io/v1/PriorityClass': 'k8s.io.api.scheduling.v1.PriorityClass',
  'networking.k8s.io/v1/Ingress': 'k8s.io.api.networking.v1.Ingress',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'k8s.io.api.authorization.v1.SelfSubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'k8s.io.api.authorization.v1.SelfSubjectRulesReview',
  // the body of a DELETE (kubectl drain --disable-eviction, client-go's typed Delete)
  'v1/DeleteOptions': 'k8s.io.api.policy.v1.DeleteOptions',
  'meta.k8s.io/v1/DeleteOptions': 'k8s.io.api.policy.v1.DeleteOptions',
};

/** proto/k8s, from the source tree (plugins/rest-api/protobuf) or from the bundle (dist/). */
export function protoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'proto', 'k8s');
    if (existsSync(join(candidate, 'runtime.proto'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find the Kubernetes protobuf definitions (proto/k8s) above ${fileURLToPath(import.meta.url)}`);
}

let cached: protobuf.Root | undefined;

/**
 * All messages of proto/k8s/*.proto in one resolved Root. Field names are kept as written (they are
 * the JSON names). skiff/options.proto only declares the custom option for protoc; protobufjs takes
 * the option without it.
 */
export function kubernetesProtoRoot(): protobuf.Root {
  if (cached) return cached;
  const dir = protoDir();
  const root = new protobuf.Root();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.proto')).sort()) {
    protobuf.parse(readFileSync(join(dir, file), 'utf8'), root, { keepCase: true });
  }
  root.resolveAll();
  cached = root;
  return root;
}

export function messageType(fullName: string): protobuf.Type {
  return kubernetesProtoRoot().lookupType(fullName);
}

export function goJson(field: protobuf.Field): GoJson | undefined {
  return field.options?.[GO_JSON_OPTION] as GoJson | undefined;
}
