// Skiff's home directory: PKI, admin token, secret-encryption key and NATS data dir.
// Created on first start, reused afterwards.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { certInfo, generateCA, generateServerCert, sanList, type CertAndKey } from './pki.ts';

export interface HomeFiles {
  home: string;
  dataDir: string;
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  adminToken: string;
  /** 32 bytes: AES-256-GCM key for Secrets at rest. */
  secretKey: Buffer;
  kubeconfigPath: string;
}

export { defaultHome } from './home-dir.ts';

async function readOpt(path: string): Promise<Buffer | undefined> {
  try {
    const b = await readFile(path);
    return b.length ? b : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function write(path: string, data: string | Buffer, mode: number): Promise<void> {
  await writeFile(path, data, { mode });
  await chmod(path, mode); // mode above only applies when the file is new
}

/** The serving cert is re-issued when it expires within 30 days or lacks one of the wanted SANs. */
function usable(certPem: string, extraSANs: string[]): boolean {
  try {
    const { notAfter, sans } = certInfo(certPem);
    if (notAfter.getTime() - Date.now() < 30 * 86_400_000) return false;
    const have = new Set(sans.map((s) => s.toLowerCase()));
    return sanList(extraSANs).every((n) => have.has(`${n.type}:${n.value}`.toLowerCase()));
  } catch {
    return false;
  }
}

/**
 * Creates `home` (0700) with pki/{ca,server}.{crt,key}, token, secret-encryption.key (32 raw bytes)
 * and data/ on first start; later starts reuse them (the serving cert is re-issued by the same CA
 * if it is missing, near expiry, or lacks one of `extraSANs`).
 */
export async function ensureHome(home: string, opts: { extraSANs?: string[] } = {}): Promise<HomeFiles> {
  const extra = opts.extraSANs ?? [];
  const pki = join(home, 'pki');
  const dataDir = join(home, 'data');
  await mkdir(home, { recursive: true, mode: 0o700 });
  await chmod(home, 0o700);
  await mkdir(pki, { recursive: true, mode: 0o700 });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });

  const f = {
    caCrt: join(pki, 'ca.crt'),
    caKey: join(pki, 'ca.key'),
    crt: join(pki, 'server.crt'),
    key: join(pki, 'server.key'),
    token: join(home, 'token'),
    secret: join(home, 'secret-encryption.key'),
  };

  let ca: CertAndKey;
  const [caCrt, caKey] = [await readOpt(f.caCrt), await readOpt(f.caKey)];
  const newCA = !caCrt || !caKey;
  if (newCA) {
    ca = await generateCA();
    await write(f.caKey, ca.keyPem, 0o600);
    await write(f.caCrt, ca.certPem, 0o644);
  } else {
    ca = { certPem: caCrt.toString(), keyPem: caKey.toString() };
  }

  const [crt, key] = [await readOpt(f.crt), await readOpt(f.key)];
  let server: CertAndKey;
  if (!newCA && crt && key && usable(crt.toString(), extra)) {
    server = { certPem: crt.toString(), keyPem: key.toString() };
  } else {
    server = await generateServerCert(ca, extra);
    await write(f.key, server.keyPem, 0o600);
    await write(f.crt, server.certPem, 0o644);
  }

  let token = (await readOpt(f.token))?.toString().trim();
  if (!token) {
    token = randomBytes(32).toString('hex');
    await write(f.token, token + '\n', 0o600);
  }

  let secretKey = await readOpt(f.secret);
  if (!secretKey) {
    secretKey = randomBytes(32);
    await write(f.secret, secretKey, 0o600);
  }
  if (secretKey.length !== 32) throw new Error(`${f.secret}: want exactly 32 bytes, found ${secretKey.length}`);

  return {
    home,
    dataDir,
    caCertPem: ca.certPem,
    serverCertPem: server.certPem,
    serverKeyPem: server.keyPem,
    adminToken: token,
    secretKey,
    kubeconfigPath: join(home, 'kubeconfig'),
  };
}
