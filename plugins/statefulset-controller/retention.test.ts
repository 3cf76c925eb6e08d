import { describe, expect, it } from 'vitest';
import type { OwnerReference, PersistentVolumeClaim, Pod, StatefulSet } from '@skiff/api';
import { claimOwnerRefs, hasStaleOwnerRef, isClaimOwnerUpToDate, type RetentionType } from './retention.ts';

const set = (whenDeleted: RetentionType, whenScaled: RetentionType, replicas = 2): StatefulSet => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'ns', uid: 'set-uid' },
  spec: { replicas, selector: {}, template: {}, persistentVolumeClaimRetentionPolicy: { whenDeleted, whenScaled } },
});
const pod = (ordinal: number, uid?: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `web-${ordinal}`, namespace: 'ns', ...(uid ? { uid } : {}) } });
const claim = (...ownerReferences: OwnerReference[]): PersistentVolumeClaim => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data-web-1', namespace: 'ns', ...(ownerReferences.length ? { ownerReferences } : {}) },
});
const setRef: OwnerReference = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'set-uid', controller: true, blockOwnerDeletion: true };
const podRef = (ordinal: number, uid: string): OwnerReference => ({ apiVersion: 'v1', kind: 'Pod', name: `web-${ordinal}`, uid, controller: true, blockOwnerDeletion: true });
const names = (refs: OwnerReference[]) => refs.map((r) => `${r.kind}/${r.name}`);

describe('claim owners by policy', () => {
  const cases: [RetentionType, RetentionType, string[], string[]][] = [
    // whenDeleted, whenScaled, owners of a live pod's claim, owners of a scaled-away pod's claim
    ['Retain', 'Retain', [], []],
    ['Delete', 'Retain', ['StatefulSet/web'], ['StatefulSet/web']],
    ['Retain', 'Delete', [], ['Pod/web-1']],
    ['Delete', 'Delete', ['StatefulSet/web'], ['Pod/web-1']],
  ];
  for (const [whenDeleted, whenScaled, live, scaled] of cases) {
    it(`whenDeleted=${whenDeleted} whenScaled=${whenScaled}`, () => {
      const inRange = set(whenDeleted, whenScaled, 2);
      const scaledDown = set(whenDeleted, whenScaled, 1);
      const p = pod(1, 'pod-uid');
      expect(names(claimOwnerRefs(claim(), inRange, p))).toEqual(live);
      expect(names(claimOwnerRefs(claim(), scaledDown, p))).toEqual(scaled);
      // what it asks for is up to date; a bare claim is not unless nothing is asked for
      expect(isClaimOwnerUpToDate(claim(...claimOwnerRefs(claim(), inRange, p)), inRange, p)).toBe(true);
      expect(isClaimOwnerUpToDate(claim(...claimOwnerRefs(claim(), scaledDown, p)), scaledDown, p)).toBe(true);
      expect(isClaimOwnerUpToDate(claim(), scaledDown, p)).toBe(scaled.length === 0);
    });
  }

  it('moves the reference from the set to the pod when the pod is scaled away, keeping other owners', () => {
    const other: OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'keep', uid: 'cm' };
    const refs = claimOwnerRefs(claim(other, setRef), set('Delete', 'Delete', 1), pod(1, 'pod-uid'));
    expect(refs).toEqual([other, podRef(1, 'pod-uid')]);
  });

  it('replaces a non-controller reference to the set by a controller one', () => {
    const s = set('Delete', 'Retain');
    const c = claim({ ...setRef, controller: undefined });
    expect(isClaimOwnerUpToDate(c, s, pod(1, 'pod-uid'))).toBe(false);
    expect(claimOwnerRefs(c, s, pod(1, 'pod-uid'))).toEqual([setRef]);
  });

  it('leaves a claim controlled by someone else without our references', () => {
    const foreign: OwnerReference = { apiVersion: 'example.com/v1', kind: 'Db', name: 'd', uid: 'x', controller: true };
    const s = set('Delete', 'Delete');
    expect(isClaimOwnerUpToDate(claim(foreign), s, pod(1, 'pod-uid'))).toBe(true);
    expect(isClaimOwnerUpToDate(claim(foreign, setRef), s, pod(1, 'pod-uid'))).toBe(false);
    expect(claimOwnerRefs(claim(foreign, setRef), s, pod(1, 'pod-uid'))).toEqual([foreign]);
  });
});

describe('stale claims', () => {
  it('a reference to an earlier pod of the same name is stale, also for a pod not made yet', () => {
    const c = claim(podRef(1, 'old-uid'));
    expect(hasStaleOwnerRef(c, pod(1, 'new-uid'))).toBe(true);
    expect(hasStaleOwnerRef(c, pod(1))).toBe(true);
    expect(hasStaleOwnerRef(c, pod(1, 'old-uid'))).toBe(false);
    expect(hasStaleOwnerRef(claim(setRef), pod(1))).toBe(false);
    // stale references are left for the garbage collector: nothing to change
    expect(isClaimOwnerUpToDate(c, set('Delete', 'Delete', 2), pod(1, 'new-uid'))).toBe(true);
  });
});
