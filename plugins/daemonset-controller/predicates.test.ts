import { describe, expect, it } from 'vitest';
import type { DaemonSet, Node, NodeSelectorTerm, PodSpec, Taint } from '@skiff/api';
import { daemonPodTolerations, nodeShouldRunDaemonPod, withDaemonTolerations } from './predicates.ts';

const node = (name: string, labels: Record<string, string> = {}, taints?: Taint[]): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, spec: { taints } });
const ds = (spec: Partial<PodSpec> = {}): DaemonSet => ({
  apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'd', namespace: 'default' },
  spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }], ...spec } } },
});
const verdict = (n: Node, d: DaemonSet) => {
  const v = nodeShouldRunDaemonPod(n, d);
  return [v.shouldRun, v.shouldContinueRunning];
};

describe('daemon pod tolerations', () => {
  it('are kube’s six (seven with hostNetwork), all Exists', () => {
    expect(daemonPodTolerations(false).map((t) => `${t.key}:${t.effect}`)).toEqual([
      'node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule', 'node.kubernetes.io/pid-pressure:NoSchedule', 'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    expect(daemonPodTolerations(true).at(-1)).toEqual({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
    expect(daemonPodTolerations(false).every((t) => t.operator === 'Exists')).toBe(true);
  });

  it('keep the pod’s own, replace a same one in place (its tolerationSeconds goes), add the rest', () => {
    const spec: PodSpec = {
      containers: [],
      tolerations: [
        { key: 'mine', operator: 'Exists' },
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
    };
    const out = withDaemonTolerations(spec);
    expect(out[0]).toEqual({ key: 'mine', operator: 'Exists' });
    expect(out[1]).toEqual({ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' });
    expect(out).toHaveLength(7);
    expect(spec.tolerations).toHaveLength(2); // not changed
    expect(withDaemonTolerations(spec)).toEqual(out);
  });
});

describe('nodeShouldRunDaemonPod', () => {
  it('runs everywhere without constraints', () => {
    expect(verdict(node('n'), ds())).toEqual([true, true]);
  });

  it('honours nodeName and nodeSelector', () => {
    expect(verdict(node('n'), ds({ nodeName: 'other' }))).toEqual([false, false]);
    expect(verdict(node('n'), ds({ nodeName: 'n' }))).toEqual([true, true]);
    expect(verdict(node('n', { disk: 'ssd' }), ds({ nodeSelector: { disk: 'ssd' } }))).toEqual([true, true]);
    expect(verdict(node('n', { disk: 'hdd' }), ds({ nodeSelector: { disk: 'ssd' } }))).toEqual([false, false]);
  });

  it('honours required node affinity: terms ORed, requirements ANDed, matchFields on the name', () => {
    const aff = (terms: object[]) => ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms as never } } } });
    const d = aff([{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }, { key: 'gpu', operator: 'DoesNotExist' }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['special'] }] }]);
    expect(verdict(node('n', { zone: 'a' }), d)).toEqual([true, true]);
    expect(verdict(node('n', { zone: 'a', gpu: '1' }), d)).toEqual([false, false]);
    expect(verdict(node('special'), d)).toEqual([true, true]);
    expect(verdict(node('n'), aff([]))).toEqual([false, false]); // no terms: nothing
    expect(verdict(node('n', { cores: '16' }), aff([{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['8'] }] }]))).toEqual([true, true]);
    expect(verdict(node('n', { cores: '4' }), aff([{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['8'] }] }]))).toEqual([false, false]);
    expect(verdict(node('n', {}), aff([{ matchExpressions: [{ key: 'x', operator: 'NotIn', values: ['y'] }] }]))).toEqual([true, true]);
  });

  it('NoSchedule: no new pod, an existing one stays; NoExecute: neither; PreferNoSchedule: no matter', () => {
    expect(verdict(node('n', {}, [{ key: 'k', effect: 'NoSchedule' }]), ds())).toEqual([false, true]);
    expect(verdict(node('n', {}, [{ key: 'k', effect: 'NoExecute' }]), ds())).toEqual([false, false]);
    expect(verdict(node('n', {}, [{ key: 'k', effect: 'PreferNoSchedule' }]), ds())).toEqual([true, true]);
    expect(verdict(node('n', {}, [{ key: 'k', value: 'v', effect: 'NoExecute' }]), ds({ tolerations: [{ key: 'k', operator: 'Equal', value: 'v' }] }))).toEqual([true, true]);
    expect(verdict(node('n', {}, [{ key: 'k', value: 'w', effect: 'NoExecute' }]), ds({ tolerations: [{ key: 'k', operator: 'Equal', value: 'v' }] }))).toEqual([false, false]);
  });

  it('tolerates the node condition taints kube adds, and network-unavailable only with hostNetwork', () => {
    for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
      expect(verdict(node('n', {}, [{ key, effect: 'NoExecute' }]), ds())).toEqual([true, true]);
    }
    for (const key of ['node.kubernetes.io/disk-pressure', 'node.kubernetes.io/memory-pressure', 'node.kubernetes.io/pid-pressure', 'node.kubernetes.io/unschedulable']) {
      expect(verdict(node('n', {}, [{ key, effect: 'NoSchedule' }]), ds())).toEqual([true, true]);
    }
    const net: Taint = { key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' };
    expect(verdict(node('n', {}, [net]), ds())).toEqual([false, true]);
    expect(verdict(node('n', {}, [net]), ds({ hostNetwork: true }))).toEqual([true, true]);
  });

  it('an empty term matches nothing; matchFields knows only metadata.name with In / NotIn', () => {
    const only = (term: NodeSelectorTerm) => ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] } } } });
    expect(verdict(node('n'), only({}))).toEqual([false, false]);
    expect(verdict(node('n'), only({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n'] }] }))).toEqual([true, true]);
    expect(verdict(node('n'), only({ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n'] }] }))).toEqual([false, false]);
    expect(verdict(node('n'), only({ matchFields: [{ key: 'metadata.uid', operator: 'In', values: ['n'] }] }))).toEqual([false, false]);
    expect(verdict(node('n'), only({ matchFields: [{ key: 'metadata.name', operator: 'Exists' }] }))).toEqual([false, false]);
  });
});
