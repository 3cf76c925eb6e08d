// A container's environment as the kubelet builds it (kubelet_pods.go makeEnvironmentVariables):
// 1. `envFrom`, in order: every key of the ConfigMap / Secret, with the prefix; keys that are not
//    valid variable names are skipped (and reported: InvalidEnvironmentVariableNames); a missing
//    optional source is skipped;
// 2. `env`, in order, replacing what came before: `value` with $(VAR) expanded against the variables
//    defined so far (envFrom and earlier env entries; a later one or an unknown one stays literal),
//    or `valueFrom` (fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef), not expanded.
// A missing required ConfigMap/Secret or key is a ContainerConfigError with kube's message.
// Order of the result: Kubernetes hands the runtime a Go map's (random) order; here a variable keeps
// the position where it was first defined (envFrom keys in the object's key order), with its last value.
// Left out: the service-link variables (FOO_SERVICE_HOST, ...), and sorting pod IPs by the node's
// IP-family preference (podIPs are taken in the order given).
import { isEnvVarName } from '@skiff/api';
import type { KeyValue } from '@skiff/node-api';
import { ContainerConfigError } from './errors.ts';
import { expand, mappingFor } from './expansion.ts';
import { podFieldValue, resourceFieldValue, type PodFieldContext } from './fieldpath.ts';
import { memoizedReader, notFoundMessage, objectStrings, type ObjectReader, type ReferencedKind } from './object-reader.ts';
import type { Container, EventRecorder, Pod, ResourceList } from './types.ts';

export interface EnvOptions extends PodFieldContext {
  /** reads the ConfigMaps and Secrets (in the pod's namespace) */
  reader: ObjectReader;
  /** the node's allocatable: resourceFieldRef's default for a missing limit */
  nodeAllocatable?: ResourceList;
  /** receives InvalidEnvironmentVariableNames warnings */
  recorder?: EventRecorder;
}

function asConfigError(e: unknown): ContainerConfigError {
  return e instanceof ContainerConfigError ? e : new ContainerConfigError(e instanceof Error ? e.message : String(e), { cause: e });
}

export async function makeEnvironmentVariables(pod: Pod, container: Container, opts: EnvOptions): Promise<KeyValue[]> {
  const namespace = pod.metadata.namespace ?? 'default';
  const reader = memoizedReader(opts.reader);
  const read = async (kind: ReferencedKind, name: string): Promise<Map<string, string> | undefined> => {
    let obj: object | undefined;
    try {
      obj = await reader.get(kind, namespace, name);
    } catch (e) {
      throw asConfigError(e);
    }
    return obj === undefined ? undefined : objectStrings(kind, obj);
  };

  const env = new Map<string, string>();
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const kind: ReferencedKind = from.configMapRef ? 'ConfigMap' : 'Secret';
    const name = ref.name ?? '';
    const data = await read(kind, name);
    if (!data) {
      if (ref.optional) continue;
      throw new ContainerConfigError(notFoundMessage(kind, name));
    }
    const invalid: string[] = [];
    for (const [key, value] of data) {
      const k = (from.prefix ?? '') + key;
      if (isEnvVarName(k).length) invalid.push(k);
      else env.set(k, value);
    }
    if (invalid.length) {
      opts.recorder?.({
        type: 'Warning',
        reason: 'InvalidEnvironmentVariableNames',
        message: `Keys [${invalid.sort().join(', ')}] from the EnvFrom ${kind === 'ConfigMap' ? 'configMap' : 'secret'} ${namespace}/${name} were skipped since they are considered invalid environment variable names.`,
      });
    }
  }

  const mapping = mappingFor(env);
  for (const v of container.env ?? []) {
    let value = v.value ?? '';
    if (value !== '') {
      value = expand(value, mapping);
    } else if (v.valueFrom) {
      const src = v.valueFrom;
      try {
        if (src.fieldRef) value = podFieldValue(src.fieldRef, pod, opts);
        else if (src.resourceFieldRef) value = resourceFieldValue(src.resourceFieldRef, pod, container, opts.nodeAllocatable);
      } catch (e) {
        throw asConfigError(e);
      }
      const keyRef = src.configMapKeyRef ?? src.secretKeyRef;
      if (!src.fieldRef && !src.resourceFieldRef && keyRef) {
        const kind: ReferencedKind = src.configMapKeyRef ? 'ConfigMap' : 'Secret';
        const name = keyRef.name ?? '';
        const data = await read(kind, name);
        if (!data) {
          if (keyRef.optional) continue;
          throw new ContainerConfigError(notFoundMessage(kind, name));
        }
        const found = data.get(keyRef.key);
        if (found === undefined) {
          if (keyRef.optional) continue;
          throw new ContainerConfigError(`couldn't find key ${keyRef.key} in ${kind} ${namespace}/${name}`);
        }
        value = found;
      }
    }
    env.set(v.name, value);
  }
  return [...env].map(([key, value]) => ({ key, value }));
}

/** The container's command and args with $(VAR) expanded against its final environment. */
export function expandCommandAndArgs(container: Container, env: readonly KeyValue[]): { command: string[]; args: string[] } {
  const mapping = mappingFor(new Map(env.map((e) => [e.key, e.value])));
  return {
    command: (container.command ?? []).map((s) => expand(s, mapping)),
    args: (container.args ?? []).map((s) => expand(s, mapping)),
  };
}
