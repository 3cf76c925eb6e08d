import { describe, expect, it } from 'vitest';
import type { Deployment, ReplicaSet } from '@skiff/api';
import { maxRevision, setDeploymentRevision, setNewReplicaSetAnnotations } from './annotations.ts';

const dep = (annotations: Record<string, string>): Deployment => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', annotations }, spec: { selector: {}, template: {} } });
const rs = (annotations?: Record<string, string>): ReplicaSet => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r', annotations }, spec: { selector: {} } });

describe('ReplicaSet annotations', () => {
  it('copies the deployment annotations but the skipped ones, and sets revision and replicas on a new RS', () => {
    const r = rs();
    const d = dep({ 'kubernetes.io/change-cause': 'v2', 'deployment.kubernetes.io/revision': '7', 'kubectl.kubernetes.io/last-applied-configuration': '{}', x: 'y' });
    expect(setNewReplicaSetAnnotations(d, r, '3', false, 4, 5)).toBe(true);
    expect(r.metadata.annotations).toEqual({
      'kubernetes.io/change-cause': 'v2', x: 'y',
      'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/desired-replicas': '4', 'deployment.kubernetes.io/max-replicas': '5',
    });
    expect(setNewReplicaSetAnnotations(d, r, '3', true, 4, 5)).toBe(false);
  });

  it('keeps the revisions an RS served before when it is brought back', () => {
    const r = rs({ 'deployment.kubernetes.io/revision': '1' });
    setNewReplicaSetAnnotations(dep({}), r, '3', true, 1, 1);
    expect(r.metadata.annotations).toEqual({ 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1' });
    setNewReplicaSetAnnotations(dep({}), r, '5', true, 1, 1);
    expect(r.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1,3');
    // never lowered
    expect(setNewReplicaSetAnnotations(dep({}), r, '4', true, 1, 1)).toBe(false);
    expect(r.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('5');
  });

  it('drops the oldest history entries beyond 2000 characters', () => {
    const history = Array.from({ length: 400 }, (_, i) => String(1000 + i)).join(','); // 1999 chars
    const r = rs({ 'deployment.kubernetes.io/revision': '5000', 'deployment.kubernetes.io/revision-history': history });
    setNewReplicaSetAnnotations(dep({}), r, '5001', true, 1, 1);
    const h = r.metadata.annotations!['deployment.kubernetes.io/revision-history'].split(',');
    expect(h.at(-1)).toBe('5000');
    expect(h[0]).toBe('1001');
    expect(h.join(',').length).toBeLessThanOrEqual(2000);
  });

  it('finds the max revision and sets the deployment revision without touching shared objects', () => {
    expect(maxRevision([rs({ 'deployment.kubernetes.io/revision': '2' }), rs({ 'deployment.kubernetes.io/revision': 'x' }), rs()])).toBe(2);
    const shared = { a: 'b' };
    const d = dep(shared);
    expect(setDeploymentRevision(d, '4')).toBe(true);
    expect(setDeploymentRevision(d, '4')).toBe(false);
    expect(shared).toEqual({ a: 'b' });
    expect(d.metadata.annotations).toEqual({ a: 'b', 'deployment.kubernetes.io/revision': '4' });
  });
});
