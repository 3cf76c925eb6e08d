import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { createApiServer } from './server.ts';

let t: TestKernel;
let app: FastifyInstance;
let port: number;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  t = await startTestKernel();
  app = await createApiServer({ kernel: t.kernel, tls: { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await app?.close();
  await t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Whether `openssl s_client` with these arguments completes a handshake, and the cipher it got (async: the server is in this process). */
function handshake(...args: string[]): Promise<{ ok: boolean; cipher?: string }> {
  return new Promise((resolve) => {
    const p = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c) => (out += c));
    p.stdin.end();
    const timer = setTimeout(() => p.kill(), 15_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      const cipher = /Cipher is (\S+)/.exec(out)?.[1];
      resolve({ ok: code === 0 && cipher !== undefined && cipher !== '(NONE)', cipher });
    });
  });
}

describe('TLS suites', () => {
  it('refuses CBC-SHA1 and static-RSA suites on TLS 1.2', async () => {
    for (const c of ['AES128-SHA', 'AES256-SHA', 'ECDHE-RSA-AES128-SHA', 'AES128-GCM-SHA256', 'ECDHE-RSA-AES128-SHA256']) {
      expect((await handshake('-tls1_2', '-cipher', c)).ok, c).toBe(false);
    }
  });
  it('takes ECDHE + AEAD on TLS 1.2, and TLS 1.3', async () => {
    expect(await handshake('-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256')).toEqual({ ok: true, cipher: 'ECDHE-RSA-AES128-GCM-SHA256' });
    expect((await handshake('-tls1_2', '-cipher', 'ECDHE-RSA-CHACHA20-POLY1305')).ok).toBe(true);
    expect((await handshake('-tls1_3')).ok).toBe(true);
  });
  it('refuses TLS 1.1', async () => {
    expect((await handshake('-tls1_1')).ok).toBe(false);
  });
});
