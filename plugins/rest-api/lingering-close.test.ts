import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { createApiServer } from './server.ts';

const TOKEN = 't';
const LIMIT = 64 * 1024;
let t: TestKernel;
let plain: FastifyInstance;
let tls: FastifyInstance;
let dir: string;
const port = (a: FastifyInstance) => (a.server.address() as { port: number }).port;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-linger-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  t = await startTestKernel();
  plain = await createApiServer({ kernel: t.kernel, tokens: [TOKEN], bodyLimit: LIMIT });
  await plain.listen({ host: '127.0.0.1', port: 0 });
  tls = await createApiServer({ kernel: t.kernel, tokens: [TOKEN], bodyLimit: LIMIT, tls: { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') } });
  await tls.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await plain?.close();
  await tls?.close();
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Sends `head` then `total` bytes of body, and reads the answer only once it has sent it all (as a
 * simple client does): the answer must still be there, not lost to a reset of the connection.
 */
function upload(open: () => Socket, head: string, total: number): Promise<{ text: string; error?: string }> {
  return new Promise((resolve) => {
    const s = open();
    let text = '';
    let error: string | undefined;
    s.pause();
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('error', (e) => (error = (e as NodeJS.ErrnoException).code ?? e.message));
    s.on('close', () => resolve({ text, error }));
    const piece = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const pump = () => {
      while (sent < total && !s.destroyed) {
        sent += piece.length;
        if (!s.write(piece)) return void s.once('drain', pump);
      }
      s.end(() => s.resume());
    };
    s.write(head);
    pump();
    setTimeout(() => s.destroy(), 20_000).unref();
  });
}

const head = (contentLength: number) =>
  `POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n{"metadata":{"name":"big"},"data":{"k":"`;

describe('a body over the limit gets its 413, not a reset', () => {
  const cases: [string, () => Socket][] = [
    ['plain', () => netConnect(port(plain), '127.0.0.1')],
    ['TLS', () => tlsConnect({ port: port(tls), host: '127.0.0.1', rejectUnauthorized: false })],
  ];
  for (const [name, open] of cases) {
    it(`${name}: a declared 8 MiB body is answered 413 while the client is still sending`, async () => {
      const r = await upload(open, head(8 * 1024 * 1024), 8 * 1024 * 1024);
      expect(r.text, `socket error ${r.error}`).toMatch(/^HTTP\/1\.1 413 /);
      const body = JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4));
      expect(body).toMatchObject({ kind: 'Status', code: 413, reason: 'RequestEntityTooLarge' });
    });

    it(`${name}: a body that lies about its length (100 bytes declared, 4 MiB sent) gets a 4xx Status`, async () => {
      // the first 100 bytes are a broken JSON body, the rest a request line of 'a's: either answer will do
      const r = await upload(open, head(100), 4 * 1024 * 1024);
      expect(r.text, `socket error ${r.error}`).toMatch(/^HTTP\/1\.1 4\d\d /);
      expect(r.text).toContain('"kind":"Status"');
    });
  }

  it('the server lets go of a lingering connection whose client never closes', async () => {
    const s = netConnect({ port: port(plain), host: '127.0.0.1', allowHalfOpen: true });
    let text = '';
    let error: string | undefined;
    s.on('data', (d) => (text += d));
    s.on('error', (e) => (error = e.message));
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.write(head(8 * 1024 * 1024)); // then nothing more: no body, no close
    const t0 = Date.now();
    while (!text.includes('\r\n\r\n') && !error && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
    expect(text, error).toMatch(/^HTTP\/1\.1 413 /);
    const open = () => new Promise<number>((r) => plain.server.getConnections((_e, n) => r(n)));
    while ((await open()) > 0 && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 100));
    expect(await open()).toBe(0);
    expect(Date.now() - t0).toBeGreaterThan(3_000); // it lingered (LINGER_MS, 5 s) ...
    expect(Date.now() - t0).toBeLessThan(12_000); // ... then let go
    s.destroy();
  }, 20_000);
});
