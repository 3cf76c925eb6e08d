// The `kubectl get` columns of Ingress and IngressClass.
import { describe, expect, test } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { formatHosts } from './table-ingress.ts';
import { toTable } from './table.ts';

const T0 = new Date(Date.now() - 3600_000).toISOString();
const o = (fields: Record<string, unknown>): KObject => ({ apiVersion: 'x', kind: 'X', metadata: { name: 'web', creationTimestamp: T0 }, ...fields });
const row = (resource: string, obj: KObject) => {
  const t = toTable(resource, [obj], {}, {});
  return Object.fromEntries(t.columnDefinitions!.map((c, i) => [c.name, t.rows[0]!.cells[i]]));
};

describe('Ingress and IngressClass columns', () => {
  test('Ingress: NAME CLASS HOSTS ADDRESS PORTS AGE', () => {
    const spec = { ingressClassName: 'skiff', rules: [{ host: 'a.example' }, { host: 'b.example' }], tls: [{ hosts: ['a.example'] }] };
    const status = { loadBalancer: { ingress: [{ ip: '10.0.0.2' }, { ip: '10.0.0.1' }, { hostname: 'lb.example' }, { ip: '10.0.0.1' }] } };
    expect(row('ingresses', o({ spec, status }))).toEqual({ Name: 'web', Class: 'skiff', Hosts: 'a.example,b.example', Address: '10.0.0.1,10.0.0.2,lb.example', Ports: '80, 443', Age: '60m' });
    expect(row('ingresses', o({ spec: { defaultBackend: {} }, status: { loadBalancer: {} } }))).toMatchObject({ Class: '<none>', Hosts: '*', Address: '', Ports: '80' });
  });
  test('hosts: three at most, "+ N more..." counted in rules, rules without a host skipped', () => {
    expect(formatHosts([{ host: 'a' }, { host: 'b' }, { host: 'c' }, { host: 'd' }, {}])).toBe('a,b,c + 2 more...');
    expect(formatHosts([{}, { host: 'a' }, { host: 'b' }])).toBe('a,b');
    expect(formatHosts([{ host: 'a' }, { host: 'b' }, { host: 'c' }])).toBe('a,b,c');
  });
  test('IngressClass: NAME CONTROLLER PARAMETERS AGE', () => {
    expect(row('ingressclasses', o({ spec: { controller: 'skiff.io/ingress-proxy' } }))).toEqual({ Name: 'web', Controller: 'skiff.io/ingress-proxy', Parameters: '<none>', Age: '60m' });
    expect(row('ingressclasses', o({ spec: { controller: 'x.io/y', parameters: { apiGroup: 'k8s.example.com', kind: 'Params', name: 'p' } } }))).toMatchObject({ Parameters: 'Params.k8s.example.com/p' });
    expect(row('ingressclasses', o({ spec: { controller: 'x.io/y', parameters: { kind: 'ConfigMap', name: 'p' } } }))).toMatchObject({ Parameters: 'ConfigMap/p' });
  });
});
