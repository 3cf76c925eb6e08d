import { describe, expect, test } from 'vitest';
import type { KObject } from '../../types.ts';
import type { KindDefinition } from '../kind-definition.ts';
import { daemonSetKind, deploymentKind, replicaSetKind, statefulSetKind } from './apps.ts';

const f = (cs: { field?: string; reason: string }[]) => cs.map((c) => `${c.field}:${c.reason}`);
const admit = (def: KindDefinition, o: KObject, old?: KObject) => {
  def.default!(o);
  return def.validate!(o, old);
};
const obj = (kind: string, spec: unknown): KObject => ({ apiVersion: 'apps/v1', kind, metadata: { name: 'web', namespace: 'default' }, spec }) as KObject;
const goodSpec = () => ({
  selector: { matchLabels: { app: 'web' } },
  template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] } },
});

describe('Deployment', () => {
  test('valid deployment passes and is defaulted', () => {
    const d = obj('Deployment', goodSpec());
    expect(admit(deploymentKind, d)).toEqual([]);
    expect(d.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      template: { spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', containers: [{ imagePullPolicy: 'IfNotPresent', terminationMessagePolicy: 'File' }] } },
    });
  });
  test('selector must match template labels', () => {
    const s = goodSpec();
    s.template.metadata.labels = { app: 'other' };
    const c = admit(deploymentKind, obj('Deployment', s));
    expect(c).toEqual([{ reason: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: 'Invalid value: {"app":"other"}: `selector` does not match template `labels`' }]);
  });
  test.each([
    ['selector missing', (s: any) => delete s.selector, ['spec.selector:FieldValueRequired']],
    ['empty selector', (s: any) => (s.selector = {}), ['spec.selector:FieldValueInvalid']],
    ['negative replicas', (s: any) => (s.replicas = -1), ['spec.replicas:FieldValueInvalid']],
    ['template image', (s: any) => delete s.template.spec.containers[0].image, ['spec.template.spec.containers[0].image:FieldValueRequired']],
    ['template restartPolicy', (s: any) => (s.template.spec.restartPolicy = 'Never'), ['spec.template.spec.restartPolicy:FieldValueNotSupported']],
    ['strategy type', (s: any) => (s.strategy = { type: 'Blue' }), ['spec.strategy.type:FieldValueNotSupported']],
    ['both zero', (s: any) => (s.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } }), ['spec.strategy.rollingUpdate.maxUnavailable:FieldValueInvalid']],
    ['bad percent', (s: any) => (s.strategy = { rollingUpdate: { maxSurge: 'lots' } }), ['spec.strategy.rollingUpdate.maxSurge:FieldValueInvalid']],
    ['replicas type', (s: any) => (s.replicas = 'three'), ['spec.replicas:FieldValueTypeInvalid']],
  ])('%s', (_n, mutate, expected) => {
    const s = goodSpec();
    mutate(s);
    expect(f(admit(deploymentKind, obj('Deployment', s)))).toEqual(expected);
  });
  test('selector is immutable', () => {
    const old = obj('Deployment', goodSpec());
    deploymentKind.default!(old);
    const upd = structuredClone(old);
    (upd.spec as any).selector = { matchLabels: { app: 'web', v: '2' } };
    (upd.spec as any).template.metadata.labels.v = '2';
    expect(f(admit(deploymentKind, upd, old))).toEqual(['spec.selector:FieldValueInvalid']);
    const ok = structuredClone(old);
    (ok.spec as any).replicas = 5;
    expect(admit(deploymentKind, ok, old)).toEqual([]);
  });
  test.each(['x', null, 5, { selector: 'x', template: [] }, { template: { spec: 'no' } }])('garbage %j does not throw', (spec) => {
    const d = obj('Deployment', spec);
    expect(() => admit(deploymentKind, d)).not.toThrow();
    if (spec !== null) expect(admit(deploymentKind, d).length).toBeGreaterThan(0);
  });
});

describe('ReplicaSet, StatefulSet, DaemonSet', () => {
  test('defaults', () => {
    const rs = obj('ReplicaSet', goodSpec());
    expect(admit(replicaSetKind, rs)).toEqual([]);
    expect((rs.spec as any).replicas).toBe(1);
    const sts = obj('StatefulSet', { ...goodSpec(), serviceName: 'web' });
    expect(admit(statefulSetKind, sts)).toEqual([]);
    expect(sts.spec).toMatchObject({ replicas: 1, podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } }, revisionHistoryLimit: 10, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' } });
    const ds = obj('DaemonSet', goodSpec());
    expect(admit(daemonSetKind, ds)).toEqual([]);
    expect(ds.spec).toMatchObject({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 });
    expect((ds.spec as any).replicas).toBeUndefined();
    expect(daemonSetKind.subresources).toEqual(['status']);
    expect(statefulSetKind.subresources).toEqual(['status', 'scale']);
  });
  test('StatefulSet spec updates outside the allowed fields are forbidden', () => {
    const old = obj('StatefulSet', { ...goodSpec(), serviceName: 'web' });
    statefulSetKind.default!(old);
    const upd = structuredClone(old);
    (upd.spec as any).serviceName = 'other';
    expect(f(admit(statefulSetKind, upd, old))).toEqual(['spec:FieldValueForbidden']);
    const ok = structuredClone(old);
    (ok.spec as any).replicas = 3;
    (ok.spec as any).template.spec.containers[0].image = 'nginx:2';
    expect(admit(statefulSetKind, ok, old)).toEqual([]);
  });
  test("a StatefulSet's containers may mount its volumeClaimTemplates; a name that is neither a volume nor a template is not found", () => {
    const withMounts = (mounts: string[], spec: Record<string, unknown> = {}) => {
      const s = { ...goodSpec(), serviceName: 'web', ...spec } as any;
      s.template.spec.containers[0].volumeMounts = mounts.map((name, i) => ({ name, mountPath: `/m${i}` }));
      return obj('StatefulSet', s);
    };
    const claims = { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] };
    expect(admit(statefulSetKind, withMounts(['data'], claims))).toEqual([]);
    expect(f(admit(statefulSetKind, withMounts(['data', 'other'], claims)))).toEqual(['spec.template.spec.containers[0].volumeMounts[1].name:FieldValueNotFound']);
    expect(f(admit(statefulSetKind, withMounts(['data'])))).toEqual(['spec.template.spec.containers[0].volumeMounts[0].name:FieldValueNotFound']);
    // a Deployment has no claim templates: its mounts name its volumes only
    const d = goodSpec() as any;
    d.template.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/d' }];
    expect(f(admit(deploymentKind, obj('Deployment', d)))).toEqual(['spec.template.spec.containers[0].volumeMounts[0].name:FieldValueNotFound']);
  });
});
