// Hostile bodies: deep nesting (JSON, YAML), YAML aliases (recursive, billion laughs), malformed
// JSON / YAML / protobuf, wrong content types, objects over the store's size limit.
import { authHeaders, uniqueName, type Generator, type GenContext } from './case.ts';
import { kindNamed, collectionOf } from './kinds.ts';

const cm = (ctx: GenContext, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: uniqueName(ctx), namespace: ctx.ns }, data: { k: 'v' }, ...extra });
const cmPath = (ctx: GenContext) => collectionOf(kindNamed('ConfigMap'), ctx.ns);

function deepJson(depth: number, style: 'array' | 'object'): string {
  return style === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

export const deepNesting: Generator = (ctx) => {
  const { rng } = ctx;
  const depth = rng.pick([100, 1000, 5000, 10_001, 100_000, 1_000_000]);
  const style = rng.pick(['array', 'object'] as const);
  const where = rng.pick(['unknown-field', 'labels', 'whole-body', 'yaml-flow', 'yaml-block'] as const);
  // kube-apiserver refuses JSON nested over 10,000 deep; below that, an unknown field is dropped
  const tooDeep = depth > 10_000;
  const note = `${style} nested ${depth} deep (${where})`;
  if (where === 'yaml-flow' || where === 'yaml-block') {
    const d = where === 'yaml-block' ? Math.min(depth, 2000) : depth; // block style is depth^2 bytes
    const inner =
      where === 'yaml-flow'
        ? (style === 'array' ? '['.repeat(d) + ']'.repeat(d) : '{a: '.repeat(d) + '1' + '}'.repeat(d))
        : Array.from({ length: d }, (_, i) => ' '.repeat(2 * (i + 1)) + (style === 'array' ? '- ' : 'a:')).join('\n') + (style === 'array' ? ' 1' : ' 1');
    const body = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${uniqueName(ctx)}\ndata:\n  k: v\nextra:${where === 'yaml-flow' ? ' ' + inner : '\n' + inner}\n`;
    return { note: `POST ConfigMap YAML ${style} nested ${d} deep (${where})`, method: 'POST', path: cmPath(ctx), headers: authHeaders(ctx, 'application/yaml'), body, expect: d > 10_000 ? 'reject' : 'any' };
  }
  if (where === 'whole-body') return { note: `POST ${note}`, method: 'POST', path: cmPath(ctx), headers: authHeaders(ctx, 'application/json'), body: deepJson(depth, style), expect: 'reject' };
  const obj = cm(ctx);
  const text = JSON.stringify(obj);
  if (where === 'labels') {
    const body = text.replace('"metadata":{', `"metadata":{"labels":{"a":${deepJson(depth, style)}},`);
    return { note: `POST ConfigMap labels ${note}`, method: 'POST', path: cmPath(ctx), headers: authHeaders(ctx, 'application/json'), body, expect: 'reject' };
  }
  const body = text.slice(0, -1) + `,"extra":${deepJson(depth, style)}}`;
  const verb = rng.pick(['POST', 'PATCH'] as const);
  if (verb === 'PATCH') {
    const pbody = `{"metadata":{"annotations":{"x":"y"}},"extra":${deepJson(depth, style)}}`;
    return { note: `PATCH(merge) ConfigMap ${note}`, method: 'PATCH', path: `${cmPath(ctx)}/${ctx.fixtures.configMap}`, headers: authHeaders(ctx, 'application/merge-patch+json'), body: pbody, expect: tooDeep ? 'reject' : 'any' };
  }
  return { note: `POST ConfigMap ${note}`, method: 'POST', path: cmPath(ctx), headers: authHeaders(ctx, 'application/json'), body, expect: tooDeep ? 'reject' : 'any', stored: tooDeep ? undefined : { collection: cmPath(ctx), sent: obj, create: true } };
};

export const yamlAliases: Generator = (ctx) => {
  const { rng } = ctx;
  const name = uniqueName(ctx);
  const head = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
  const pick = rng.int(7);
  const post = (note: string, body: string, expect: 'reject' | 'any', ct = 'application/yaml') => ({ note, method: 'POST', path: cmPath(ctx), headers: authHeaders(ctx, ct), body, expect });
  switch (pick) {
    case 0: // a map that contains itself
      return post('YAML recursive alias in labels', head + '  labels: &a\n    x: *a\n', 'reject');
    case 1:
      return post('YAML recursive alias in an unknown field', head + 'data:\n  k: v\nextra: &a [*a, *a]\n', 'reject');
    case 2: {
      // billion laughs: 10 levels of 10 references, 10^10 nodes once expanded
      const lv = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (let i = 1; i < 10; i++) {
        const p = String.fromCharCode(97 + i - 1);
        lv.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill('*' + p).join(',')}]`);
      }
      return post('YAML billion laughs (10^10 nodes)', head + 'data:\n  k: v\nextra:\n' + lv.map((l) => '  ' + l).join('\n') + '\n', 'reject');
    }
    case 3: {
      // expansion into a string map: the laughs land in data, where kube wants strings
      return post('YAML alias expansion into data', head + 'data: &d\n  k: v\nbinaryData:\n  <<: *d\n', 'any');
    }
    case 4: // aliases used as kube users do: shared labels
      return {
        ...post('YAML a few honest aliases', `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  labels: &l\n    app: fz\n  annotations: *l\ndata: *l\n`, 'any'),
        stored: { collection: cmPath(ctx), sent: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { app: 'fz' }, annotations: { app: 'fz' } }, data: { app: 'fz' } }, create: true },
      };
    case 5: {
      // 500 references to one small anchor: bounded expansion, kube accepts it
      const refs = Array.from({ length: 500 }, (_, i) => `  k${i}: *v`).join('\n');
      return post('YAML 500 aliases to one scalar', head + `  annotations:\n    base: &v hello\ndata:\n${refs}\n`, 'any');
    }
    default: // an alias to an anchor that does not exist
      return post('YAML undefined alias', head + 'data:\n  k: *nothere\n', 'reject');
  }
};

const MALFORMED_JSON: readonly ((ctx: GenContext) => [string, string, 'reject' | 'any'])[] = [
  (ctx) => {
    const t = JSON.stringify(cm(ctx));
    const cut = ctx.rng.range(1, t.length - 1);
    return [`JSON truncated at ${cut}/${t.length}`, t.slice(0, cut), 'reject'];
  },
  (ctx) => ['JSON with trailing garbage', JSON.stringify(cm(ctx)) + 'garbage', 'reject'],
  (ctx) => ['two JSON objects', JSON.stringify(cm(ctx)) + JSON.stringify(cm(ctx)), 'reject'],
  (ctx) => ['JSON with a comment', '// c\n' + JSON.stringify(cm(ctx)), 'reject'],
  (ctx) => ['JSON with single quotes', JSON.stringify(cm(ctx)).replace(/"/g, "'"), 'reject'],
  (ctx) => ['JSON with NaN', JSON.stringify(cm(ctx)).replace('"v"', 'NaN'), 'reject'],
  (ctx) => ['JSON with Infinity', JSON.stringify(cm(ctx)).replace('"v"', 'Infinity'), 'reject'],
  (ctx) => ['JSON with unquoted keys', JSON.stringify(cm(ctx)).replace('"kind"', 'kind'), 'reject'],
  (ctx) => ['JSON with a trailing comma', JSON.stringify(cm(ctx)).slice(0, -1) + ',}', 'reject'],
  () => ['empty body', '', 'reject'],
  () => ['whitespace body', ' \n\t ', 'reject'],
  () => ['JSON null', 'null', 'reject'],
  (ctx) => ['JSON with a BOM', '\ufeff' + JSON.stringify(cm(ctx)), 'any'],
  (ctx) => ['JSON with a lone surrogate in a value', JSON.stringify(cm(ctx)).replace('"v"', '"\\ud800"'), 'any'],
  (ctx) => ['JSON with NUL in a value', JSON.stringify(cm(ctx)).replace('"v"', '"a\\u0000b"'), 'any'],
  (ctx) => ['JSON with duplicate keys', JSON.stringify(cm(ctx)).replace('"data":{"k":"v"}', '"data":{"k":"v"},"data":{"k":"w"}'), 'any'],
  (ctx) => ['JSON with a 300-digit number', JSON.stringify(cm(ctx)).slice(0, -1) + ',"extra":' + '9'.repeat(300) + '}', 'any'],
  (ctx) => ['JSON __proto__ in labels', JSON.stringify(cm(ctx)).replace('"metadata":{', '"metadata":{"labels":{"__proto__":{"polluted":"yes"}},'), 'reject'],
  (ctx) => ['JSON __proto__ at the top', JSON.stringify(cm(ctx)).slice(0, -1) + ',"__proto__":{"polluted":"yes"}}', 'any'],
  (ctx) => ['JSON constructor.prototype', JSON.stringify(cm(ctx)).slice(0, -1) + ',"constructor":{"prototype":{"polluted":"yes"}}}', 'any'],
  (ctx) => ['JSON escaped garbage', JSON.stringify(cm(ctx)).replace('"v"', '"\\x41\\q"'), 'reject'],
];

export const malformedJson: Generator = (ctx) => {
  const [note, body, expect] = ctx.rng.pick(MALFORMED_JSON)(ctx);
  const verb = ctx.rng.pick(['POST', 'POST', 'PUT', 'PATCH'] as const);
  const path = verb === 'POST' ? cmPath(ctx) : `${cmPath(ctx)}/${ctx.fixtures.configMap}`;
  // a PUT carries the fixture's name (an object with another name is a mismatch)
  const b = verb === 'POST' ? body : body.replace(/"name":"fz[a-z0-9]*"/, `"name":"${ctx.fixtures.configMap}"`);
  return { note: `${verb} ${note}`, method: verb, path, headers: authHeaders(ctx, verb === 'PATCH' ? 'application/merge-patch+json' : 'application/json'), body: b, expect: verb === 'PATCH' && body.includes('"apiVersion"') && expect === 'any' ? 'any' : expect };
};

const MALFORMED_YAML: readonly string[] = [
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: tabbed\n',
  'apiVersion: v1\nkind: "ConfigMap\nmetadata: {}\n',
  'apiVersion: v1\nkind: ConfigMap\nmetadata: : :\n',
  '- - -\n- [\n',
  '{a: 1, b: [}\n',
  '!!python/object/apply:os.system ["true"]\n',
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: !!binary aGVsbG8=\n',
  '? [complex, key]\n: value\n',
  'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: v\n   bad: indent\n',
  '%YAML 9.9\n---\nkind: ConfigMap\n',
  '\u0000\u0001\u0002\u0003',
  '&a\n',
  'a: *',
  '"unterminated',
];

export const malformedYaml: Generator = (ctx) => {
  const { rng } = ctx;
  if (rng.chance(0.15)) {
    // several documents in one body: kube takes one object per request
    const name = uniqueName(ctx);
    const body = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}b\n`;
    return { note: 'POST two YAML documents', method: 'POST', path: cmPath(ctx), headers: authHeaders(ctx, 'application/yaml'), body, expect: 'any' };
  }
  const body = rng.pick(MALFORMED_YAML);
  return { note: `POST malformed YAML ${JSON.stringify(body.slice(0, 40))}`, method: 'POST', path: cmPath(ctx), headers: authHeaders(ctx, 'application/yaml'), body, expect: 'reject' };
};

// --- protobuf, written by hand (runtime.Unknown envelope around a ConfigMap) ---
function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}
const field = (no: number, bytes: Buffer) => Buffer.concat([varint((no << 3) | 2), varint(bytes.length), bytes]);
const str = (no: number, s: string) => field(no, Buffer.from(s));
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

function configMapProto(name: string, ns: string, data: Record<string, string>): Buffer {
  const meta = Buffer.concat([str(1, name), str(3, ns)]);
  const entries = Object.entries(data).map(([k, v]) => field(2, Buffer.concat([str(1, k), str(2, v)])));
  return Buffer.concat([field(1, meta), ...entries]);
}
function envelope(apiVersion: string, kind: string, raw: Buffer, extra: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([MAGIC, field(1, Buffer.concat([str(1, apiVersion), str(2, kind)])), field(2, raw), extra]);
}

/** Field 15 inside field 15 ... `depth` times, written outside-in in one buffer. */
function nestedMessages(depth: number): Buffer {
  const lens = [0];
  for (let i = 1; i < depth; i++) lens.push(1 + varint(lens[i - 1]!).length + lens[i - 1]!);
  const parts: Buffer[] = [];
  for (let i = depth - 1; i >= 0; i--) parts.push(Buffer.from([(15 << 3) | 2]), varint(lens[i]!));
  return Buffer.concat(parts);
}

export const malformedProtobuf: Generator = (ctx) => {
  const { rng } = ctx;
  const name = uniqueName(ctx);
  const good = envelope('v1', 'ConfigMap', configMapProto(name, ctx.ns, { k: 'v' }));
  const variants: [string, () => Buffer, 'reject' | 'any'][] = [
    ['valid protobuf ConfigMap', () => good, 'any'],
    ['protobuf without the magic', () => good.subarray(4), 'reject'],
    ['protobuf with a wrong magic', () => Buffer.concat([Buffer.from('k9s\0'), good.subarray(4)]), 'reject'],
    ['protobuf truncated', () => good.subarray(0, rng.range(5, good.length - 1)), 'reject'],
    ['protobuf random bytes after the magic', () => Buffer.concat([MAGIC, rng.bytes(rng.range(1, 300))]), 'reject'],
    ['protobuf raw length 2^31', () => Buffer.concat([MAGIC, field(1, Buffer.concat([str(1, 'v1'), str(2, 'ConfigMap')])), varint((2 << 3) | 2), varint(2 ** 31), Buffer.from('xx')]), 'reject'],
    ['protobuf 100,000 nested groups', () => envelope('v1', 'ConfigMap', Buffer.concat([configMapProto(name, ctx.ns, {}), Buffer.alloc(100_000, 0x5b)])), 'reject'], // field 11, start group
    ['protobuf nested messages 50,000 deep', () => envelope('v1', 'ConfigMap', Buffer.concat([configMapProto(name, ctx.ns, {}), nestedMessages(50_000)])), 'reject'],
    ['protobuf kind Foo', () => envelope('v1', 'Foo', configMapProto(name, ctx.ns, {})), 'reject'],
    ['protobuf kind Secret on configmaps', () => envelope('v1', 'Secret', configMapProto(name, ctx.ns, {})), 'reject'],
    ['protobuf contentEncoding gzip', () => envelope('v1', 'ConfigMap', configMapProto(name, ctx.ns, {}), str(3, 'gzip')), 'reject'],
    ['protobuf JSON inside raw', () => envelope('v1', 'ConfigMap', Buffer.from(JSON.stringify(cm(ctx)))), 'reject'],
    ['protobuf invalid UTF-8 name', () => envelope('v1', 'ConfigMap', configMapProto('\udc00' + name, ctx.ns, {})), 'reject'],
    ['protobuf wire type 7', () => envelope('v1', 'ConfigMap', Buffer.concat([configMapProto(name, ctx.ns, {}), Buffer.from([0x0f, 1, 2, 3])])), 'reject'],
  ];
  const [note, make, expect] = rng.pick(variants);
  const body = make();
  return {
    note: `POST ${note}`,
    method: 'POST',
    path: cmPath(ctx),
    headers: authHeaders(ctx, 'application/vnd.kubernetes.protobuf'),
    body,
    expect,
    stored: note === 'valid protobuf ConfigMap' ? { collection: cmPath(ctx), sent: { metadata: { name, namespace: ctx.ns }, data: { k: 'v' } }, create: true } : undefined,
  };
};

const BAD_TYPES: readonly [string, 'reject' | 'any'][] = [
  ['text/plain', 'reject'],
  ['application/xml', 'reject'],
  ['multipart/form-data; boundary=x', 'reject'],
  ['application/x-www-form-urlencoded', 'reject'],
  ['application/jsonx', 'reject'],
  ['*/*', 'reject'],
  ['x'.repeat(10_000), 'reject'],
  ['application/vnd.kubernetes.protobuf', 'reject'],
  ['application/json-patch+json', 'reject'],
  ['application/json; charset=utf-8', 'any'],
  ['APPLICATION/JSON', 'any'],
  ['application/json;;;', 'any'],
  ['application/json; charset=utf-16', 'any'],
  ['application/yaml', 'any'], // JSON is YAML
  ['application/json, text/plain', 'any'],
];

export const wrongContentTypes: Generator = (ctx) => {
  const { rng } = ctx;
  const obj = cm(ctx);
  if (rng.chance(0.25)) {
    // a PATCH must say which patch it is
    const ct = rng.pick(['application/json', 'text/plain', 'application/yaml', 'application/xml', 'application/merge-patch+json; charset=utf-16']);
    return { note: `PATCH with content-type ${ct}`, method: 'PATCH', path: `${cmPath(ctx)}/${ctx.fixtures.configMap}`, headers: authHeaders(ctx, ct), body: '{"metadata":{"labels":{"ct":"x"}}}', expect: ct.startsWith('application/merge-patch+json') ? 'any' : 'reject' };
  }
  if (rng.chance(0.15)) {
    const ce = rng.pick(['gzip', 'br', 'deflate', 'compress', 'identity, gzip', 'x'.repeat(3000)]);
    const h = { ...authHeaders(ctx, 'application/json'), 'content-encoding': ce };
    return { note: `POST with content-encoding ${ce.slice(0, 20)} and a plain body`, method: 'POST', path: cmPath(ctx), headers: h, body: JSON.stringify(obj), expect: 'any' };
  }
  const [ct, expect] = rng.pick(BAD_TYPES);
  return {
    note: `POST ConfigMap with content-type ${ct.slice(0, 40)}${ct.length > 40 ? '...' : ''}`,
    method: 'POST',
    path: cmPath(ctx),
    headers: authHeaders(ctx, ct),
    body: JSON.stringify(obj),
    expect,
    stored: expect === 'any' ? { collection: cmPath(ctx), sent: obj, create: true } : undefined,
  };
};

/** ConfigMaps and Secrets around the store's object limit (kube: 1 MiB of data; skiff: ~1.5 MiB). */
export const storeLimit: Generator = (ctx) => {
  const { rng } = ctx;
  const MiB = 1024 * 1024;
  const size = rng.pick([MiB - 1024, MiB, Math.floor(1.6 * MiB), Math.floor(2.5 * MiB)]);
  const kind = rng.pick(['ConfigMap', 'Secret'] as const);
  const spread = rng.chance(0.3);
  const value = (n: number) => (kind === 'Secret' ? Buffer.alloc(Math.floor((n * 3) / 4), 0x61).toString('base64') : 'x'.repeat(n));
  const data: Record<string, string> = {};
  if (spread) for (let i = 0; i < 64; i++) data[`k${i}`] = value(Math.floor(size / 64));
  else data.big = value(size);
  const obj = { apiVersion: 'v1', kind, metadata: { name: uniqueName(ctx), namespace: ctx.ns }, data };
  const coll = collectionOf(kindNamed(kind), ctx.ns);
  const expect = size > 1.5 * MiB ? 'reject' : 'any';
  const verb = rng.chance(0.2) && kind === 'ConfigMap' ? 'PUT' : 'POST';
  if (verb === 'PUT') {
    obj.metadata.name = ctx.fixtures.configMap;
    return { note: `PUT ConfigMap with ${spread ? '64 values' : 'one value'} of ${size} bytes in all`, method: 'PUT', path: `${coll}/${obj.metadata.name}`, headers: authHeaders(ctx, 'application/json'), body: JSON.stringify(obj), expect, stored: { collection: coll, sent: obj, create: false } };
  }
  return { note: `POST ${kind} with ${spread ? '64 values' : 'one value'} of ${size} bytes in all`, method: 'POST', path: coll, headers: authHeaders(ctx, 'application/json'), body: JSON.stringify(obj), expect, stored: { collection: coll, sent: obj, create: true } };
};
