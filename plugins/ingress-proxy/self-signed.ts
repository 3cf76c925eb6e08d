// Self-signed serving certificates (ECDSA P-256, PEM, key PKCS#8), made with @peculiar/x509 on
// Node's WebCrypto: the proxy's default certificate (for hosts no Ingress gives one), as
// ingress-nginx serves its "Fake Certificate"; tests make their per-host ones with it too.
import { randomBytes, webcrypto } from 'node:crypto';
import 'reflect-metadata'; // @peculiar/x509 uses tsyringe, which needs it loaded first
import * as x509 from '@peculiar/x509';

const crypto = webcrypto;
x509.cryptoProvider.set(crypto);
const ALG: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY = 86_400_000;

export interface CertAndKey {
  certPem: string;
  keyPem: string;
}

export const DEFAULT_CERT_CN = 'Skiff Ingress Proxy Default Certificate';

/** A self-signed serving certificate for `dnsNames` (the first one is the CN unless `commonName` is given). */
export async function selfSignedCert(dnsNames: string[], opts: { commonName?: string; days?: number; now?: Date } = {}): Promise<CertAndKey> {
  const now = opts.now ?? new Date();
  const keys = await crypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01; // a positive serial
  const cn = (opts.commonName ?? dnsNames[0] ?? 'localhost').replace(/[,=+<>#;"\\]/g, '');
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: b.toString('hex'),
    name: `CN=${cn}`,
    notBefore: new Date(now.getTime() - 3600_000),
    notAfter: new Date(now.getTime() + (opts.days ?? 365) * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      ...(dnsNames.length ? [new x509.SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: 'dns' as const, value })))] : []),
    ],
  });
  const der = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem'), keyPem: x509.PemConverter.encode(der, 'PRIVATE KEY') };
}
