import { describe, expect, it } from 'vitest';
import { REPLICA_SET_KIND, REPLICATION_CONTROLLER_KIND, type ReplicaOwner } from './kinds.ts';

const owner = (selector: unknown): ReplicaOwner => ({ apiVersion: 'v1', kind: 'X', metadata: { name: 'x' }, spec: { selector } });

describe('selectors of the two kinds', () => {
  it('a ReplicaSet: a metav1.LabelSelector; empty when it has no requirement', () => {
    const rs = owner({ matchLabels: { app: 'a' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] });
    expect(REPLICA_SET_KIND.matcher(rs)({ app: 'a', tier: 'db' })).toBe(true);
    expect(REPLICA_SET_KIND.matcher(rs)({ app: 'a' })).toBe(false);
    expect(REPLICA_SET_KIND.emptySelector(rs)).toBe(false);
    expect(REPLICA_SET_KIND.emptySelector(owner({}))).toBe(true);
    expect(REPLICA_SET_KIND.matcher(owner(undefined))({ app: 'a' })).toBe(false);
  });

  it('a ReplicationController: a plain map, empty only when it has no pair (a map is not an empty LabelSelector)', () => {
    const rc = owner({ app: 'map', tier: 'db' });
    expect(REPLICATION_CONTROLLER_KIND.matcher(rc)({ app: 'map', tier: 'db', x: 'y' })).toBe(true);
    expect(REPLICATION_CONTROLLER_KIND.matcher(rc)({ app: 'map' })).toBe(false);
    expect(REPLICATION_CONTROLLER_KIND.emptySelector(rc)).toBe(false);
    expect(REPLICATION_CONTROLLER_KIND.emptySelector(owner({}))).toBe(true);
    expect(REPLICATION_CONTROLLER_KIND.emptySelector(owner(undefined))).toBe(true);
  });
});
