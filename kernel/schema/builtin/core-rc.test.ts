import { describe, expect, test } from 'vitest';
import type { KObject } from '../../types.ts';
import { replicationControllerKind as rc } from './core-rc.ts';

const f = (cs: { field?: string; reason: string }[]) => cs.map((c) => `${c.field}:${c.reason}`);
const admit = (o: KObject, old?: KObject) => {
  rc.default!(o);
  return rc.validate!(o, old);
};
const obj = (spec: unknown, labels?: Record<string, string>): KObject =>
  ({ apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'web', namespace: 'default', ...(labels ? { labels } : {}) }, spec }) as KObject;
const template = (labels: Record<string, string> = { app: 'web' }) => ({ metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } });

describe('ReplicationController', () => {
  test('selector, object labels and replicas default from the template', () => {
    const o = obj({ template: template({ app: 'web', tier: 'fe' }) });
    expect(admit(o)).toEqual([]);
    expect(o.spec).toMatchObject({ replicas: 1, selector: { app: 'web', tier: 'fe' }, template: { spec: { restartPolicy: 'Always' } } });
    expect(o.metadata.labels).toEqual({ app: 'web', tier: 'fe' });
    // copies, not the template's own map
    (o.spec as any).selector.extra = 'x';
    expect((o.spec as any).template.metadata.labels.extra).toBeUndefined();
  });
  test('a given selector and labels are kept', () => {
    const o = obj({ selector: { app: 'web' }, template: template({ app: 'web', v: '1' }) }, { own: 'yes' });
    expect(admit(o)).toEqual([]);
    expect((o.spec as any).selector).toEqual({ app: 'web' });
    expect(o.metadata.labels).toEqual({ own: 'yes' });
  });
  test.each([
    ['selector not matching the template', (s: any) => (s.selector = { app: 'other' }), ['spec.template.metadata.labels:FieldValueInvalid']],
    ['no template', (s: any) => delete s.template, ['spec.selector:FieldValueRequired', 'spec.template:FieldValueRequired']],
    ['negative replicas', (s: any) => (s.replicas = -1), ['spec.replicas:FieldValueInvalid']],
    ['restartPolicy Never', (s: any) => (s.template.spec.restartPolicy = 'Never'), ['spec.template.spec.restartPolicy:FieldValueNotSupported']],
    ['activeDeadlineSeconds', (s: any) => (s.template.spec.activeDeadlineSeconds = 5), ['spec.template.spec.activeDeadlineSeconds:FieldValueForbidden']],
  ])('%s', (_n, mutate, expected) => {
    const s: any = { template: template() };
    mutate(s);
    expect(f(admit(obj(s)))).toEqual(expected);
  });
  test('status counters: non-negative and never above status.replicas', () => {
    const o = obj({ template: template() });
    o.status = { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 1 };
    expect(admit(o)).toEqual([]);
    o.status = { replicas: 1, readyReplicas: 2, availableReplicas: 3, fullyLabeledReplicas: -1 };
    expect(f(admit(o))).toEqual(['status.fullyLabeledReplicas:FieldValueInvalid']);
    o.status = { replicas: 1, readyReplicas: 1, availableReplicas: 2 };
    expect(admit(o).map((c) => c.message)).toEqual(['Invalid value: 2: cannot be greater than status.replicas', 'Invalid value: 2: cannot be greater than readyReplicas']);
  });
  test('serves status and scale, short name rc, category all', () => {
    expect(rc).toMatchObject({ group: '', version: 'v1', namespaced: true, shortNames: ['rc'], categories: ['all'], subresources: ['status', 'scale'] });
  });
});
