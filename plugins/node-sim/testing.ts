// Test helpers for the hollow-node tests.
import { eventually } from '@skiff/kernel/testing';
import type { Kernel, KObject } from '@skiff/kernel';
import { PODS } from './objects.ts';

export { sleep } from '@skiff/kernel/testing';

/** Poll `fn` until it returns a truthy value (or throw after `ms`). */
export const until = eventually;

export function pod(name: string, opts: { nodeName?: string; namespace?: string; containers?: number; init?: boolean } = {}): KObject {
  const containers = Array.from({ length: opts.containers ?? 1 }, (_, i) => ({
    name: `c${i}`,
    image: `registry.example/app${i}:1.0`,
    resources: { requests: { cpu: '100m', memory: '64Mi' } },
  }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: opts.namespace ?? 'default' },
    spec: {
      containers,
      ...(opts.init ? { initContainers: [{ name: 'init', image: 'busybox:1.36' }] } : {}),
      ...(opts.nodeName ? { nodeName: opts.nodeName } : {}),
    },
  };
}

export async function phaseOf(k: Kernel, ns: string, name: string): Promise<string | undefined> {
  const p = await k.get(PODS, ns, name);
  return (p.status as { phase?: string } | undefined)?.phase;
}
