// Plain objects for the planning tests: nodes, a DaemonSet, and its pods in given states.
import type { DaemonSet, DaemonSetUpdateStrategy, Node, Pod, Taint } from '@skiff/api';
import { nodeNameAffinity, REVISION_HASH_LABEL } from './pod-template.ts';

export const node = (name: string, taints?: Taint[], labels: Record<string, string> = {}): Node => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, spec: taints ? { taints } : {},
});

export const ds = (updateStrategy?: DaemonSetUpdateStrategy, minReadySeconds?: number): DaemonSet => ({
  apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'd', namespace: 'ns', uid: 'ds-uid', generation: 1 },
  spec: {
    selector: { matchLabels: { app: 'd' } },
    template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
    updateStrategy, minReadySeconds,
  },
});

let seq = 0;
export interface PodState {
  hash?: string;
  ready?: boolean;
  /** seconds ago the pod became ready (default: long ago) */
  readyFor?: number;
  bound?: boolean;
  phase?: 'Pending' | 'Running' | 'Failed' | 'Succeeded';
  deleting?: boolean;
  created?: number;
}

export function pod(nodeName: string, s: PodState = {}): Pod {
  const i = ++seq;
  const now = Date.now();
  const ready = s.ready ?? true;
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: `d-${i}`, namespace: 'ns', uid: `pod-${i}`,
      labels: { app: 'd', [REVISION_HASH_LABEL]: s.hash ?? 'new' },
      creationTimestamp: new Date(s.created ?? now - 1_000_000 + i * 1000).toISOString(),
      ...(s.deleting ? { deletionTimestamp: new Date(now).toISOString() } : {}),
    },
    spec: { containers: [], affinity: nodeNameAffinity(undefined, nodeName), ...(s.bound === false ? {} : { nodeName }) },
    status: {
      phase: s.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date(now - (s.readyFor ?? 3600) * 1000).toISOString() }],
    },
  };
}

export const byNodeOf = (pods: Pod[]) => {
  const m = new Map<string, Pod[]>();
  for (const p of pods) {
    const n = p.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms[0].matchFields![0].values![0];
    m.set(n, [...(m.get(n) ?? []), p]);
  }
  return m;
};
