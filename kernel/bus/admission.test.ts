// Remote admission handlers and the keepalive lifetimes of everything a client holds on the server.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { errors, StatusError } from '../status.ts';
import type { KObject } from '../types.ts';
import { connectKernel, KernelBusClient } from './client.ts';
import { CM, NS, cm, ns, startBusFixture, take, type BusFixture } from './testing.ts';

let f: BusFixture;
beforeAll(async () => {
  f = await startBusFixture({ server: { keepaliveTtlMs: 600 }, client: { keepaliveMs: 100, watchSilenceMs: 600 } });
  await f.kernel.create(NS, ns('default'));
});
afterAll(async () => {
  await f?.stop();
});

describe('remote admission', () => {
  test('a mutating handler adds a label; a validating one rejects with its message; both go when disposed', async () => {
    const seen: string[] = [];
    const mut = await f.client.registerAdmissionAsync({
      name: 'add-label',
      phase: 'mutating',
      matchSpec: { resource: 'configmaps', operations: ['CREATE'] },
      handle: (req) => {
        seen.push(`${req.operation}:${req.object.metadata.name}`);
        const o = req.object;
        return { ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, 'skiff.io/touched': 'yes' } } };
      },
    });
    const val = f.client.registerAdmission({
      name: 'no-forbidden',
      phase: 'validating',
      match: (req) => req.kind.resource === 'configmaps',
      handle: (req) => {
        if (req.object.metadata.name?.startsWith('forbidden')) throw errors.forbidden('configmaps named forbidden-* are not allowed');
      },
    });
    await expect.poll(() => f.bus.stats().admissionHandlers).toBe(2);

    const a = await f.kernel.create(CM, cm('adm-a'));
    expect(a.metadata.labels).toEqual({ 'skiff.io/touched': 'yes' });
    // the bus client's own writes go through the same chain
    const b = await f.client.create(CM, cm('adm-b'));
    expect(b.metadata.labels).toEqual({ 'skiff.io/touched': 'yes' });
    // UPDATE is not in matchSpec: the handler is not even asked
    await f.client.update(CM, { ...b, data: { x: '1' } });
    expect(seen).toEqual(['CREATE:adm-a', 'CREATE:adm-b']);

    for (const k of [f.kernel, f.client]) {
      const e = await k.create(CM, cm('forbidden-1')).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(StatusError);
      expect((e as StatusError).status).toMatchObject({ code: 403, reason: 'Forbidden', message: 'configmaps named forbidden-* are not allowed' });
    }

    mut.dispose();
    val.dispose();
    await expect.poll(() => f.bus.stats().admissionHandlers).toBe(0);
    expect(f.kernel.admission.size).toBe(0);
    const c = await f.kernel.create(CM, cm('forbidden-2'));
    expect(c.metadata.labels).toBeUndefined();
  });

  test('a crashing handler follows its failurePolicy', async () => {
    const fail = await f.client.registerAdmissionAsync({ name: 'boom', phase: 'validating', handle: () => { throw new Error('boom'); } });
    const e = await f.kernel.create(CM, cm('crash-1')).catch((x: unknown) => x as StatusError);
    expect((e as StatusError).status).toMatchObject({ code: 500, reason: 'InternalError' });
    expect((e as StatusError).message).toContain('boom');
    fail.dispose();
    const ignore = await f.client.registerAdmissionAsync({ name: 'boom2', phase: 'validating', failurePolicy: 'Ignore', timeoutMs: 200, handle: () => new Promise(() => {}) });
    expect((await f.kernel.create(CM, cm('crash-2'))).metadata.name).toBe('crash-2');
    ignore.dispose();
    await expect.poll(() => f.bus.stats().admissionHandlers).toBe(0);
  });

  test('a client that goes away loses its handlers and watches', async () => {
    const nc = await connect({ servers: f.nats.url });
    const other = await connectKernel(nc, { keepaliveMs: 100 });
    await other.registerAdmissionAsync({ name: 'gone', phase: 'validating', timeoutMs: 300, handle: () => { throw errors.forbidden('no'); } });
    other.watch(CM, { namespace: 'default' });
    await expect.poll(() => f.bus.stats()).toMatchObject({ admissionHandlers: 1, watches: 1 });
    await expect(f.kernel.create(CM, cm('while-alive'))).rejects.toThrow('no');
    // a crashed process: no unregister, no stop; its connection just closes
    await nc.close();
    // once NATS has noticed, its inbox has no responders: the handler is dropped on the next call
    // (or by the keepalive sweep) and writes pass again
    let n = 0;
    const attempt = () => f.kernel.create(CM, cm(`after-death-${n++}`)).then(() => 'ok', (e: Error) => e.message);
    await expect.poll(attempt, { timeout: 3000, interval: 50 }).toBe('ok');
    expect(f.bus.stats().admissionHandlers).toBe(0);
    // the watch goes when its keepalives stop
    await expect.poll(() => f.bus.stats().watches, { timeout: 3000 }).toBe(0);
  });

  test('a watch whose server goes silent ends cleanly', async () => {
    // a fake kernel on its own prefix: accepts the watch, then never says anything again
    const fake = f.serverNc.subscribe('fake.kernel.watch', { callback: (_e, m) => void m.respond(JSON.stringify({ ok: {} })) });
    const fk = await connectKernel(f.clientNc, { prefix: 'fake.kernel', keepaliveMs: 100, watchSilenceMs: 500 }).catch(() => undefined);
    expect(fk).toBeUndefined(); // no kinds on the fake: connectKernel fails (503 no responders)
    const client = new KernelBusClient(f.clientNc, { prefix: 'fake.kernel', keepaliveMs: 100, watchSilenceMs: 500 });
    const t0 = Date.now();
    expect(await take(client.watch(CM), 1, 3000)).toEqual([]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    await client.close();
    fake.unsubscribe();
  });

  test('stopping the bus server ends its watches cleanly', async () => {
    const w = f.client.watch(CM, { namespace: 'default', resourceVersion: '0' });
    expect((await take(w, 1))[0]!.type).toBe('ADDED');
    expect(f.bus.stats().watches).toBe(1);
    await f.bus.stop();
    const rest = await take(w, 1000, 3000);
    expect(rest.every((e: { object: KObject }) => e.object.kind === 'ConfigMap')).toBe(true);
  });
});
