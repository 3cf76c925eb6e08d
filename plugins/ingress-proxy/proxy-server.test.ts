// ProxyServer alone (a route table given directly, backends on 127.0.0.1): a second ProxyServer on
// the same address takes the listening server over (as a hot-reloaded plugin does), the first one's
// request in flight finishes, and the port stays open until the last holder closes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BackendPool } from './backends.ts';
import { ProxyServer } from './proxy-server.ts';
import { emptyTable, type RouteTable } from './route-table.ts';
import { selfSignedCert, type CertAndKey } from './self-signed.ts';
import { get } from './testing.ts';

let backend: Server;
let port: number;
let cert: CertAndKey;
beforeAll(async () => {
  cert = await selfSignedCert([]);
  backend = createServer((req, res) => {
    const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 0);
    setTimeout(() => res.end(JSON.stringify({ backend: req.headers['x-which'] ?? 'none', path: req.url, headers: req.headers })), ms);
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  port = (backend.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => backend.close(() => r())));

/** A table whose every request goes to the backend (the default backend), or to nothing (503 with `label`). */
const table = (label: string, live = true): RouteTable => ({ ...emptyTable(), defaultBackend: new BackendPool(label, live ? [{ host: '127.0.0.1', port }] : [], undefined, label) });

describe('ProxyServer', () => {
  test('a second server on the same address takes over; the first one\'s request in flight finishes; the port closes with the last', async () => {
    const one = new ProxyServer({ http: { host: '127.0.0.1', port: 0 }, defaultCert: cert });
    one.setTable(table('one'));
    const { http } = await one.listen();
    const p = http!.port;
    expect((await get(p, '/')).status).toBe(200);
    const slow = get(p, '/?ms=800');
    await new Promise((r) => setTimeout(r, 100));
    const two = new ProxyServer({ http: { host: '127.0.0.1', port: p }, defaultCert: cert });
    two.setTable(table('two', false));
    expect((await two.listen()).http!.port).toBe(p);
    const r = await get(p, '/');
    expect([r.status, r.body]).toEqual([503, 'two\n']); // the new one answers
    const closing = one.close(5_000);
    expect((await slow).status).toBe(200); // the old one's request in flight finished
    await closing;
    expect((await get(p, '/')).body).toBe('two\n'); // still listening: two holds it
    await two.close(500);
    await expect(get(p, '/')).rejects.toThrow(/ECONNREFUSED/);
  });

  test('a connect failure is retried on the next endpoint; when all fail, 502', async () => {
    const dead = { host: '127.0.0.1', port: 1 }; // nothing listens on port 1
    const s = new ProxyServer({ http: { host: '127.0.0.1', port: 0 }, defaultCert: cert });
    s.setTable({ ...emptyTable(), defaultBackend: new BackendPool('x', [dead, { host: '127.0.0.1', port }]) });
    const { http } = await s.listen();
    for (let i = 0; i < 4; i++) expect((await get(http!.port, '/')).status).toBe(200);
    s.setTable({ ...emptyTable(), defaultBackend: new BackendPool('x', [dead]) });
    const r = await get(http!.port, '/');
    expect(r.status).toBe(502);
    expect(r.body).toContain('ECONNREFUSED');
    await s.close(500);
  });

  test('a backend that does not answer in time: 504', async () => {
    const s = new ProxyServer({ http: { host: '127.0.0.1', port: 0 }, defaultCert: cert, responseTimeoutMs: 200 });
    s.setTable(table('t'));
    const { http } = await s.listen();
    expect((await get(http!.port, '/?ms=1000')).status).toBe(504);
    expect((await get(http!.port, '/?ms=10')).status).toBe(200);
    await s.close(500);
  });
});
