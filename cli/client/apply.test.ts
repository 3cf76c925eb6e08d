import { describe, expect, it } from 'vitest';
import { LAST_APPLIED, namespaceFor, objectError, withLastApplied } from './apply.ts';
import type { KObject } from './manifests.ts';
import type { ApiResource } from './resources.ts';
import { StatusError } from '@skiff/client/rest';

const pods: ApiResource = { group: '', version: 'v1', name: 'pods', singularName: 'pod', kind: 'Pod', shortNames: ['po'], namespaced: true, verbs: [] };
const namespaces: ApiResource = { ...pods, name: 'namespaces', singularName: 'namespace', kind: 'Namespace', namespaced: false };
const pod = (ns?: string): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ...(ns ? { namespace: ns } : {}) }, spec: {} });

describe('namespaceFor', () => {
  it("uses the object's own, else -n, else default; none when cluster-scoped", () => {
    expect(namespaceFor({ namespace: 'default', namespaceExplicit: false }, pods, pod('a'))).toBe('a');
    expect(namespaceFor({ namespace: 'b', namespaceExplicit: true }, pods, pod())).toBe('b');
    expect(namespaceFor({ namespace: 'default', namespaceExplicit: false }, pods, pod())).toBe('default');
    expect(namespaceFor({ namespace: 'b', namespaceExplicit: true }, namespaces, pod('a'))).toBeUndefined();
  });
  it('refuses an object in another namespace than an explicit -n', () => {
    expect(() => namespaceFor({ namespace: 'b', namespaceExplicit: true }, pods, pod('a'))).toThrow(/does not match the namespace "b"/);
  });
});

describe('withLastApplied', () => {
  it('stores the configuration (without status or itself) in the annotation, as kubectl does', () => {
    const o = { ...pod(), status: { phase: 'Running' }, metadata: { name: 'p', annotations: { keep: 'me', [LAST_APPLIED]: 'old' } } } as KObject;
    const m = withLastApplied(o, 'ns1');
    expect(m.status).toBeUndefined();
    expect(m.metadata.namespace).toBe('ns1');
    expect(m.metadata.annotations!.keep).toBe('me');
    const last = m.metadata.annotations![LAST_APPLIED]!;
    expect(last.endsWith('\n')).toBe(true);
    expect(JSON.parse(last)).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns1', annotations: { keep: 'me' } }, spec: {} });
  });

  it('writes the annotation byte for byte like kubectl: sorted keys, empty annotations kept', () => {
    const o = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c', labels: { b: '2', a: '1' } }, data: { y: '2', x: '1' } } as KObject;
    expect(withLastApplied(o, 'default').metadata.annotations![LAST_APPLIED]).toBe(
      '{"apiVersion":"v1","data":{"x":"1","y":"2"},"kind":"ConfigMap","metadata":{"annotations":{},"labels":{"a":"1","b":"2"},"name":"c","namespace":"default"}}\n',
    );
  });
});

describe('objectError', () => {
  it("reads like kubectl's", () => {
    const e = new StatusError({ kind: 'Status', reason: 'Invalid', code: 422, message: 'Pod "bad" is invalid: spec.containers: Required value' });
    expect(objectError(e, 'creating', 'x.yaml')).toBe('Error from server (Invalid): error when creating "x.yaml": Pod "bad" is invalid: spec.containers: Required value');
  });
});
