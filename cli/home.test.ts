import { mkdtempSync, rmSync, statSync, unlinkSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultHome, ensureHome } from './home.ts';

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'skiff-home-'));
  dirs.push(d);
  return join(d, 'home'); // not yet there: ensureHome creates it
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const mode = (p: string) => statSync(p).mode & 0o777;

describe('ensureHome', () => {
  it('creates the home with private keys, token and secret key', async () => {
    const home = fresh();
    const h = await ensureHome(home);
    expect(mode(home)).toBe(0o700);
    expect(statSync(h.dataDir).isDirectory()).toBe(true);
    expect(h.dataDir).toBe(join(home, 'data'));
    expect(h.kubeconfigPath).toBe(join(home, 'kubeconfig'));
    for (const f of ['pki/ca.key', 'pki/server.key', 'token', 'secret-encryption.key']) {
      expect(mode(join(home, f)), f).toBe(0o600);
    }
    expect(h.adminToken).toMatch(/^[0-9a-f]{64}$/);
    expect(h.secretKey).toHaveLength(32);
    expect(readFileSync(join(home, 'pki/ca.crt'), 'utf8')).toBe(h.caCertPem);
    expect(new X509Certificate(h.serverCertPem).checkIssued(new X509Certificate(h.caCertPem))).toBe(true);
  });

  it('reuses everything on a second start', async () => {
    const home = fresh();
    const a = await ensureHome(home);
    const b = await ensureHome(home);
    expect(b).toEqual(a);
  });

  it('re-issues the serving cert from the same CA for new SANs or a missing cert', async () => {
    const home = fresh();
    const a = await ensureHome(home);
    const b = await ensureHome(home, { extraSANs: ['10.0.0.7', 'skiff.local'] });
    expect(b.caCertPem).toBe(a.caCertPem);
    expect(b.adminToken).toBe(a.adminToken);
    expect(b.serverCertPem).not.toBe(a.serverCertPem);
    expect(new X509Certificate(b.serverCertPem).subjectAltName).toContain('IP Address:10.0.0.7');
    expect((await ensureHome(home, { extraSANs: ['skiff.local'] })).serverCertPem).toBe(b.serverCertPem);
    unlinkSync(join(home, 'pki/server.crt'));
    const c = await ensureHome(home);
    expect(c.caCertPem).toBe(a.caCertPem);
    expect(new X509Certificate(c.serverCertPem).checkIssued(new X509Certificate(a.caCertPem))).toBe(true);
  });

  it('defaultHome honours SKIFF_HOME', () => {
    const old = process.env.SKIFF_HOME;
    try {
      process.env.SKIFF_HOME = '/tmp/x-skiff';
      expect(defaultHome()).toBe('/tmp/x-skiff');
      delete process.env.SKIFF_HOME;
      expect(defaultHome()).toMatch(/\/\.skiff$/);
    } finally {
      if (old === undefined) delete process.env.SKIFF_HOME;
      else process.env.SKIFF_HOME = old;
    }
  });
});
