import { describe, expect, it } from 'vitest';
import type { KObject, OwnerReference } from '@skiff/kernel';
import { AbsentOwners, Graph, type KindKey } from './graph.ts';

const CM: KindKey = { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true };
const ref = (uid: string): OwnerReference => ({ apiVersion: 'v1', kind: 'ConfigMap', name: uid, uid });
const obj = (uid: string, owners: string[] = [], extra: Partial<KObject['metadata']> = {}): KObject => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: uid, namespace: 'ns', uid, ownerReferences: owners.map(ref), ...extra },
});

describe('Graph', () => {
  it('indexes dependents by owner uid and follows changes of ownerReferences', () => {
    const g = new Graph();
    g.upsert(CM, obj('o1'));
    g.upsert(CM, obj('d1', ['o1']));
    g.upsert(CM, obj('d2', ['o1', 'o2']));
    expect(g.dependents('o1').map((n) => n.uid).sort()).toEqual(['d1', 'd2']);
    expect(g.dependents('o2').map((n) => n.uid)).toEqual(['d2']); // o2 never observed

    const r = g.upsert(CM, obj('d2', ['o2'], { deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['orphan'] }));
    expect(r?.previous?.owners.map((o) => o.uid)).toEqual(['o1', 'o2']);
    expect(r?.node.deleting).toBe(true);
    expect(g.dependents('o1').map((n) => n.uid)).toEqual(['d1']);

    expect(g.remove('d1')?.uid).toBe('d1');
    expect(g.dependents('o1')).toEqual([]);
    g.remove('d2');
    g.remove('o1');
    expect(g.size).toBe(0);
  });

  it('keeps a bounded set of absent owners', () => {
    const a = new AbsentOwners(2);
    a.add('x');
    a.add('y');
    a.add('z');
    expect([a.has('x'), a.has('y'), a.has('z')]).toEqual([false, true, true]);
  });
});
