// The `kubectl get netpol` columns (table-network-policy.ts).
import { expect, test } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { toTable } from './table.ts';

const T0 = new Date(Date.now() - 3600_000).toISOString();
const row = (spec: unknown) => {
  const o = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'default', creationTimestamp: T0 }, spec } as KObject;
  const t = toTable('networkpolicies', [o], {}, {});
  return Object.fromEntries(t.columnDefinitions!.map((c, i) => [c.name, t.rows[0]!.cells[i]]));
};

test('NAME POD-SELECTOR AGE, as kube prints a NetworkPolicy', () => {
  expect(row({ podSelector: {} })).toEqual({ Name: 'p', 'Pod-Selector': '<none>', Age: '60m' });
  expect(row({ podSelector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] } })).toMatchObject({ 'Pod-Selector': 'app=web,tier in (a,b)' });
});
