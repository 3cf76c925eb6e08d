import { describe, expect, test } from 'vitest';
import type { KObject } from '../../types.ts';
import { nameCheckOf } from '../object-meta.ts';
import { ipAddressKind, nodePortAllocationKind, serviceCIDRKind } from './networking.ts';

const f = (cs: { field?: string; reason: string }[]) => cs.map((c) => `${c.field}:${c.reason}`);
const parentRef = { group: '', resource: 'services', namespace: 'default', name: 'web' };
const ip = (name: string, spec: unknown = { parentRef }): KObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'IPAddress', metadata: { name }, spec }) as KObject;

describe('IPAddress', () => {
  test('is named by a canonical IP', () => {
    const check = nameCheckOf(ipAddressKind);
    expect(check('10.96.0.1')).toEqual([]);
    expect(check('2001:db8::1')).toEqual([]);
    expect(check('10.96.0.01')).toEqual(['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']);
    expect(check('abc')).toHaveLength(1);
    expect(check('2001:DB8::1')).toEqual(['must be a canonical format IP address']);
  });
  test('needs a parentRef with resource and name, which never changes', () => {
    expect(ipAddressKind.validate!(ip('10.96.0.1'))).toEqual([]);
    expect(f(ipAddressKind.validate!(ip('10.96.0.1', {})))).toEqual(['spec.parentRef:FieldValueRequired']);
    expect(f(ipAddressKind.validate!(ip('10.96.0.1', { parentRef: { group: '' } })))).toEqual(['spec.parentRef.resource:FieldValueRequired', 'spec.parentRef.name:FieldValueRequired']);
    const moved = ip('10.96.0.1', { parentRef: { ...parentRef, name: 'other' } });
    expect(f(ipAddressKind.validate!(moved, ip('10.96.0.1')))).toEqual(['spec.parentRef:FieldValueInvalid']);
  });
});

describe('ServiceCIDR', () => {
  const cidr = (cidrs: unknown): KObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'ServiceCIDR', metadata: { name: 'kubernetes' }, spec: { cidrs } }) as KObject;
  test('one or two CIDRs, one per family', () => {
    expect(serviceCIDRKind.validate!(cidr(['10.96.0.0/12']))).toEqual([]);
    expect(serviceCIDRKind.validate!(cidr(['10.96.0.0/12', 'fd00::/108']))).toEqual([]);
    expect(f(serviceCIDRKind.validate!(cidr([])))).toEqual(['spec.cidrs:FieldValueRequired']);
    expect(f(serviceCIDRKind.validate!(cidr(['10.96.0.0/33'])))).toEqual(['spec.cidrs[0]:FieldValueInvalid']);
    expect(f(serviceCIDRKind.validate!(cidr(['10.96.0.0/12', '10.112.0.0/12'])))).toEqual(['spec.cidrs:FieldValueInvalid']);
  });
  test('a range may gain a second family, nothing else', () => {
    expect(serviceCIDRKind.validate!(cidr(['10.96.0.0/12', 'fd00::/108']), cidr(['10.96.0.0/12']))).toEqual([]);
    expect(f(serviceCIDRKind.validate!(cidr(['10.0.0.0/16']), cidr(['10.96.0.0/12'])))).toEqual(['spec.cidrs:FieldValueInvalid']);
  });
});

describe('NodePortAllocation', () => {
  test('is named by a port number and points at its Service', () => {
    const check = nameCheckOf(nodePortAllocationKind);
    expect(check('30080')).toEqual([]);
    expect(check('030080')).toHaveLength(1);
    expect(check('70000')).toHaveLength(1);
    const o = { apiVersion: 'networking.skiff.io/v1alpha1', kind: 'NodePortAllocation', metadata: { name: '30080' }, spec: { parentRef } } as KObject;
    expect(nodePortAllocationKind.validate!(o)).toEqual([]);
    expect(f(nodePortAllocationKind.validate!({ ...o, spec: {} }))).toEqual(['spec.parentRef:FieldValueRequired']);
  });
});
