// How env and volumes read the ConfigMaps and Secrets a pod refers to: a small interface, so tests
// feed objects without a cluster and the kubelet passes a Kernel-backed one. Plus the decoding of
// their data (ConfigMap `data` is text, `binaryData` base64; Secret `data` is base64 — `stringData`
// is folded into `data` on write, so it is never read here).
import type { Kernel } from '@skiff/kernel';

export type ReferencedKind = 'ConfigMap' | 'Secret';

export interface ObjectReader {
  /** The object, or undefined when it does not exist. Any other failure throws. */
  get(kind: ReferencedKind, namespace: string, name: string): Promise<object | undefined>;
}

const RESOURCES: Record<ReferencedKind, string> = { ConfigMap: 'configmaps', Secret: 'secrets' };

/** Reads through the Kernel (in process or over the bus); NotFound → undefined. */
export function kernelObjectReader(kernel: Pick<Kernel, 'get'>): ObjectReader {
  return {
    async get(kind, namespace, name) {
      try {
        return await kernel.get({ group: '', version: 'v1', resource: RESOURCES[kind] }, namespace, name);
      } catch (e) {
        if ((e as { code?: unknown })?.code === 404 || (e as { status?: { code?: unknown } })?.status?.code === 404) return undefined;
        throw e;
      }
    },
  };
}

/** Reads from a fixed list of objects (tests, static pods). */
export function staticObjectReader(objects: readonly object[]): ObjectReader {
  return {
    async get(kind, namespace, name) {
      return objects.find((o) => {
        const obj = o as { kind?: string; metadata?: { namespace?: string; name?: string } };
        return obj.kind === kind && (obj.metadata?.namespace ?? 'default') === namespace && obj.metadata?.name === name;
      });
    },
  };
}

/** Remembers every answer (including "absent"): one read per object for one pod sync, as kubelet's per-call maps do. */
export function memoizedReader(reader: ObjectReader): ObjectReader {
  const seen = new Map<string, Promise<object | undefined>>();
  return {
    get(kind, namespace, name) {
      const key = `${kind}\0${namespace}\0${name}`;
      let p = seen.get(key);
      if (!p) {
        p = reader.get(kind, namespace, name);
        seen.set(key, p);
        p.catch(() => seen.delete(key)); // a failed read is not remembered
      }
      return p;
    },
  };
}

/** Kubernetes' message when the kubelet's ConfigMap/Secret manager misses one: `configmap "x" not found`. */
export function notFoundMessage(kind: ReferencedKind, name: string): string {
  return `${kind.toLowerCase()} "${name}" not found`;
}

/** The key → bytes of a ConfigMap (`data` then `binaryData`) or a Secret (`data`, base64). */
export function objectData(kind: ReferencedKind, obj: object): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const o = obj as { data?: Record<string, unknown>; binaryData?: Record<string, unknown> };
  if (kind === 'ConfigMap') {
    for (const [k, v] of Object.entries(o.data ?? {})) if (typeof v === 'string') out.set(k, Buffer.from(v, 'utf8'));
    for (const [k, v] of Object.entries(o.binaryData ?? {})) if (typeof v === 'string' && !out.has(k)) out.set(k, Buffer.from(v, 'base64'));
  } else {
    for (const [k, v] of Object.entries(o.data ?? {})) if (typeof v === 'string') out.set(k, Buffer.from(v, 'base64'));
  }
  return out;
}

/** For env: a ConfigMap's `data` only (kubelet ignores binaryData there), a Secret's decoded `data`. */
export function objectStrings(kind: ReferencedKind, obj: object): Map<string, string> {
  const out = new Map<string, string>();
  const o = obj as { data?: Record<string, unknown> };
  for (const [k, v] of Object.entries(o.data ?? {})) {
    if (typeof v !== 'string') continue;
    out.set(k, kind === 'ConfigMap' ? v : Buffer.from(v, 'base64').toString('utf8'));
  }
  return out;
}
