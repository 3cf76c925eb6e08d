import { describe, expect, test } from 'vitest';
import { getControllerOf, isControlledBy, newControllerRef } from './owners.ts';
import type { KObject } from './types/meta.ts';

const rs: KObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-1', namespace: 'd', uid: 'u-rs' } };

describe('owner references', () => {
  test('newControllerRef points at the owner, controller and blocking deletion', () => {
    expect(newControllerRef(rs, 'apps/v1', 'ReplicaSet')).toEqual({
      apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u-rs', controller: true, blockOwnerDeletion: true,
    });
    expect(() => newControllerRef({ metadata: { name: 'x' } }, 'apps/v1', 'ReplicaSet')).toThrow(/uid/);
  });
  test('getControllerOf picks the controller reference only', () => {
    const other = { apiVersion: 'v1', kind: 'ConfigMap', name: 'c', uid: 'u-c' };
    const pod: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ownerReferences: [other, newControllerRef(rs, 'apps/v1', 'ReplicaSet')] } };
    expect(getControllerOf(pod)?.uid).toBe('u-rs');
    expect(getControllerOf({ metadata: { ownerReferences: [other, { ...other, uid: 'x', controller: false }] } })).toBeUndefined();
    expect(getControllerOf({ metadata: {} })).toBeUndefined();
  });
  test('isControlledBy compares uids, not names', () => {
    const pod: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ownerReferences: [newControllerRef(rs, 'apps/v1', 'ReplicaSet')] } };
    expect(isControlledBy(pod, rs)).toBe(true);
    expect(isControlledBy(pod, { metadata: { name: 'web-1', uid: 'another' } })).toBe(false);
    expect(isControlledBy({ metadata: { ownerReferences: [{ ...newControllerRef(rs, 'apps/v1', 'ReplicaSet'), controller: undefined }] } }, rs)).toBe(false);
  });
});
