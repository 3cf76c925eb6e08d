// events.k8s.io/v1 Event served over the stored core v1 Event: the conversion both ways, and the
// same objects through both groups of the REST API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import type { KObject } from '@skiff/kernel';
import { createApiServer } from './server.ts';
import { eventsV1ToCore, eventToEventsV1 } from './events-v1.ts';

const EV1 = '/apis/events.k8s.io/v1/namespaces/default/events';
const CORE = '/api/v1/namespaces/default/events';

const v1Event = {
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: { name: 'e1', namespace: 'default' },
  eventTime: '2026-01-02T03:04:05.123456Z',
  series: { count: 2, lastObservedTime: '2026-01-02T03:04:06.000000Z' },
  reportingController: 'example.com/ctl',
  reportingInstance: 'ctl-1',
  action: 'Reconciling',
  reason: 'Synced',
  regarding: { kind: 'ConfigMap', namespace: 'default', name: 'c', apiVersion: 'v1' },
  note: 'all good',
  type: 'Normal',
  deprecatedCount: 3,
  deprecatedSource: { component: 'old' },
} as unknown as KObject;

describe('events.k8s.io/v1 <-> core v1 Event conversion', () => {
  it('renames what kube renames and keeps the rest, both ways', () => {
    const core = eventsV1ToCore(v1Event) as any;
    expect(core).toEqual({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: v1Event.metadata,
      eventTime: '2026-01-02T03:04:05.123456Z',
      series: { count: 2, lastObservedTime: '2026-01-02T03:04:06.000000Z' },
      reportingComponent: 'example.com/ctl',
      reportingInstance: 'ctl-1',
      action: 'Reconciling',
      reason: 'Synced',
      involvedObject: { kind: 'ConfigMap', namespace: 'default', name: 'c', apiVersion: 'v1' },
      message: 'all good',
      type: 'Normal',
      count: 3,
      source: { component: 'old' },
    });
    expect(eventToEventsV1(core)).toEqual(v1Event);
  });
});

describe('events.k8s.io/v1 through the REST API', () => {
  let t: TestKernel;
  let app: FastifyInstance;
  let base: string;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  beforeAll(async () => {
    t = await startTestKernel();
    app = await createApiServer({ kernel: t.kernel });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await t?.stop();
  });

  it('is in discovery', async () => {
    const r = await api('GET', '/apis/events.k8s.io/v1');
    expect(r.status).toBe(200);
    expect(r.body.resources).toContainEqual(expect.objectContaining({ name: 'events', kind: 'Event', namespaced: true }));
  });

  // what a recorder sends: no deprecated* fields (a create with them is refused, as kube refuses it)
  const { deprecatedCount: _c, deprecatedSource: _s, deprecatedFirstTimestamp: _f, deprecatedLastTimestamp: _l, ...newEvent } = v1Event as typeof v1Event & Record<string, unknown>;

  it('creates in one group, reads in both, patches and deletes', async () => {
    const c = await api('POST', EV1, newEvent);
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ apiVersion: 'events.k8s.io/v1', note: 'all good', regarding: { name: 'c' }, reportingController: 'example.com/ctl' });
    expect(c.body.message).toBeUndefined();
    const core = await api('GET', `${CORE}/e1`);
    expect(core.body).toMatchObject({ apiVersion: 'v1', message: 'all good', involvedObject: { name: 'c' }, reportingComponent: 'example.com/ctl' });
    const list = await api('GET', EV1);
    expect(list.body).toMatchObject({ apiVersion: 'events.k8s.io/v1', kind: 'EventList', items: [{ metadata: { name: 'e1' }, note: 'all good' }] });
    const p = await fetch(`${base}${EV1}/e1`, { method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ note: 'changed', series: { count: 3 } }) });
    expect(p.status).toBe(200);
    expect((await api('GET', `${CORE}/e1`)).body).toMatchObject({ message: 'changed', series: { count: 3 } });
    // a core Event written by a kubelet reads as events.k8s.io/v1
    await api('POST', CORE, { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e2' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'Started', message: 'started', source: { component: 'kubelet' } });
    expect((await api('GET', `${EV1}/e2`)).body).toMatchObject({ apiVersion: 'events.k8s.io/v1', regarding: { kind: 'Pod', name: 'p' }, note: 'started', deprecatedSource: { component: 'kubelet' } });
    expect((await api('DELETE', `${EV1}/e1`)).status).toBe(200);
    expect((await api('GET', `${CORE}/e1`)).status).toBe(404);
  });

  it('refuses a body of another kind or version', async () => {
    expect((await api('POST', EV1, { ...newEvent, apiVersion: 'v1' })).status).toBe(400);
  });

  it('refuses an events.k8s.io/v1 create without what kube requires, with a 422 naming each field; stores nothing', async () => {
    const bare = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'bare' }, regarding: { kind: 'Pod', name: 'p', namespace: 'default' } };
    const r = await api('POST', EV1, bare);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'Invalid', details: { name: 'bare', group: 'events.k8s.io', kind: 'Event' } });
    expect(r.body.message).toMatch(/^Event\.events\.k8s\.io "bare" is invalid: eventTime: Required value/);
    expect(r.body.details.causes.map((c: { field: string }) => c.field).sort()).toEqual(['eventTime', 'type']);
    const old = await api('POST', EV1, { ...newEvent, metadata: { name: 'old' }, deprecatedCount: 2, type: 'Odd', series: { count: 1 }, reportingController: 'not a name!', action: 'x'.repeat(129) });
    expect(old.status).toBe(422);
    expect(Object.fromEntries(old.body.details.causes.map((c: { field: string; message: string }) => [c.field, c.message]))).toMatchObject({
      deprecatedCount: expect.stringMatching(/needs to be unset/),
      type: expect.stringMatching(/has invalid value: Odd/),
      'series.count': expect.stringMatching(/at least 2/),
      'series.lastObservedTime': 'Required value',
      reportingController: expect.stringMatching(/name part must consist of alphanumeric characters/),
      action: expect.stringMatching(/at most 128 characters/),
    });
    for (const name of ['bare', 'old']) expect((await api('GET', `${CORE}/${name}`)).status).toBe(404);
  });

  it('a core v1 Event with eventTime needs its reporting component, instance and action (kube\'s legacy rules); one without stays as it was', async () => {
    const r = await api('POST', CORE, { apiVersion: 'v1', kind: 'Event', metadata: { name: 'half' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'Started', eventTime: '2026-12-07T10:00:00.000000Z' });
    expect(r.status).toBe(422);
    expect(r.body.details.causes.map((c: { field: string }) => c.field).sort()).toEqual(['action', 'reportingComponent', 'reportingInstance']);
    const ok = await api('POST', CORE, { apiVersion: 'v1', kind: 'Event', metadata: { name: 'whole' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'Started', eventTime: '2026-12-07T10:00:00.000000Z', reportingComponent: 'kubelet', reportingInstance: 'node-a', action: 'Start', type: 'Normal' });
    expect(ok.status).toBe(201);
  });
});
