// Skiff's PKI: an ECDSA P-256 CA and a serving certificate signed by it, all PEM (keys PKCS#8).
// Built with @peculiar/x509 on Node's WebCrypto; accepted by Go's TLS (kubectl) and Node's tls.
import { webcrypto, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import 'reflect-metadata'; // @peculiar/x509 uses tsyringe, which needs it loaded first
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
const crypto = webcrypto;
x509.cryptoProvider.set(crypto);

const ALG: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY = 86_400_000;

export interface CertAndKey {
  certPem: string;
  keyPem: string; // PKCS#8 "PRIVATE KEY"
}

/** A positive, non-zero 128-bit serial (Go rejects negative serials). */
function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decode(pem)[0];
  if (!der) throw new Error('no PEM block in private key');
  return crypto.subtle.importKey('pkcs8', der, ALG, false, ['sign']);
}

/** Generates a self-signed CA (CN `skiff-ca`, 10 years). */
export async function generateCA(now = new Date()): Promise<CertAndKey> {
  const keys = await crypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=skiff-ca',
    notBefore: new Date(now.getTime() - 3600_000),
    notAfter: new Date(now.getTime() + 3650 * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

/** SAN entries: localhost, 127.0.0.1, ::1, plus `extra` (IP literals become IP SANs, the rest DNS). */
export function sanList(extra: string[] = []): x509.JsonGeneralName[] {
  const seen = new Set<string>();
  const out: x509.JsonGeneralName[] = [];
  for (const v of ['localhost', '127.0.0.1', '::1', ...extra]) {
    const type = isIP(v) ? 'ip' : 'dns';
    const k = `${type}:${v.toLowerCase()}`;
    if (!v || seen.has(k)) continue;
    seen.add(k);
    out.push({ type, value: v });
  }
  return out;
}

/** Generates a serving certificate (1 year, serverAuth) signed by the CA. */
export async function generateServerCert(
  ca: CertAndKey,
  extraSANs: string[] = [],
  now = new Date(),
): Promise<CertAndKey> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importKey(ca.keyPem);
  const caSKI = caCert.getExtension(x509.SubjectKeyIdentifierExtension);
  const keys = await crypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=skiff-apiserver',
    issuer: caCert.subjectName,
    notBefore: new Date(now.getTime() - 3600_000),
    notAfter: new Date(now.getTime() + 365 * DAY),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(sanList(extraSANs)),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      caSKI
        ? new x509.AuthorityKeyIdentifierExtension(caSKI.keyId)
        : await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await keyPem(keys.privateKey) };
}

/** Expiry and SANs (as `dns:x` / `ip:x`) of a certificate, to decide whether to re-issue it. */
export function certInfo(certPem: string): { notAfter: Date; sans: string[] } {
  const cert = new x509.X509Certificate(certPem);
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return { notAfter: cert.notAfter, sans: (ext?.names.toJSON() ?? []).map((n) => `${n.type}:${n.value}`) };
}
