// Over-long and invalid names and namespaces, on paths and in bodies, and bad URL encodings.
import { authHeaders, rawRequest, uniqueName, type Generator } from './case.ts';
import { KINDS, collectionOf } from './kinds.ts';
import { pickName, validLabelKey, validLabelValue, validName, NAME_SAMPLES } from './names.ts';

const enc = (s: string) => encodeURIComponent(s);

export const namesOnPaths: Generator = (ctx) => {
  const { rng } = ctx;
  const kind = rng.pick(KINDS);
  const name = pickName(rng);
  const shown = name.length > 40 ? `${JSON.stringify(name.slice(0, 8))}... (${name.length} chars)` : JSON.stringify(name);
  // the name in the namespace position, or as the object's name
  const inNamespace = kind.namespaced && rng.chance(0.4);
  const coll = inNamespace ? collectionOf(kind, name) : collectionOf(kind, ctx.ns);
  const verb = rng.pick(['GET', 'GET', 'DELETE', 'PUT', 'PATCH', 'LIST'] as const);
  const path = inNamespace ? (verb === 'LIST' ? coll : `${coll}/${enc(uniqueName(ctx))}`) : verb === 'LIST' ? coll : `${coll}/${enc(name)}`;
  const note = `${verb} ${kind.kind} with ${inNamespace ? 'namespace' : 'name'} ${shown} on the path`;
  // an empty name leaves the collection's URL (with a trailing slash): a list, a deletecollection...
  const collectionUrl = name === '' && !inNamespace;
  // a valid name may exist (names-in-bodies creates such names): only an invalid one must fail
  const mayExist = !inNamespace && validName(kind.rule, name);
  const want = collectionUrl || mayExist ? 'any' : 'reject';
  const body = JSON.stringify({ ...kind.template(inNamespace ? uniqueName(ctx) : name, inNamespace ? name : ctx.ns) });
  switch (verb) {
    case 'GET':
    case 'LIST':
      // nothing by that name exists: 404 (or 400); an empty list for a namespace nobody can create is fine
      return { note, method: 'GET', path, headers: authHeaders(ctx), expect: verb === 'LIST' ? 'any' : want };
    case 'DELETE':
      // dryRun=All: should a server read the name as something else (a collection), the run's objects survive
      return { note, method: 'DELETE', path: `${path}?dryRun=All`, headers: authHeaders(ctx), expect: want };
    case 'PUT':
      return { note, method: 'PUT', path, headers: authHeaders(ctx, 'application/json'), body, expect: want };
    case 'PATCH':
      return { note, method: 'PATCH', path, headers: authHeaders(ctx, 'application/merge-patch+json'), body: '{"metadata":{"labels":{"a":"b"}}}', expect: want };
  }
};

export const namesInBodies: Generator = (ctx) => {
  const { rng } = ctx;
  const kind = rng.pick(KINDS);
  const name = pickName(rng);
  const shown = name.length > 40 ? `${JSON.stringify(name.slice(0, 8))}... (${name.length} chars)` : JSON.stringify(name);
  const where = rng.pick(['name', 'name', 'generateName', 'label-key', 'label-value', 'annotation'] as const);
  const obj = kind.template(uniqueName(ctx), ctx.ns) as { metadata: Record<string, any> };
  let valid: boolean;
  switch (where) {
    case 'name':
      obj.metadata.name = name;
      valid = validName(kind.rule, name);
      break;
    case 'generateName':
      delete obj.metadata.name;
      obj.metadata.generateName = name;
      // kube appends 5 characters and validates the result
      valid = validName(kind.rule, (name.length > 58 ? name.slice(0, 58) : name) + 'abcde');
      break;
    case 'label-key':
      obj.metadata.labels = { [name]: 'v' };
      valid = validLabelKey(name);
      break;
    case 'label-value':
      obj.metadata.labels = { k: name };
      valid = validLabelValue(name);
      break;
    case 'annotation': {
      // kube: 256 KiB for all annotations together
      const size = rng.pick([100, 200_000, 300_000]);
      obj.metadata.annotations = { [rng.chance(0.5) ? 'note' : name]: 'x'.repeat(size) };
      valid = size < 256 * 1024 && validLabelKey(Object.keys(obj.metadata.annotations)[0]!);
      break;
    }
  }
  const coll = collectionOf(kind, ctx.ns);
  const body = JSON.stringify(obj);
  return {
    note: `POST ${kind.kind} with ${where} ${shown}`,
    method: 'POST',
    path: coll,
    headers: authHeaders(ctx, 'application/json'),
    body,
    expect: valid ? 'any' : 'reject',
    stored: { collection: coll, sent: JSON.parse(body), create: true },
  };
};

const BAD_PATHS: readonly string[] = [
  '/api/v1/namespaces/%zz',
  '/api/v1/namespaces/%',
  '/api/v1/namespaces/%E0%A4%A',
  '/api/v1/namespaces/%C0%AF',
  '/api/v1/namespaces/%ff%fe/configmaps',
  '/api/v1/namespaces/a%00b',
  '/api/v1/namespaces/NS/configmaps/a%2Fb',
  '/api/v1/namespaces/NS/configmaps/%2e%2e',
  '/api/v1/namespaces/NS/configmaps/..',
  '/api/v1/namespaces/NS/configmaps/.',
  '/api/v1/namespaces/NS/configmaps/%zz/status',
  '/api/v1/namespaces/NS/configmaps/a/b/c/d',
  '/api/v1/namespaces/NS/configmaps?labelSelector=%zz',
  '/api/v1/namespaces/NS/configmaps?%zz=1',
  '/api/v1/namespaces/NS/configmaps?limit=%',
  '/api/v1/..%2f..%2fetc%2fpasswd',
  '/apis/%zz/v1/deployments',
  '/apis/apps/%zz/deployments',
  '/apis/apps/v1/namespaces/%zz/deployments',
  '/api/%zz',
  '/api/v1/%zz',
  '/api/v1/namespaces/NS/%2e%2e/%2e%2e/configmaps',
  '/api/v1/namespaces/NS/configmaps/' + '%41'.repeat(3000),
  '/api/v1/namespaces/NS/configmaps/' + 'a/'.repeat(2000),
  '/api/v1/namespaces/NS/configmaps/%u0041',
  '/api/v1/namespaces/NS/configmaps/%%34%31',
  '/api/v1/namespaces/NS/configmaps/a%20b',
];

export const badUrlEncoding: Generator = (ctx) => {
  const { rng } = ctx;
  const p = rng.pick(BAD_PATHS).replace('NS', ctx.ns);
  // a bad escape in the query: Go's net/url drops that pair and kube serves the request
  const inQuery = p.includes('?');
  // a query with a bad escape is read without that pair, as kube does: only GETs (a DELETE would be a deletecollection)
  const method = inQuery ? 'GET' : rng.pick(['GET', 'GET', 'DELETE', 'PUT', 'POST', 'PATCH']);
  const body = method === 'GET' || method === 'DELETE' ? undefined : '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}';
  const ct = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
  const target = method === 'DELETE' ? `${p}${p.includes('?') ? '&' : '?'}dryRun=All` : p;
  return { note: `${method} ${p.length > 80 ? p.slice(0, 80) + `... (${p.length} chars)` : p}`, method, path: target, headers: authHeaders(ctx, body ? ct : undefined), body, expect: inQuery && method === 'GET' ? 'any' : 'reject' };
};

/** What undici refuses to send: raw bytes, control characters and non-ASCII in the request line. */
export const rawRequestLines: Generator = (ctx) => {
  const { rng } = ctx;
  const hdr: [string, string][] = [
    ['host', 'skiff'],
    ['authorization', `Bearer ${ctx.token}`],
    ['connection', 'close'],
  ];
  const name = rng.pick(NAME_SAMPLES.filter((n) => n.length < 100 && /[^\x21-\x7e]/.test(n)));
  const target = rng.pick([
    `/api/v1/namespaces/${ctx.ns}/configmaps/${name}`, // unencoded: spaces, unicode, control characters
    `/api/v1/namespaces/${name}/configmaps`,
    '/api/v1/namespaces/\u00ff\u00fe',
    '/api/v1/namespaces/a\u0001b',
    'api/v1/namespaces', // no leading slash
    'http://skiff/api/v1/namespaces', // absolute form
    '*',
    '/api/v1/namespaces/' + 'x'.repeat(70_000), // a request line past the header limit
  ]);
  const bytes = rawRequest('GET', target, hdr);
  // A target that ends in spaces makes a request line with two spaces before HTTP/1.1 (one before
  // the target too, with a leading space). Go's parser (kube) answers 400; Node's (llhttp) reads
  // the spaces as one separator, in its strict mode too, and the server never sees them: it serves
  // the request of the trimmed target. A parser quirk, not something the server can refuse, and
  // harmless (the same request a well-formed line makes): any Status or 2xx is right there.
  const spaced = /^ | $/.test(target) && /^\/[\x21-\x7e]*$/.test(target.trim());
  return { note: `GET ${JSON.stringify(target.slice(0, 60))} (raw bytes, unencoded)`, method: 'GET', path: target, headers: Object.fromEntries(hdr), expect: spaced ? 'any' : 'reject', raw: { chunks: [bytes], after: 'hold' } };
};
