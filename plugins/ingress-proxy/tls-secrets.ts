// TLS certificates from Secrets of type kubernetes.io/tls (tls.crt and tls.key, PEM), as TLS secure
// contexts. A context is made once per Secret version (route tables are rebuilt often; a Secret
// changes seldom), and forgotten when its Secret leaves the tables.
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Secret } from '@skiff/api';

export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

export type SecretContext = { ok: true; context: SecureContext } | { ok: false; reason: 'SecretNotFound' | 'InvalidTLSSecret'; message: string };

export class TlsContexts {
  private cache = new Map<string, { version: string; result: SecretContext }>();
  private used = new Set<string>();

  /** The context of Secret `namespace/name` (`secret` as the informer has it, or undefined). */
  get(namespace: string, name: string, secret: Secret | undefined): SecretContext {
    const key = `${namespace}/${name}`;
    this.used.add(key);
    if (!secret) return { ok: false, reason: 'SecretNotFound', message: `Secret "${key}" not found: hosts of this TLS entry get the default certificate` };
    const version = `${secret.metadata.uid}/${secret.metadata.resourceVersion}`;
    const hit = this.cache.get(key);
    if (hit?.version === version) return hit.result;
    const result = load(key, secret);
    this.cache.set(key, { version, result });
    return result;
  }

  /** End of a table build: forget contexts of Secrets the new table does not use. */
  sweep(): void {
    for (const k of this.cache.keys()) if (!this.used.has(k)) this.cache.delete(k);
    this.used = new Set();
  }
}

function load(key: string, secret: Secret): SecretContext {
  const bad = (why: string): SecretContext => ({ ok: false, reason: 'InvalidTLSSecret', message: `Secret "${key}" ${why}: hosts of this TLS entry get the default certificate` });
  if ((secret.type ?? 'Opaque') !== TLS_SECRET_TYPE) return bad(`is of type "${secret.type ?? 'Opaque'}", not ${TLS_SECRET_TYPE}`);
  const crt = secret.data?.['tls.crt'];
  const key_ = secret.data?.['tls.key'];
  if (!crt || !key_) return bad('has no tls.crt or no tls.key');
  try {
    const context = createSecureContext({ cert: Buffer.from(crt, 'base64'), key: Buffer.from(key_, 'base64') });
    return { ok: true, context };
  } catch (e) {
    return bad(`holds no usable certificate and key (${e instanceof Error ? e.message : String(e)})`);
  }
}
