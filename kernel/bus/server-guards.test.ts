import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBusFixture, type BusFixture } from './testing.ts';
import { decode, encode, subjects } from './protocol.ts';

const s = subjects();
const cmRef = { group: '', version: 'v1', resource: 'configmaps' };
let f: BusFixture;

beforeAll(async () => {
  f = await startBusFixture();
  await f.kernel.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
});
afterAll(async () => {
  await f?.stop();
});

/** A raw bus request, as any NATS client could send it. */
async function call(subject: string, body: unknown): Promise<any> {
  const m = await f.clientNc.request(subject, typeof body === 'string' ? new TextEncoder().encode(body) : encode(body), { timeout: 5000 });
  return decode(m.data);
}

describe('kernel bus input guards', () => {
  it('refuses a body nested past the limit with 400', async () => {
    const deep = '{"ref":' + '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000) + '}';
    const r = await call(s.list, deep);
    expect(r.error).toMatchObject({ kind: 'Status', code: 400 });
    expect(r.error.message).toContain('nested too deeply');
  });

  it('answers a 5 KB name with 404 and keeps its connection', async () => {
    const r = await call(s.get, { ref: cmRef, namespace: 'default', name: 'a'.repeat(5000) });
    expect(r.error).toMatchObject({ code: 404, reason: 'NotFound' });
    expect(f.serverNc.isClosed()).toBe(false);
    // and serves the next request
    await f.kernel.create(cmRef, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after', namespace: 'default' } });
    expect((await call(s.get, { ref: cmRef, namespace: 'default', name: 'after' })).ok.metadata.name).toBe('after');
  });

  it('refuses a watch or an admission registration whose inbox it could not publish to', async () => {
    const long = '_INBOX.' + 'x'.repeat(5000);
    for (const inbox of [long, 'a b', 'a.*', 'a..b', '>']) {
      const w = await call(s.watch, { watchId: `w-${inbox.length}-${inbox[0]}`, inbox, ref: cmRef });
      expect(w.error, inbox).toMatchObject({ code: 400 });
      const a = await call(s.admissionRegister, { id: 'x', name: 'x', phase: 'validating', inbox });
      expect(a.error, inbox).toMatchObject({ code: 400 });
    }
    expect(f.serverNc.isClosed()).toBe(false);
    expect(f.bus.stats()).toMatchObject({ watches: 0, admissionHandlers: 0 });
    // the client's own watches still work
    const w = f.client.watch(cmRef, { namespace: 'default', resourceVersion: '0' });
    const it = w[Symbol.asyncIterator]();
    expect((await it.next()).value).toMatchObject({ type: 'ADDED' });
    w.stop();
  });

  it('refuses a kind whose group or resource is too long for a store key', async () => {
    const r = await call(s.registerKind, { def: { group: 'g'.repeat(300) + '.io', version: 'v1', kind: 'K', resource: 'ks', namespaced: true } });
    expect(r.error).toMatchObject({ code: 400 });
    const r2 = await call(s.registerKind, { def: { group: 'x.io', version: 'v1', kind: 'K', resource: 'k'.repeat(64), namespaced: true } });
    expect(r2.error).toMatchObject({ code: 400 });
  });
});
