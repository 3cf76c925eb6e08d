import { describe, expect, it } from 'vitest';
import type { DaemonSet, Pod } from '@skiff/api';
import {
  createPodTemplate, isPodUpdated, nodeNameAffinity, podForNode, targetNodeName, templateGeneration,
  REVISION_HASH_LABEL, TEMPLATE_GENERATION_ANNOTATION, TEMPLATE_GENERATION_LABEL,
} from './pod-template.ts';

const ds = (annotations?: Record<string, string>): DaemonSet => ({
  apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'ns', uid: 'u1', annotations },
  spec: {
    selector: { matchLabels: { app: 'agent' } },
    template: {
      metadata: { labels: { app: 'agent' }, annotations: { note: 'x' } },
      spec: {
        containers: [{ name: 'c', image: 'i' }],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }] },
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'z', operator: 'Exists' }] } }],
          },
        },
      },
    },
  },
});
const pod = (labels: Record<string, string>, spec: Pod['spec'] = { containers: [] }): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels }, spec });

describe('pod template', () => {
  it('reads the template generation annotation', () => {
    expect(templateGeneration(ds())).toBeUndefined();
    expect(templateGeneration(ds({ [TEMPLATE_GENERATION_ANNOTATION]: '7' }))).toBe(7);
    expect(() => templateGeneration(ds({ [TEMPLATE_GENERATION_ANNOTATION]: 'x' }))).toThrow(/invalid syntax/);
  });

  it('labels the template with the generation and hash and adds the daemon tolerations', () => {
    const d = ds();
    const t = createPodTemplate(d.spec!.template, 3, 'abc');
    expect(t.metadata?.labels).toEqual({ app: 'agent', [TEMPLATE_GENERATION_LABEL]: '3', [REVISION_HASH_LABEL]: 'abc' });
    expect(t.spec?.tolerations).toHaveLength(6);
    expect(d.spec!.template.metadata?.labels).toEqual({ app: 'agent' }); // a copy
    expect(createPodTemplate(d.spec!.template, undefined, 'abc').metadata?.labels).not.toHaveProperty(TEMPLATE_GENERATION_LABEL);
  });

  it('pins a pod to its node: the required terms are replaced, the preferred ones kept', () => {
    const d = ds();
    const p = podForNode(d.spec!.template, d, { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'u1', controller: true }, 'node-7');
    expect(p.metadata).toMatchObject({ generateName: 'agent-', namespace: 'ns', labels: { app: 'agent' }, annotations: { note: 'x' } });
    expect(p.metadata.ownerReferences).toHaveLength(1);
    expect(p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution).toEqual({
      nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-7'] }] }],
    });
    expect(p.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(p.spec?.nodeName).toBeUndefined();
    expect(d.spec!.template.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms[0].matchExpressions).toHaveLength(1);
    expect(nodeNameAffinity(undefined, 'n')).toEqual({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n'] }] }] } } });
  });

  it('finds the target node: nodeName, else the one value of matchFields metadata.name In', () => {
    expect(targetNodeName(pod({}, { containers: [], nodeName: 'bound' }))).toBe('bound');
    expect(targetNodeName(pod({}, { containers: [], affinity: nodeNameAffinity(undefined, 'n1') }))).toBe('n1');
    const two = nodeNameAffinity(undefined, 'n1');
    two.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms[0].matchFields![0].values = ['a', 'b'];
    expect(targetNodeName(pod({}, { containers: [], affinity: two }))).toBeUndefined();
    expect(targetNodeName(pod({}))).toBeUndefined();
  });

  it('a pod is updated when its hash or its template generation is current', () => {
    expect(isPodUpdated(pod({ [REVISION_HASH_LABEL]: 'h1' }), 'h1', undefined)).toBe(true);
    expect(isPodUpdated(pod({ [REVISION_HASH_LABEL]: 'h0', [TEMPLATE_GENERATION_LABEL]: '2' }), 'h1', 2)).toBe(true);
    expect(isPodUpdated(pod({ [REVISION_HASH_LABEL]: 'h0', [TEMPLATE_GENERATION_LABEL]: '1' }), 'h1', 2)).toBe(false);
    expect(isPodUpdated(pod({}), '', undefined)).toBe(false);
  });
});
