// What an answer says about the server: a bucket for the counts, and a failure when it breaks a rule
// (a 5xx, a non-Status error, a hang, an accepted mistake, something stored other than what was sent).
import type { FuzzCase } from './case.ts';
import type { Answer } from './send.ts';

export type Bucket = '2xx' | '4xx' | '5xx' | 'non-status' | 'timeout' | 'closed' | 'other';

export interface Verdict {
  bucket: Bucket;
  code?: number;
  failure?: string;
  /** the parsed 2xx object (for the checks at the end) */
  object?: Record<string, any>;
}

export function isStatus(body: unknown, code: number): body is { kind: 'Status'; message: string } {
  const b = body as Record<string, unknown> | null;
  return !!b && typeof b === 'object' && b.kind === 'Status' && b.apiVersion === 'v1' && b.code === code && b.status === 'Failure' && typeof b.message === 'string';
}

function parseJson(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString('utf8'));
  } catch {
    return undefined;
  }
}

const snippet = (b: Buffer) => JSON.stringify(b.subarray(0, 160).toString('utf8'));

/** Fields the server owns (set, defaulted or normalized): not compared with what was sent. */
const SERVER_OWNED = /^(status|metadata\.(uid|resourceVersion|creationTimestamp|generation|managedFields|selfLink|deletionTimestamp|deletionGracePeriodSeconds|finalizers))(\.|\[|$)|\.resources\.(limits|requests)\./;

/** Fields whose zero value kube defaults (a Service port's targetPort 0 becomes its port). */
const DEFAULTED_ZERO = /\.ports\[\d+\]\.targetPort$/;

type Leaf = [string, unknown];
function leaves(v: unknown, path = '', out: Leaf[] = []): Leaf[] {
  if (Array.isArray(v)) v.forEach((x, i) => leaves(x, `${path}[${i}]`, out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) leaves(x, path ? `${path}.${k}` : k, out);
  else out.push([path, v]);
  return out;
}
function at(v: unknown, path: string): unknown {
  const parts = path.match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let o: any = v;
  for (const p of parts) {
    if (o === null || typeof o !== 'object') return undefined;
    o = p.startsWith('[') ? o[Number(p.slice(1, -1))] : Object.prototype.hasOwnProperty.call(o, p) ? o[p] : undefined;
  }
  return o;
}

/**
 * The first leaf of `sent` the server changed. Nulls and empty strings are skipped (kube treats them
 * as unset and may default them), so are the fields the server owns, and leaves the template does
 * not have (unknown fields, which kube drops).
 */
export function storedMismatch(sent: unknown, got: unknown, template: unknown = sent): string | undefined {
  for (const [p, v] of leaves(sent)) {
    if (v === null || v === '' || SERVER_OWNED.test(p)) continue;
    if (v === 0 && DEFAULTED_ZERO.test(p)) continue;
    if (at(template, p) === undefined) continue;
    const g = at(got, p);
    if (JSON.stringify(g) !== JSON.stringify(v)) return `${p}: sent ${JSON.stringify(v)?.slice(0, 60)}, got ${JSON.stringify(g)?.slice(0, 60)}`;
  }
  return undefined;
}

/** A key starting with `$` anywhere: a patch directive stored as a field. */
export function directiveKey(v: unknown, path = ''): string | undefined {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const r = directiveKey(v[i], `${path}[${i}]`);
      if (r) return r;
    }
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k.startsWith('$')) return path ? `${path}.${k}` : k;
      const r = directiveKey(x, path ? `${path}.${k}` : k);
      if (r) return r;
    }
  }
  return undefined;
}

export function classify(c: FuzzCase, a: Answer, timeoutMs: number): Verdict {
  if (a.timedOut) return { bucket: 'timeout', failure: `no answer in ${Math.round(timeoutMs / 1000)} s` };
  if (a.status === undefined) {
    if (c.closeOk) return { bucket: 'closed' };
    return { bucket: a.closed ? 'closed' : 'other', failure: a.closed ? `connection closed without an answer${a.error ? ` (${a.error})` : ''}` : `transport error: ${a.error}` };
  }
  const code = a.status;
  if (code === 0) return { bucket: 'non-status', failure: `not an HTTP response: ${snippet(a.body)}` };
  if (code >= 500) {
    const body = parseJson(a.body) as { message?: string } | undefined;
    return { bucket: '5xx', code, failure: `${code} ${body?.message?.slice(0, 160) ?? snippet(a.body)}` };
  }
  if (code >= 400) {
    if (c.method === 'HEAD') return { bucket: '4xx', code };
    const body = parseJson(a.body);
    if (!isStatus(body, code)) return { bucket: 'non-status', code, failure: `${code} with a body that is not a Status: ${snippet(a.body)}` };
    const ct = String(a.headers['content-type'] ?? '');
    if (!ct.startsWith('application/json')) return { bucket: 'non-status', code, failure: `${code} Status with content-type ${JSON.stringify(ct)}` };
    return { bucket: '4xx', code };
  }
  if (code < 200 || code >= 300) return { bucket: 'other', code, failure: `unexpected ${code}` };
  // a 2xx
  if (c.expect === 'reject') return { bucket: '2xx', code, failure: `accepted (${code}) what kube refuses`, object: c.watch ? undefined : (parseJson(a.body) as Record<string, any> | undefined) };
  if (a.watchNoEnd) return { bucket: '2xx', code, failure: `the watch did not end within ${c.watch?.endsWithinMs} ms` };
  if (c.watch || c.method === 'HEAD' || c.method === 'GET') return { bucket: '2xx', code };
  // a body past what the fuzzer keeps (a deletecollection of megabytes of objects): not checkable
  if (a.truncated) return { bucket: '2xx', code };
  const obj = parseJson(a.body) as Record<string, any> | undefined;
  if (obj === undefined || typeof obj !== 'object') return { bucket: '2xx', code, failure: `${code} with a body that is not JSON: ${snippet(a.body)}` };
  // a directive this request carried (one stored by an earlier case is that case's failure)
  const dollar = c.method === 'DELETE' ? undefined : directiveKey(obj);
  const carried = dollar !== undefined && c.body !== undefined && String(c.body).includes(dollar.split('.').pop()!);
  if (dollar && carried) return { bucket: '2xx', code, failure: `stored a patch directive as a field: ${dollar}`, object: obj };
  if (c.stored && obj.kind !== 'Status') {
    const bad = storedMismatch(c.stored.sent, obj, c.stored.template);
    if (bad) return { bucket: '2xx', code, failure: `answered ${code} but the object differs from what was sent: ${bad}`, object: obj };
  }
  return { bucket: '2xx', code, object: obj };
}
