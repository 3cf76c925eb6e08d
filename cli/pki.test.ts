import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer, type Server } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certInfo, generateCA, generateServerCert, type CertAndKey } from './pki.ts';
import { writeKubeconfig } from './kubeconfig.ts';

let ca: CertAndKey;
let server: CertAndKey;
beforeAll(async () => {
  ca = await generateCA();
  server = await generateServerCert(ca, ['skiff.example', '10.1.2.3']);
});

function listen(s: Server): Promise<number> {
  return new Promise((res) => s.listen(0, '127.0.0.1', () => res((s.address() as AddressInfo).port)));
}

/** Connects and resolves with the authorization error (undefined if the peer verified). */
function handshake(port: number, host: string, servername: string | undefined, caPem?: string) {
  return new Promise<string | undefined>((res, rej) => {
    const sock = connect({ port, host, servername, ca: caPem, rejectUnauthorized: false }, () => {
      const err = sock.authorizationError ? String(sock.authorizationError) : undefined;
      sock.end();
      res(err);
    });
    sock.on('error', rej);
  });
}

describe('pki', () => {
  it('issues a P-256 CA and a serving cert with the expected fields', () => {
    const c = new X509Certificate(ca.certPem);
    expect(c.ca).toBe(true);
    expect(c.subject).toBe('CN=skiff-ca');
    expect(c.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const years = (Date.parse(c.validTo) - Date.now()) / (365 * 86_400_000);
    expect(years).toBeGreaterThan(9.9);

    const s = new X509Certificate(server.certPem);
    expect(s.ca).toBe(false);
    expect(s.checkIssued(c)).toBe(true);
    expect(s.verify(c.publicKey)).toBe(true);
    expect(s.keyUsage).toContain('1.3.6.1.5.5.7.3.1');
    expect(s.subjectAltName).toBe(
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:skiff.example, IP Address:10.1.2.3',
    );
    expect(certInfo(server.certPem).sans).toContain('ip:::1');
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(server.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  describe('over TLS', () => {
    let srv: Server;
    let port = 0;
    beforeAll(async () => {
      srv = createServer({ cert: server.certPem, key: server.keyPem }, (s) => s.end());
      port = await listen(srv);
    });
    afterAll(() => srv.close());

    it('a client trusting only the CA verifies localhost, 127.0.0.1 and extra SANs', async () => {
      expect(await handshake(port, '127.0.0.1', 'localhost', ca.certPem)).toBeUndefined();
      expect(await handshake(port, '127.0.0.1', undefined, ca.certPem)).toBeUndefined(); // IP SAN
      expect(await handshake(port, '127.0.0.1', 'skiff.example', ca.certPem)).toBeUndefined();
    });

    it('a client that does not trust the CA fails', async () => {
      const other = await generateCA();
      expect(await handshake(port, '127.0.0.1', 'localhost', other.certPem)).toMatch(/SELF_SIGNED|UNABLE|verify/i);
      expect(await handshake(port, '127.0.0.1', 'localhost')).toMatch(/SELF_SIGNED|UNABLE|verify/i);
    });

    it('a name not in the SANs fails', async () => {
      expect(await handshake(port, '127.0.0.1', 'evil.example', ca.certPem)).toMatch(/ALTNAME/);
    });
  });

  // Go's TLS stack (kubectl) is stricter than Node's about serials, key usages and SANs.
  const kubectls = [process.env.SKIFF_KUBECTL_132, process.env.SKIFF_KUBECTL_120].filter(
    (k): k is string => !!k && existsSync(k),
  );
  it('globalSetup passes SKIFF_KUBECTL_* on to the test workers', () => {
    if (existsSync('/usr/bin/kubectl')) expect(process.env.SKIFF_KUBECTL_132).toBe('/usr/bin/kubectl');
  });

  describe.skipIf(kubectls.length === 0)('kubectl', () => {
    const token = 'test-token-123';
    let dir = '';
    let port = 0;
    const https = createHttpsServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${token}`) return void res.writeHead(401).end();
      res.setHeader('content-type', 'application/json');
      if (req.url?.startsWith('/version')) {
        res.end(JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.0-skiff', platform: 'linux/amd64' }));
      } else res.writeHead(404).end('{}');
    });
    beforeAll(async () => {
      https.setSecureContext({ cert: server.certPem, key: server.keyPem });
      port = await listen(https as unknown as Server);
      dir = mkdtempSync(join(tmpdir(), 'skiff-pki-'));
    });
    afterAll(() => {
      https.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it.each(kubectls)('%s trusts the cert via a kubeconfig', async (kubectl) => {
      for (const host of ['127.0.0.1', 'localhost']) {
        const kc = join(dir, `kc-${host}`);
        await writeKubeconfig(kc, { server: `https://${host}:${port}`, caCertPem: ca.certPem, token });
        const { stdout } = await promisify(execFile)(kubectl, [
          '--kubeconfig', kc, '--cache-dir', join(dir, 'cache'), 'version', '-o', 'json',
        ]);
        expect(JSON.parse(stdout).serverVersion.gitVersion).toBe('v1.32.0-skiff');
      }
    });
  });
});
