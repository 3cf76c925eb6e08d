// Test helpers: a minimal Pod and ConfigMap / Secret objects.
import type { Container, Pod, PodSpec } from './types.ts';

export function mkPod(spec: Partial<PodSpec> & { containers?: Container[] } = {}, meta: Partial<Pod['metadata']> = {}, status?: Pod['status']): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'ns1', uid: 'uid-1234', ...meta },
    spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec } as PodSpec,
    ...(status ? { status } : {}),
  };
}

export function configMap(name: string, data: Record<string, string>, namespace = 'ns1', binaryData?: Record<string, string>): object {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data, ...(binaryData ? { binaryData } : {}) };
}

/** `data` given in clear text; stored base64 as the API does. */
export function secret(name: string, data: Record<string, string>, namespace = 'ns1'): object {
  const enc = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', data: enc };
}
