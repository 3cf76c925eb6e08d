// Store keys: `<group>.<resource>.<namespace>.<name>` in one KV bucket. NATS tokens are separated by
// `.` and allow only [-/_=.a-zA-Z0-9], so each token is encoded: `.` -> `_` (Kubernetes names never
// contain `_`), any other character outside [-a-zA-Z0-9] -> `=HH` (hex of each UTF-8 byte).
// The core group and cluster scope use `_`, which no group or namespace can be.

const CORE = '_';
const CLUSTER = '_';

function encodeToken(s: string): string {
  let out = '';
  for (const ch of s) {
    if (/[-a-zA-Z0-9]/.test(ch)) out += ch;
    else if (ch === '.') out += '_';
    else for (const b of Buffer.from(ch, 'utf8')) out += '=' + b.toString(16).padStart(2, '0');
  }
  return out;
}

function decodeToken(t: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (c === '_') bytes.push(0x2e);
    else if (c === '=') {
      bytes.push(parseInt(t.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c.charCodeAt(0));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Prefix of every key of one resource: `<group>.<resource>` */
export function resourcePrefix(group: string, resource: string): string {
  return `${group ? encodeToken(group) : CORE}.${encodeToken(resource)}`;
}

export function objectKey(group: string, resource: string, namespace: string | undefined, name: string): string {
  return `${resourcePrefix(group, resource)}.${namespace ? encodeToken(namespace) : CLUSTER}.${encodeToken(name)}`;
}

export interface DecodedKey {
  group: string;
  resource: string;
  namespace: string | undefined;
  name: string;
  /** `<group>.<resource>` as encoded, to find the resource's cache fast */
  prefix: string;
}

export function decodeKey(key: string): DecodedKey | undefined {
  const parts = key.split('.');
  if (parts.length !== 4) return undefined;
  const [g, r, ns, n] = parts as [string, string, string, string];
  return {
    group: g === CORE ? '' : decodeToken(g),
    resource: decodeToken(r),
    namespace: ns === CLUSTER ? undefined : decodeToken(ns),
    name: decodeToken(n),
    prefix: `${g}.${r}`,
  };
}
