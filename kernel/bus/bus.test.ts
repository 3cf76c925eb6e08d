// The same scenario against the kernel directly and through the bus client: same results, same
// StatusErrors. Plus what only the bus has: malformed requests, large replies, lost events.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { StatusError } from '../status.ts';
import type { Kernel, KObject } from '../types.ts';
import { CM, NS, POD, cm, ns, pod, startBusFixture, take, type BusFixture } from './testing.ts';
import { BusWatch } from './client-watch.ts';
import { subjects } from './protocol.ts';

let f: BusFixture;
beforeAll(async () => {
  f = await startBusFixture({ eventsPerResource: 5 });
  await f.kernel.create(NS, ns('default'));
  await f.kernel.create(NS, ns('direct'));
  await f.kernel.create(NS, ns('bus'));
});
afterAll(async () => {
  await f?.stop();
});

async function statusOf(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StatusError);
    return e as StatusError;
  }
  throw new Error('expected a StatusError');
}

/** Status without the parts that name the transport's own objects. */
const shape = (e: StatusError) => JSON.parse(JSON.stringify(e.status).replace(/direct|bus/g, 'X'));
const seen: Record<string, Record<string, StatusError>> = {};

describe.each([
  ['direct', () => f.kernel as Kernel],
  ['bus', () => f.client as Kernel],
])('%s', (where, k) => {
  const name = `${where}-a`;
  const errs: Record<string, StatusError> = {};

  test('create / get / list / update / stale update / delete / 404', async () => {
    const created = await k().create(CM, cm(name, { a: '1' }, where));
    expect(created.metadata).toMatchObject({ name, namespace: where, resourceVersion: expect.any(String), uid: expect.any(String) });
    const got = await k().get(CM, where, name);
    expect(got).toEqual(created);
    const list = await k().list(CM, { namespace: where });
    expect(list.kind).toBe('ConfigMapList');
    expect(list.items.map((o) => o.metadata.name)).toEqual([name]);

    const updated = await k().update(CM, { ...got, data: { a: '2' } });
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(got.metadata.resourceVersion));
    errs.conflict = await statusOf(k().update(CM, { ...got, data: { a: '3' } }));
    expect(errs.conflict.code).toBe(409);
    errs.exists = await statusOf(k().create(CM, cm(name, {}, where)));
    expect(errs.exists.reason).toBe('AlreadyExists');

    const patched = await k().patch(CM, where, name, 'merge', { data: { b: 'x' } });
    expect(patched.data).toEqual({ a: '2', b: 'x' });
    const deleted = await k().delete(CM, where, name);
    expect(deleted.metadata.name).toBe(name);
    errs.notFound = await statusOf(k().get(CM, where, name));
    expect(errs.notFound.code).toBe(404);
    errs.noKind = await statusOf(k().get({ group: 'nope.io', version: 'v1', resource: 'things' }, where, 'x'));
    expect(errs.noKind.code).toBe(404);
  });

  test('an invalid Pod is a 422 with causes', async () => {
    errs.invalid = await statusOf(k().create(POD, pod(`${where}-p`)));
    expect(errs.invalid.code).toBe(422);
    expect(errs.invalid.reason).toBe('Invalid');
    expect(errs.invalid.status.details?.causes).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'spec.containers[0].image' })]));
  });

  test('errors are identical through both transports', () => {
    seen[where] = errs;
    expect(Object.keys(errs)).toEqual(['conflict', 'exists', 'notFound', 'noKind', 'invalid']);
    if (where === 'bus') for (const key of Object.keys(errs)) expect(shape(seen.bus![key]!), key).toEqual(shape(seen.direct![key]!));
  });

  test('kinds and kindFor', () => {
    expect(k().kindFor(POD)).toMatchObject({ kind: 'Pod', namespaced: true });
    expect(k().kinds().length).toBe(f.kernel.kinds().length);
    expect(() => k().kindFor({ group: 'x', version: 'v1', resource: 'ys' })).toThrow(StatusError);
  });

  test('kindSchema: the schema a kind was registered with (the same over the bus)', async () => {
    const pod = (await k().kindSchema!(POD)) as { properties: Record<string, unknown> };
    expect(Object.keys(pod.properties)).toEqual(['spec', 'status']);
    expect(await k().kindSchema!({ group: 'x', version: 'v1', resource: 'ys' })).toBeUndefined();
  });

  test('watch sees ADDED, MODIFIED, DELETED in order and stops cleanly', async () => {
    const start = await k().list(CM, { namespace: where });
    const w = k().watch(CM, { namespace: where, resourceVersion: start.metadata.resourceVersion });
    const n = `${where}-w`;
    const o = await k().create(CM, cm(n, {}, where));
    await k().update(CM, { ...o, data: { x: '1' } });
    await k().delete(CM, where, n);
    const evs = await take(w, 3);
    expect(evs.map((e) => `${e.type}:${e.object.metadata.name}`)).toEqual([`ADDED:${n}`, `MODIFIED:${n}`, `DELETED:${n}`]);
    w.stop();
    expect(await take(w, 1)).toEqual([]);
  });

  test('watch from a compacted resourceVersion yields a 410 ERROR event', async () => {
    const first = await k().create(CM, cm(`${where}-old`, {}, where));
    let o = first;
    for (let i = 0; i < 8; i++) o = await k().update(CM, { ...o, data: { i: String(i) } });
    const w = k().watch(CM, { namespace: where, resourceVersion: first.metadata.resourceVersion });
    const evs = await take(w, 2);
    expect(evs).toHaveLength(1);
    expect(evs[0]!.type).toBe('ERROR');
    expect(evs[0]!.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });
});

describe('bus only', () => {
  test('a malformed request gets a 400 and the server keeps serving', async () => {
    const s = subjects();
    const ask = async (subject: string, data: string) => JSON.parse(new TextDecoder().decode((await f.clientNc.request(subject, data, { timeout: 2000 })).data));
    expect(await ask(s.get, 'not json{')).toMatchObject({ error: { code: 400, reason: 'BadRequest' } });
    expect(await ask(s.get, '[1,2]')).toMatchObject({ error: { code: 400 } });
    expect(await ask(s.get, JSON.stringify({ ref: { group: '' }, name: 'x' }))).toMatchObject({ error: { code: 400 } });
    expect(await ask(s.patch, JSON.stringify({ ref: CM, namespace: 'bus', name: 'x', patchType: 'yolo', patch: {} }))).toMatchObject({ error: { code: 400 } });
    expect(await ask(s.create, JSON.stringify({ ref: CM }))).toMatchObject({ error: { code: 400 } });
    expect(await ask(s.watch, JSON.stringify({ ref: CM }))).toMatchObject({ error: { code: 400 } });
    expect(await ask(s.admissionRegister, JSON.stringify({ id: 'x', phase: 'sideways' }))).toMatchObject({ error: { code: 400 } });
    f.clientNc.publish(s.watchKeepalive, 'garbage');
    f.clientNc.publish(s.watchStop, new Uint8Array([0xff, 0xfe]));
    expect((await f.client.get(NS, undefined, 'bus')).metadata.name).toBe('bus');
  });

  test('a reply larger than max_payload arrives in pieces', async () => {
    await f.client.create(NS, ns('big'));
    const blob = 'x'.repeat(200_000);
    for (let i = 0; i < 8; i++) await f.client.create(CM, cm(`big-${i}`, { blob }, 'big'));
    const list = await f.client.list(CM, { namespace: 'big' });
    expect(list.items).toHaveLength(8);
    expect(list.items.every((o: KObject) => (o.data as { blob: string }).blob.length === 200_000)).toBe(true);
  });

  test('a gap in seq ends the watch with a 410 ERROR event', async () => {
    let told = false;
    const w = new BusWatch('w', () => (told = true));
    const msg = (m: unknown) => new TextEncoder().encode(JSON.stringify(m));
    w.deliver(msg({ seq: 1, event: { type: 'ADDED', object: cm('a') } }));
    w.deliver(msg({ hb: true }));
    w.deliver(msg({ seq: 3, event: { type: 'ADDED', object: cm('c') } }));
    const evs = await take(w, 3);
    expect(evs.map((e) => e.type)).toEqual(['ADDED', 'ERROR']);
    expect(evs[1]!.object).toMatchObject({ code: 410, reason: 'Expired' });
    expect(told).toBe(true);
  });

  test('a watch of an unknown resource throws its 404 on iteration', async () => {
    const w = f.client.watch({ group: 'nope.io', version: 'v1', resource: 'things' });
    const e = await statusOf(take(w, 1));
    expect(e.code).toBe(404);
  });

  test('stopped watches are released on the server', async () => {
    const ws = [f.client.watch(CM, { namespace: 'bus' }), f.client.watch(CM, { namespace: 'bus' })];
    await new Promise((r) => setTimeout(r, 200));
    expect(f.bus.stats().watches).toBeGreaterThanOrEqual(2);
    for (const w of ws) w.stop();
    await new Promise((r) => setTimeout(r, 200));
    expect(f.bus.stats().watches).toBe(0);
  });

  test('registerKind over the bus', async () => {
    const ref = { group: 'example.com', version: 'v1', resource: 'widgets' };
    const d = await f.client.registerKindAsync({ group: 'example.com', version: 'v1', kind: 'Widget', resource: 'widgets', namespaced: true });
    expect(f.client.kindFor(ref)).toMatchObject({ kind: 'Widget' });
    const w = await f.client.create(ref, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1', namespace: 'bus' }, spec: { size: 1 } });
    expect(w.metadata.uid).toBeTruthy();
    d.dispose();
    await expect.poll(() => f.kernel.kinds().some((k) => k.resource === 'widgets')).toBe(false);
  });
});
