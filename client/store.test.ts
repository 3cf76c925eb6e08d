import { describe, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { controllerIndexKey, CONTROLLER_INDEX } from './indexes.ts';
import { Indexer, Lister, splitKey } from './store.ts';

const pod = (ns: string, name: string, labels: Record<string, string> = {}, owner?: string): KObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { namespace: ns, name, labels, resourceVersion: '1', ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: owner, controller: true }] } : {}) },
});

describe('Indexer and Lister', () => {
  it('keeps indexes right across set, replace and delete', () => {
    const ix = new Indexer({ [CONTROLLER_INDEX]: controllerIndexKey });
    ix.set(pod('a', 'p1', {}, 'u1'));
    ix.set(pod('a', 'p2', {}, 'u1'));
    ix.set(pod('b', 'p3', {}, 'u2'));
    expect(ix.byIndex(CONTROLLER_INDEX, 'u1').map((p) => p.metadata.name).sort()).toEqual(['p1', 'p2']);
    ix.set(pod('a', 'p2', {}, 'u2')); // moved to another owner
    expect(ix.byIndex(CONTROLLER_INDEX, 'u1').map((p) => p.metadata.name)).toEqual(['p1']);
    expect(ix.byIndex(CONTROLLER_INDEX, 'u2').length).toBe(2);
    ix.delete('a/p1');
    expect(ix.byIndex(CONTROLLER_INDEX, 'u1')).toEqual([]);
    expect(ix.size).toBe(2);
  });

  it('lists by namespace and by label selector', () => {
    const ix = new Indexer();
    ix.set(pod('a', 'web-1', { app: 'web' }));
    ix.set(pod('a', 'db-1', { app: 'db' }));
    ix.set(pod('b', 'web-2', { app: 'web' }));
    const l = new Lister(ix);
    expect(l.list('a').length).toBe(2);
    expect(l.list(undefined, { matchLabels: { app: 'web' } }).map((p) => p.metadata.name).sort()).toEqual(['web-1', 'web-2']);
    expect(l.list('a', { matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] }).map((p) => p.metadata.name)).toEqual(['db-1']);
    expect(l.list('a', (labels: Record<string, string>) => labels.app === 'web').length).toBe(1);
    expect(l.get('b', 'web-2')?.metadata.name).toBe('web-2');
    expect(splitKey('a/web-1')).toEqual({ namespace: 'a', name: 'web-1' });
    expect(splitKey('node-1')).toEqual({ name: 'node-1' });
  });
});
