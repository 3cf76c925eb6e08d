import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Node, Pod, Service } from '@skiff/api';
import { desiredGroups, planSlices, recycleDeletes } from './reconciler.ts';

const svc: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default', uid: 'svc-uid' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] } };
const node = { metadata: { name: 'n1' } } as Node;
const pod = (i: number, extra: Partial<Pod['metadata']> = {}): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p${String(i).padStart(3, '0')}`, namespace: 'default', uid: `uid-${i}`, labels: { app: 'web' }, ...extra },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] },
    status: { phase: 'Running', podIP: `10.0.${i >> 8}.${i & 255}`, conditions: [{ type: 'Ready', status: 'True' }] },
  }) as Pod;
const pods = (n: number, from = 0) => Array.from({ length: n }, (_, i) => pod(from + i));
const plan = (ps: Pod[], existing: EndpointSlice[], max = 100) => recycleDeletes(svc, planSlices(svc, 'IPv4', existing, desiredGroups(svc, ps, 'IPv4', () => node).groups, max));
/** Pretend the plan was written: names for creates, the updates as they are. */
const apply = (p: ReturnType<typeof plan>, existing: EndpointSlice[]): EndpointSlice[] => {
  const byName = new Map(existing.map((s) => [s.metadata.name!, s]));
  for (const s of p.delete) byName.delete(s.metadata.name!);
  for (const s of p.update) byName.set(s.metadata.name!, s);
  p.create.forEach((s, i) => byName.set(`web-new${byName.size}${i}`, { ...s, metadata: { ...s.metadata, name: `web-new${byName.size}${i}` } }));
  return [...byName.values()];
};

describe('slice reconciler', () => {
  it('cuts 250 endpoints into 100 + 100 + 50', () => {
    const p = plan(pods(250), []);
    expect(p.create.map((s) => s.endpoints.length)).toEqual([100, 100, 50]);
    expect(p.update).toEqual([]);
  });

  it('puts a new endpoint into the slice with room, leaving full slices alone', () => {
    const slices = apply(plan(pods(250), []), []);
    const p = plan(pods(251), slices);
    expect(p.create).toEqual([]);
    expect(p.update.map((s) => s.endpoints.length)).toEqual([51]);
  });

  it('updates only the slice whose endpoint changed', () => {
    const slices = apply(plan(pods(250), []), []);
    const ps = pods(250);
    ps[3].status!.conditions = [{ type: 'Ready', status: 'False' }];
    const p = plan(ps, slices);
    expect(p.update).toHaveLength(1);
    expect(p.update[0].endpoints.find((e) => e.targetRef?.name === 'p003')?.conditions).toEqual({ ready: false, serving: false, terminating: false });
    expect(p.create).toEqual([]);
    expect(p.delete).toEqual([]);
  });

  it('deletes an emptied slice; a slice of another Service of the name becomes the new one (an update, not create + delete)', () => {
    const slices = apply(plan(pods(150), []), []);
    const p = plan(pods(100), slices);
    expect(p.delete.map((s) => s.endpoints.length)).toEqual([50]);
    const stale = { ...slices[0], metadata: { ...slices[0].metadata, ownerReferences: [{ ...slices[0].metadata.ownerReferences![0], uid: 'old' }] } };
    const q = recycleDeletes(svc, planSlices(svc, 'IPv4', [stale], desiredGroups(svc, pods(1), 'IPv4', () => node).groups, 100));
    expect(q.delete).toEqual([stale]); // not ours: deleted, a new one created
    expect(q.create).toHaveLength(1);
  });

  it('skips pods whose Node is unknown, and pods without an IP or terminal', () => {
    const ps = pods(3);
    delete ps[1].status!.podIP;
    ps[2].status!.phase = 'Succeeded';
    const { groups, problems } = desiredGroups(svc, [...ps, { ...pod(9), spec: { ...pod(9).spec!, nodeName: 'gone' } }], 'IPv4', (n) => (n === 'n1' ? node : undefined));
    expect([...groups.values()][0].endpoints.size).toBe(1);
    expect(problems.missingNode).toEqual(['p009']);
  });
});
