// The `kubectl get` columns of IPAddress, ServiceCIDR and NodePortAllocation (table-network.ts).
import { expect, test } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { toTable } from './table.ts';

const T0 = new Date(Date.now() - 3600_000).toISOString();
const row = (resource: string, name: string, spec: unknown) => {
  const t = toTable(resource, [{ apiVersion: 'x', kind: 'X', metadata: { name, creationTimestamp: T0 }, spec } as KObject], {}, {});
  return Object.fromEntries(t.columnDefinitions!.map((c, i) => [c.name, t.rows[0]!.cells[i]]));
};

test('allocations print their parent as kube prints an IPAddress', () => {
  const parentRef = { group: '', resource: 'services', namespace: 'default', name: 'kubernetes' };
  expect(row('ipaddresses', '10.96.0.1', { parentRef })).toEqual({ Name: '10.96.0.1', ParentRef: 'services/default/kubernetes' });
  expect(row('nodeportallocations', '30080', { parentRef: { ...parentRef, name: 'web' } })).toEqual({ Name: '30080', ParentRef: 'services/default/web', Age: '60m' });
  expect(row('ipaddresses', '10.96.0.2', { parentRef: { group: 'gateway.networking.k8s.io', resource: 'Gateways', name: 'gw' } })).toMatchObject({ ParentRef: 'gateways.gateway.networking.k8s.io/gw' });
  expect(row('servicecidrs', 'kubernetes', { cidrs: ['10.96.0.0/12', 'fd00::/108'] })).toEqual({ Name: 'kubernetes', CIDRs: '10.96.0.0/12,fd00::/108', Age: '60m' });
});
