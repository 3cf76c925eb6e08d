import { describe, expect, test } from 'vitest';
import type { KObject } from '../../types.ts';
import type { KindDefinition } from '../kind-definition.ts';
import { validateObject } from '../validate-object.ts';
import { leaseKind } from './coordination.ts';
import { configMapKind, secretKind } from './core-config.ts';
import { eventKind, namespaceKind, nodeKind } from './core-misc.ts';
import { endpointsKind, serviceKind } from './core-service.ts';
import { persistentVolumeClaimKind, persistentVolumeKind } from './core-storage.ts';
import { distributionKind, pluginKind } from './plugins.ts';

const f = (cs: { field?: string; reason: string }[]) => cs.map((c) => `${c.field}:${c.reason}`);
const mk = (kind: string, body: Record<string, unknown>, meta: Record<string, unknown> = { name: 'x', namespace: 'default' }): KObject =>
  ({ apiVersion: 'v1', kind, metadata: meta, ...body }) as KObject;
const admit = (def: KindDefinition, o: KObject, old?: KObject) => {
  def.default?.(o);
  return def.validate!(o, old);
};

describe('Service', () => {
  test('defaults', () => {
    const s = mk('Service', { spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
    expect(admit(serviceKind, s)).toEqual([]);
    expect(s.spec).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] });
  });
  test.each([
    [{ ports: [] }, ['spec.ports:FieldValueRequired']],
    [{ clusterIP: 'None' }, []],
    [{ type: 'ExternalName', externalName: 'db.example.com' }, []],
    [{ type: 'ExternalName' }, ['spec.externalName:FieldValueRequired']],
    [{ type: 'Magic', ports: [{ port: 80 }] }, ['spec.type:FieldValueNotSupported']],
    [{ ports: [{ port: 0 }] }, ['spec.ports[0].port:FieldValueRequired']],
    [{ ports: [{ port: 70000 }] }, ['spec.ports[0].port:FieldValueInvalid', 'spec.ports[0].targetPort:FieldValueInvalid']],
    [{ ports: [{ name: 'a', port: 80 }, { port: 81 }] }, ['spec.ports[1].name:FieldValueRequired']],
    [{ ports: [{ name: 'a', port: 80 }, { name: 'a', port: 81 }] }, ['spec.ports[1].name:FieldValueDuplicate']],
    [{ ports: [{ port: 80, nodePort: 30000 }] }, ['spec.ports[0].nodePort:FieldValueForbidden']],
    [{ clusterIP: '10.0.0.300', ports: [{ port: 80 }] }, ['spec.clusterIP:FieldValueInvalid']],
  ])('%j', (spec, expected) => {
    expect(f(admit(serviceKind, mk('Service', { spec })))).toEqual(expected);
  });
  test('name is a DNS-1035 label and clusterIP is immutable', () => {
    const s = mk('Service', { spec: { ports: [{ port: 80 }], clusterIP: '10.0.0.1' } }, { name: '1svc', namespace: 'd' });
    serviceKind.default!(s);
    expect(f(validateObject(serviceKind, s))).toEqual(['metadata.name:FieldValueInvalid']);
    const old = mk('Service', { spec: { ports: [{ port: 80 }], clusterIP: '10.0.0.1' } });
    const upd = mk('Service', { spec: { ports: [{ port: 80 }], clusterIP: '10.0.0.2' } });
    expect(f(admit(serviceKind, upd, old))).toEqual(['spec.clusterIP:FieldValueInvalid']);
  });
  test('Endpoints', () => {
    expect(admit(endpointsKind, mk('Endpoints', { subsets: [{ addresses: [{ ip: '10.1.0.5' }], ports: [{ port: 80 }] }] }))).toEqual([]);
    expect(f(admit(endpointsKind, mk('Endpoints', { subsets: [{ addresses: [{ ip: 'nope' }], ports: [{ port: -1 }] }] })))).toEqual([
      'subsets[0].addresses[0].ip:FieldValueInvalid',
      'subsets[0].ports[0].port:FieldValueInvalid',
    ]);
  });
});

describe('ConfigMap and Secret', () => {
  test('ConfigMap keys', () => {
    expect(admit(configMapKind, mk('ConfigMap', { data: { 'app.conf': 'x' }, binaryData: { bin: 'AAEC' } }))).toEqual([]);
    expect(admit(configMapKind, mk('ConfigMap', { data: { 'bad key': 'x', dup: 'y' }, binaryData: { dup: 'AAEC' } }))).toEqual([
      expect.objectContaining({ field: 'data[bad key]', reason: 'FieldValueInvalid' }),
      { field: 'data[dup]', reason: 'FieldValueInvalid', message: 'Invalid value: "dup": duplicate of key present in binaryData' },
    ]);
    expect(f(admit(configMapKind, mk('ConfigMap', { data: { a: 1 } })))).toEqual(['data[a]:FieldValueTypeInvalid']);
  });
  test('immutable ConfigMap', () => {
    const old = mk('ConfigMap', { data: { a: '1' }, immutable: true });
    expect(f(admit(configMapKind, mk('ConfigMap', { data: { a: '2' }, immutable: true }), old))).toEqual(['data:FieldValueForbidden']);
    expect(admit(configMapKind, mk('ConfigMap', { data: { a: '1' }, immutable: true }), old)).toEqual([]);
  });
  test('Secret stringData is merged into data, type defaults to Opaque', () => {
    const s = mk('Secret', { data: { a: 'YQ==' }, stringData: { password: 'hunter2' } });
    expect(admit(secretKind, s)).toEqual([]);
    expect(s).toMatchObject({ type: 'Opaque', data: { a: 'YQ==', password: Buffer.from('hunter2').toString('base64') } });
    expect(s.stringData).toBeUndefined();
    expect(secretKind.encrypted).toBe(true);
  });
  test('Secret data must be base64; typed secrets need their keys', () => {
    expect(f(admit(secretKind, mk('Secret', { data: { a: 'not base64!' } })))).toEqual(['data[a]:FieldValueInvalid']);
    expect(f(admit(secretKind, mk('Secret', { type: 'kubernetes.io/tls', data: { 'tls.crt': 'YQ==' } })))).toEqual(['data[tls.key]:FieldValueRequired']);
    const garbage = mk('Secret', { stringData: 'x', data: [] });
    expect(f(admit(secretKind, garbage))).toEqual(['data:FieldValueTypeInvalid', 'stringData:FieldValueTypeInvalid']);
    const old = mk('Secret', { type: 'Opaque', data: {} });
    expect(f(admit(secretKind, mk('Secret', { type: 'other', data: {} }), old))).toEqual(['type:FieldValueInvalid']);
  });
});

describe('Namespace, Node, Event, Lease, PV/PVC', () => {
  test('Namespace', () => {
    const ns = mk('Namespace', {}, { name: 'team-a' });
    expect(validateObject(namespaceKind, (namespaceKind.default!(ns), ns))).toEqual([]);
    expect(ns).toMatchObject({ spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } });
    expect(f(validateObject(namespaceKind, mk('Namespace', {}, { name: 'a.b' })))).toEqual(['metadata.name:FieldValueInvalid']);
    expect(f(validateObject(namespaceKind, mk('Namespace', {}, { name: 'a', namespace: 'b' })))).toEqual(['metadata.namespace:FieldValueForbidden']);
  });
  test('Node', () => {
    const n = mk('Node', { spec: { taints: [{ key: 'k', effect: 'NoSchedule' }], unschedulable: true }, status: { capacity: { cpu: '4', memory: '8Gi' } } }, { name: 'n1' });
    expect(admit(nodeKind, n)).toEqual([]);
    expect(nodeKind.selectableFields!['spec.unschedulable'](n)).toBe('true');
    expect(f(admit(nodeKind, mk('Node', { spec: { podCIDR: 'x', taints: [{ key: 'k' }] }, status: { capacity: { cpu: 'many' } } }, { name: 'n' })))).toEqual([
      'spec.podCIDR:FieldValueInvalid',
      'spec.taints[0].effect:FieldValueRequired',
      'status.capacity[cpu]:FieldValueInvalid',
    ]);
  });
  test('Event needs involvedObject', () => {
    expect(admit(eventKind, mk('Event', { involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'Started' }))).toEqual([]);
    expect(f(admit(eventKind, mk('Event', { reason: 'x' })))).toEqual(['involvedObject:FieldValueRequired']);
    expect(f(admit(eventKind, mk('Event', { involvedObject: 'pod' })))).toEqual(['involvedObject:FieldValueTypeInvalid']);
  });
  test('Lease fields are typed', () => {
    expect(admit(leaseKind, mk('Lease', { spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: '2024-01-01T00:00:00.000000Z' } }))).toEqual([]);
    expect(f(admit(leaseKind, mk('Lease', { spec: { holderIdentity: 5, leaseDurationSeconds: 0, renewTime: 'yesterday', leaseTransitions: -1 } })))).toEqual([
      'spec.holderIdentity:FieldValueTypeInvalid',
      'spec.leaseDurationSeconds:FieldValueInvalid',
      'spec.leaseTransitions:FieldValueInvalid',
      'spec.renewTime:FieldValueInvalid',
    ]);
  });
  test('PV and PVC', () => {
    const pv = mk('PersistentVolume', { spec: { capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/data' } } }, { name: 'pv1' });
    expect(admit(persistentVolumeKind, pv)).toEqual([]);
    expect(pv).toMatchObject({ spec: { persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' }, status: { phase: 'Pending' } });
    expect(f(admit(persistentVolumeKind, mk('PersistentVolume', { spec: { accessModes: ['Sometimes'] } }, { name: 'p' })))).toEqual([
      'spec.accessModes[0]:FieldValueNotSupported',
      'spec.capacity[storage]:FieldValueRequired',
      'spec:FieldValueRequired',
    ]);
    expect(admit(persistentVolumeClaimKind, mk('PersistentVolumeClaim', { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }))).toEqual([]);
    expect(f(admit(persistentVolumeClaimKind, mk('PersistentVolumeClaim', { spec: {} })))).toEqual(['spec.accessModes:FieldValueRequired', 'spec.resources[storage]:FieldValueRequired']);
  });
});

describe('Plugin and Distribution', () => {
  const plugin = (spec: unknown) => ({ apiVersion: 'plugins.skiff.io/v1alpha1', kind: 'Plugin', metadata: { name: 'binpack' }, spec }) as KObject;
  test('Plugin', () => {
    const p = plugin({ type: 'skiff.io/scheduler-policy', version: '1.0.0', source: { artifact: 'binpack.wasm' }, config: { weight: 2 } });
    expect(admit(pluginKind, p)).toEqual([]);
    expect((p.spec as any).failurePolicy).toBe('Fail');
    expect(f(admit(pluginKind, plugin({ type: 'bad type!', source: {}, failurePolicy: 'Maybe' })))).toEqual([
      'spec.type:FieldValueInvalid',
      'spec.source:FieldValueRequired',
      'spec.failurePolicy:FieldValueNotSupported',
    ]);
    expect(f(admit(pluginKind, plugin({ type: 'a/b', source: { builtin: 'x', path: '/p' }, config: 'x' })))).toEqual(['spec.config:FieldValueTypeInvalid', 'spec.source.path:FieldValueForbidden']);
    expect(pluginKind.namespaced).toBe(false);
  });
  test('Distribution', () => {
    const d = (plugins: unknown) => ({ apiVersion: 'plugins.skiff.io/v1alpha1', kind: 'Distribution', metadata: { name: 'default' }, spec: { plugins } }) as KObject;
    expect(admit(distributionKind, d([{ name: 'scheduler', type: 'skiff.io/scheduler' }, { name: 'cri', type: 'skiff.io/cri', source: { builtin: 'containerd' } }]))).toEqual([]);
    expect(f(admit(distributionKind, d([{ name: 'a', type: 'x/y' }, { name: 'a' }, 7])))).toEqual([
      'spec.plugins[2]:FieldValueTypeInvalid',
      'spec.plugins[1].name:FieldValueDuplicate',
      'spec.plugins[1].type:FieldValueRequired',
    ]);
  });
});
