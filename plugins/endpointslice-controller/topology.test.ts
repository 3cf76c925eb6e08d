import { describe, expect, it } from 'vitest';
import type { Endpoint, EndpointSlice, Node, Service } from '@skiff/api';
import { newSlice, type SlicePlan } from './reconciler.ts';
import { hintsEnabled, TopologyCache } from './topology.ts';

const node = (name: string, zone: string | undefined, cpu: string, extra: Partial<Node['metadata']> = {}): Node =>
  ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: zone ? { 'topology.kubernetes.io/zone': zone } : {}, ...extra },
    status: { allocatable: { cpu }, conditions: [{ type: 'Ready', status: 'True' }] },
  }) as Node;
const svc = (annotations: Record<string, string> = { 'service.kubernetes.io/topology-mode': 'Auto' }): Service =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default', uid: 'u1', annotations }, spec: { selector: { a: 'b' } } }) as Service;
const ep = (i: number, zone: string | undefined, ready = true): Endpoint => ({
  addresses: [`10.0.0.${i}`],
  zone,
  conditions: { ready, serving: ready, terminating: false },
  targetRef: { kind: 'Pod', namespace: 'default', name: `p${i}` },
});
const planOf = (endpoints: Endpoint[]): SlicePlan => {
  const s = newSlice(svc(), 'IPv4', []);
  s.endpoints = endpoints;
  return { create: [s], update: [], delete: [], unchanged: [] };
};
const hints = (slices: EndpointSlice[]) => slices.flatMap((s) => s.endpoints.map((e) => e.hints?.forZones?.[0]?.name ?? '-'));

describe('topology hints', () => {
  it('is on for topology-mode Auto or the older annotation', () => {
    expect(hintsEnabled(svc())).toBe(true);
    expect(hintsEnabled(svc({ 'service.kubernetes.io/topology-aware-hints': 'auto' }))).toBe(true);
    expect(hintsEnabled(svc({ 'service.kubernetes.io/topology-mode': 'Disabled' }))).toBe(false);
    expect(hintsEnabled(svc({}))).toBe(false);
  });

  it('hints each endpoint its own zone when zones hold endpoints in proportion to their CPU', () => {
    const t = new TopologyCache();
    expect(t.setNodes([node('a1', 'a', '4'), node('b1', 'b', '4')])).toBe(true);
    const plan = planOf([ep(1, 'a'), ep(2, 'a'), ep(3, 'b'), ep(4, 'b')]);
    expect(t.apply('default/s', svc(), 'IPv4', plan)).toEqual([{ type: 'Normal', reason: 'TopologyAwareHintsEnabled', message: 'Topology Aware Hints has been enabled, addressType: IPv4' }]);
    expect(hints(plan.create)).toEqual(['a', 'a', 'b', 'b']);
    // enabled once: no second Event
    expect(t.apply('default/s', svc(), 'IPv4', planOf([ep(1, 'a'), ep(3, 'b')]))).toEqual([]);
  });

  it('moves hints from a zone with too many endpoints to one with too few (CPU 3:1, endpoints 1:3)', () => {
    const t = new TopologyCache();
    t.setNodes([node('a1', 'a', '6'), node('b1', 'b', '2')]);
    const plan = planOf([ep(1, 'a'), ep(2, 'b'), ep(3, 'b'), ep(4, 'b')]);
    t.apply('default/s', svc(), 'IPv4', plan);
    // zone a should get 3 of 4 endpoints: two of b's endpoints serve zone a
    const h = hints(plan.create);
    expect(h.filter((z) => z === 'a')).toHaveLength(3);
    expect(h.filter((z) => z === 'b')).toHaveLength(1);
    expect(h[0]).toBe('a');
  });

  it('leaves not-ready endpoints without hints', () => {
    const t = new TopologyCache();
    t.setNodes([node('a1', 'a', '4'), node('b1', 'b', '4')]);
    const plan = planOf([ep(1, 'a'), ep(2, 'b'), ep(3, 'b', false)]);
    t.apply('default/s', svc(), 'IPv4', plan);
    expect(hints(plan.create)).toEqual(['a', 'b', '-']);
  });

  it.each([
    ['one zone only', [node('a1', 'a', '4'), node('a2', 'a', '4')], [ep(1, 'a'), ep(2, 'a')], 'Insufficient Node information'],
    ['a node without a zone', [node('a1', 'a', '4'), node('x', undefined, '4')], [ep(1, 'a'), ep(2, 'a')], 'Insufficient Node information'],
    ['fewer endpoints than zones', [node('a1', 'a', '4'), node('b1', 'b', '4'), node('c1', 'c', '4')], [ep(1, 'a'), ep(2, 'b')], 'Insufficient number of endpoints (2 endpoints, 3 zones)'],
    ['an endpoint without a zone', [node('a1', 'a', '4'), node('b1', 'b', '4')], [ep(1, 'a'), ep(2, undefined)], 'One or more endpoints do not have a Zone specified'],
    ['minimums beyond the overload threshold', [node('a1', 'a', '1'), node('b1', 'b', '1'), node('c1', 'c', '1')], [ep(1, 'a'), ep(2, 'b'), ep(3, 'c'), ep(4, 'c')], 'Unable to allocate minimum required endpoints'],
  ])('gives no hints with %s, and says why', (_, nodes, endpoints, message) => {
    const t = new TopologyCache();
    t.setNodes(nodes);
    const plan = planOf(endpoints);
    const ev = t.apply('default/s', svc(), 'IPv4', plan);
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ type: 'Warning', reason: 'TopologyAwareHintsDisabled' });
    expect(ev[0].message).toContain(message);
    expect(hints(plan.create).every((h) => h === '-')).toBe(true);
  });

  it('leaves control-plane and not-ready nodes out of the CPU shares', () => {
    const t = new TopologyCache();
    const notReady = node('b2', 'b', '100');
    notReady.status!.conditions = [{ type: 'Ready', status: 'False' }];
    t.setNodes([node('a1', 'a', '2'), node('b1', 'b', '2'), notReady, node('cp', 'c', '64', { labels: { 'topology.kubernetes.io/zone': 'c', 'node-role.kubernetes.io/control-plane': '' } })]);
    expect(Object.fromEntries(t.ratios!)).toEqual({ a: 0.5, b: 0.5 });
  });

  it('removes hints from unchanged slices when hints are turned off', () => {
    const t = new TopologyCache();
    t.setNodes([node('a1', 'a', '4'), node('b1', 'b', '4')]);
    const s = newSlice(svc(), 'IPv4', []);
    s.metadata.name = 's-abcde';
    s.endpoints = [{ ...ep(1, 'a'), hints: { forZones: [{ name: 'a' }] } }];
    const plan: SlicePlan = { create: [], update: [], delete: [], unchanged: [s] };
    t.apply('default/s', svc({}), 'IPv4', plan);
    expect(plan.unchanged).toEqual([]);
    expect(plan.update.map((x) => x.endpoints[0].hints)).toEqual([undefined]);
    expect(s.endpoints[0].hints).toBeDefined(); // the cached copy is not touched
  });

  it('keeps valid hints of unchanged slices as they are', () => {
    const t = new TopologyCache();
    t.setNodes([node('a1', 'a', '4'), node('b1', 'b', '4')]);
    const s = newSlice(svc(), 'IPv4', []);
    s.metadata.name = 's-abcde';
    s.endpoints = [{ ...ep(1, 'a'), hints: { forZones: [{ name: 'a' }] } }, { ...ep(2, 'b'), hints: { forZones: [{ name: 'b' }] } }];
    const plan: SlicePlan = { create: [], update: [], delete: [], unchanged: [s] };
    t.apply('default/s', svc(), 'IPv4', plan);
    expect(plan.unchanged).toEqual([s]);
    expect(plan.update).toEqual([]);
  });
});
