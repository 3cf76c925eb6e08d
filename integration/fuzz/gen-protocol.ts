// HTTP-level abuse: unknown methods, huge headers, missing or garbage auth, bodies over the
// request limit, slow and truncated requests (raw bytes over TLS where undici would not send them).
import { authHeaders, rawRequest, uniqueName, type Generator, type GenContext } from './case.ts';
import { kindNamed, collectionOf } from './kinds.ts';

const cmPath = (ctx: GenContext) => collectionOf(kindNamed('ConfigMap'), ctx.ns);
const hdrs = (ctx: GenContext, extra: [string, string][] = []): [string, string][] => [['host', 'skiff'], ['authorization', `Bearer ${ctx.token}`], ...extra];

export const unknownMethods: Generator = (ctx) => {
  const { rng } = ctx;
  const method = rng.pick(['FOO', 'TRACE', 'OPTIONS', 'PROPFIND', 'MKCOL', 'LOCK', 'PURGE', 'SEARCH', 'CONNECT', 'get', 'G E T', 'X'.repeat(300), 'HEAD']);
  const path = rng.pick(['/api', '/api/v1', cmPath(ctx), `${cmPath(ctx)}/${ctx.fixtures.configMap}`, '/apis/apps/v1', '/version', '/nothere']);
  const target = method === 'CONNECT' ? 'skiff:443' : path;
  const bytes = rawRequest(method, target, hdrs(ctx, [['content-length', '0']]));
  // HEAD of a GET route is a GET without its body (a 2xx); everything else: 4xx (405, 404, 400, 501 is a 5xx)
  return { note: `${method.slice(0, 20)} ${target}`, method, path: target, headers: {}, expect: method === 'HEAD' ? 'any' : 'reject', raw: { chunks: [bytes], after: 'hold' } };
};

export const hugeHeaders: Generator = (ctx) => {
  const { rng } = ctx;
  const variant = rng.int(6);
  let extra: [string, string][];
  let note: string;
  switch (variant) {
    case 0:
      extra = [['x-big', 'a'.repeat(rng.pick([17_000, 65_000, 200_000]))]];
      note = `one header of ${extra[0]![1].length} bytes`;
      break;
    case 1:
      extra = Array.from({ length: 200 }, (_, i) => [`x-h${i}`, 'b'.repeat(100)] as [string, string]);
      note = '200 headers of 100 bytes';
      break;
    case 2:
      extra = Array.from({ length: 3000 }, (_, i) => [`x${i}`, '1'] as [string, string]);
      note = '3,000 small headers';
      break;
    case 3:
      extra = [['cookie', 'c=' + 'x'.repeat(40_000)]];
      note = 'a 40 KB cookie';
      break;
    case 4:
      extra = [['x-bad', 'a\u0001b'], ['x-bad2', 'ü']];
      note = 'control characters and non-ASCII in a header';
      break;
    default:
      extra = [['bad header name', 'x'], ['x:y', 'z']];
      note = 'invalid header names';
  }
  const bytes = rawRequest('GET', cmPath(ctx), [...hdrs(ctx), ...extra]);
  // a header section over what the server reads is a 431; an unparsable one a 400
  return { note: `GET with ${note}`, method: 'GET', path: cmPath(ctx), headers: {}, expect: variant === 1 ? 'any' : 'reject', raw: { chunks: [bytes], after: 'hold' } };
};

export const badAuth: Generator = (ctx) => {
  const { rng } = ctx;
  const t = ctx.token;
  const value = rng.pick<string | undefined>([
    undefined,
    '',
    'Bearer',
    'Bearer ',
    `Bearer ${t}x`,
    `Bearer ${t.slice(0, -1)}`,
    `Bearer ${t.toUpperCase()}`,
    `bearer  ${t}  `, // kube: the scheme is case-insensitive; whitespace around it is tolerated
    `Basic ${Buffer.from('admin:admin').toString('base64')}`,
    `Bearer ${'a'.repeat(8000)}`,
    `Bearer ${t}, Bearer ${t}`,
    'Negotiate YII=',
    `Token ${t}`,
  ]);
  const path = rng.pick([cmPath(ctx), '/api/v1/namespaces', '/apis/apps/v1/deployments', `${cmPath(ctx)}/${ctx.fixtures.configMap}`, '/api', '/apis', '/openapi/v2']);
  const method = rng.pick(['GET', 'GET', 'POST', 'DELETE']);
  const h: Record<string, string> = { accept: 'application/json' };
  if (value !== undefined) h.authorization = value;
  let body: string | undefined;
  if (method === 'POST') {
    h['content-type'] = 'application/json';
    body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: uniqueName(ctx, 'auth') }, data: { a: 'b' } });
  }
  const ok = value === `bearer  ${t}  `;
  const target = method === 'POST' ? cmPath(ctx) : method === 'DELETE' ? `${cmPath(ctx)}/${uniqueName(ctx)}` : path;
  return {
    note: `${method} ${target} with authorization ${value === undefined ? '(none)' : JSON.stringify(value.replace(t, '<token>').replace(t.toUpperCase(), '<TOKEN>').slice(0, 40))}`,
    method,
    path: target,
    headers: h,
    body,
    expect: ok ? 'any' : 'reject',
    stored: ok && body ? { collection: cmPath(ctx), sent: JSON.parse(body), create: true } : undefined,
  };
};

/** Bodies over the request limit (3 MiB): sent as a stream, the answer can come before the end. */
export const oversizeBodies: Generator = (ctx) => {
  const { rng } = ctx;
  const MiB = 1024 * 1024;
  const size = rng.pick([3 * MiB + 1, 5 * MiB, 20 * MiB]);
  const chunked = rng.chance(0.3);
  const declared = rng.chance(0.15) ? 100 : size; // a Content-Length that lies (less than sent)
  const head = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${uniqueName(ctx)}"},"data":{"k":"`;
  const tail = '"}}';
  const chunks: Buffer[] = [];
  const piece = Buffer.alloc(256 * 1024, 0x61);
  const hdr = hdrs(ctx, [['content-type', 'application/json'], chunked ? ['transfer-encoding', 'chunked'] : ['content-length', String(declared)]]);
  const frame = (b: Buffer) => (chunked ? Buffer.concat([Buffer.from(b.length.toString(16) + '\r\n'), b, Buffer.from('\r\n')]) : b);
  chunks.push(Buffer.concat([rawRequest('POST', cmPath(ctx), hdr), frame(Buffer.from(head))]));
  for (let sent = 0; sent < size; sent += piece.length) chunks.push(frame(piece));
  chunks.push(frame(Buffer.from(tail)));
  if (chunked) chunks.push(Buffer.from('0\r\n\r\n'));
  const note = `POST a ${size}-byte ConfigMap${chunked ? ' (chunked)' : declared !== size ? ' with content-length 100' : ''}`;
  // with a lying content-length the first 100 bytes are a truncated JSON body (400) and the rest a garbage request
  return { note, method: 'POST', path: cmPath(ctx), headers: {}, expect: 'reject', raw: { chunks, after: 'hold' }, timeoutMs: 30_000 };
};

/**
 * Slow and truncated requests: headers or body that stop coming. The server must answer (408 or
 * 400) or close the connection within its timeouts, never hold it forever.
 */
export const slowAndTruncated: Generator = (ctx) => {
  const { rng } = ctx;
  const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: uniqueName(ctx) }, data: { k: 'v' } });
  const variant = rng.int(5);
  const full = rawRequest('POST', cmPath(ctx), hdrs(ctx, [['content-type', 'application/json'], ['content-length', String(body.length + 1000)]]), body);
  switch (variant) {
    case 0: // the body stops half-way and the connection stays open (slowloris on the body)
      return { note: 'POST whose body stops half-way (connection held open)', method: 'POST', path: cmPath(ctx), headers: {}, expect: 'reject', raw: { chunks: [full], after: 'hold' }, closeOk: true, background: true };
    case 1: // the headers never end
      return { note: 'GET whose headers never end (connection held open)', method: 'GET', path: cmPath(ctx), headers: {}, expect: 'reject', raw: { chunks: [Buffer.from(`GET ${cmPath(ctx)} HTTP/1.1\r\nhost: skiff\r\nauthorization: Bearer ${ctx.token}\r\n`)], after: 'hold' }, closeOk: true, background: true };
    case 2: // a byte at a time, slowly (headers)
      return {
        note: 'GET sent one byte every 500 ms',
        method: 'GET',
        path: cmPath(ctx),
        headers: {},
        expect: 'reject',
        raw: { chunks: [...Buffer.from(`GET ${cmPath(ctx)} HTTP/1.1\r\nhost: skiff\r\nauthorization: Bearer ${ctx.token}\r\nx-slow: ${'s'.repeat(200)}\r\n\r\n`)].map((b) => Buffer.from([b])), delayMs: 500, after: 'hold' },
        closeOk: true,
        background: true,
      };
    case 3: // the client gives up half-way: nothing to answer, the server must just let go
      return { note: 'POST truncated: the client closes half-way through the body', method: 'POST', path: cmPath(ctx), headers: {}, expect: 'reject', raw: { chunks: [full.subarray(0, full.length - rng.range(1, 30))], after: 'end' }, closeOk: true };
    default: // a chunked body with a broken chunk size
      return { note: 'POST with a broken chunk size', method: 'POST', path: cmPath(ctx), headers: {}, expect: 'reject', raw: { chunks: [rawRequest('POST', cmPath(ctx), hdrs(ctx, [['content-type', 'application/json'], ['transfer-encoding', 'chunked']]), `zz\r\n${body}\r\n0\r\n\r\n`)], after: 'hold' } };
  }
};
