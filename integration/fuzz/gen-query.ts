// Bad query parameters on lists, gets, deletes and watches, and watch abuse.
import { authHeaders, uniqueName, type Expect, type Generator, type GenContext } from './case.ts';
import { KINDS, kindNamed, collectionOf } from './kinds.ts';

const cmPath = (ctx: GenContext) => collectionOf(kindNamed('ConfigMap'), ctx.ns);
const q = encodeURIComponent;

const BAD_LIST_PARAMS: readonly [string, Expect][] = [
  ['limit=-1', 'reject'],
  ['limit=abc', 'reject'],
  ['limit=1.5', 'reject'],
  ['limit=99999999999999999999', 'reject'],
  ['limit=1e10', 'reject'],
  ['limit=', 'any'],
  ['limit=0', 'any'],
  ['limit=1&limit=2', 'any'],
  ['resourceVersion=abc', 'reject'],
  ['resourceVersion=-1', 'reject'],
  ['resourceVersion=0x10', 'reject'],
  ['resourceVersion=1.5', 'reject'],
  ['resourceVersion=99999999999999999999999', 'reject'],
  ['resourceVersion=9007199254740993', 'reject'],
  ['resourceVersion=1&resourceVersionMatch=Bogus', 'reject'],
  ['resourceVersionMatch=Exact', 'reject'], // Exact needs a resourceVersion
  ['continue=garbage', 'reject'],
  ['continue=' + q(Buffer.from('{"v":"meta.k8s.io/v1","rv":-5,"start":"x"}').toString('base64')), 'reject'],
  ['continue=' + 'A'.repeat(5000), 'reject'],
  ['labelSelector=' + q('a in ('), 'reject'],
  ['labelSelector=' + q('!!'), 'reject'],
  ['labelSelector=' + q('a=b=c'), 'reject'],
  ['labelSelector=' + q('a notin ()'), 'any'], // kube's parser reads `()` as the one value "" (selector.go parseValues)
  ['labelSelector=' + q('A B'), 'reject'],
  ['labelSelector=' + q('a=' + 'x'.repeat(10_000)), 'reject'],
  ['labelSelector=' + q(Array.from({ length: 2000 }, (_, i) => `k${i}=v`).join(',')), 'any'],
  ['labelSelector=' + q('a>5'), 'any'], // kube knows > and < on integers
  ['labelSelector=' + q('a in (b,c)'), 'any'],
  ['fieldSelector=' + q('spec.foo=bar'), 'reject'],
  ['fieldSelector=' + q('metadata.name=='), 'any'],
  ['fieldSelector=' + q('metadata.name in (a)'), 'reject'],
  ['fieldSelector=' + q('==='), 'reject'],
  ['timeoutSeconds=-5', 'reject'],
  ['timeoutSeconds=abc', 'reject'],
  ['timeoutSeconds=99999999999999999999', 'reject'],
  ['pretty=maybe', 'any'],
  ['watch=maybe', 'any'],
  ['includeObject=Bogus', 'any'],
  ['__proto__=1', 'any'],
  ['labelSelector[]=a', 'any'],
  ['x=' + 'y'.repeat(12_000), 'any'],
];

export const badQueryParams: Generator = (ctx) => {
  const { rng } = ctx;
  const verb = rng.pick(['LIST', 'LIST', 'LIST', 'GET', 'DELETE', 'DELETECOLLECTION', 'POST'] as const);
  if (verb === 'GET') {
    const [p, expect] = rng.pick<[string, Expect]>([
      ['resourceVersion=abc', 'reject'],
      ['resourceVersion=99999999999999999999999', 'reject'],
      ['resourceVersion=-1', 'reject'],
      ['pretty=maybe', 'any'],
      ['export=true', 'any'],
    ]);
    return { note: `GET ConfigMap ?${p}`, method: 'GET', path: `${cmPath(ctx)}/${ctx.fixtures.configMap}?${p}`, headers: authHeaders(ctx), expect };
  }
  if (verb === 'DELETE') {
    const p = rng.pick(['gracePeriodSeconds=-5', 'gracePeriodSeconds=abc', 'gracePeriodSeconds=99999999999999999999', 'propagationPolicy=Bogus', 'dryRun=Bogus', 'dryRun=All&dryRun=Bogus', 'orphanDependents=maybe&propagationPolicy=Foreground']);
    // the fixture exists, so only the parameters can fail the request (and dryRun=All keeps the fixture)
    const path = `${cmPath(ctx)}/${ctx.fixtures.configMap}?${p}${p.includes('dryRun') ? '' : '&dryRun=All'}`;
    return { note: `DELETE ConfigMap ?${p}`, method: 'DELETE', path, headers: authHeaders(ctx), expect: p.startsWith('orphanDependents') ? 'any' : 'reject' };
  }
  if (verb === 'DELETECOLLECTION') {
    const p = rng.pick(['labelSelector=' + q('a in ('), 'fieldSelector=' + q('spec.foo=bar'), 'propagationPolicy=Bogus', 'gracePeriodSeconds=-5', 'labelSelector=' + q('!!')]);
    // dryRun=All: a server that wrongly accepts must not delete the fixtures (and everything created)
    return { note: `DELETE collection of ConfigMaps ?${p}`, method: 'DELETE', path: `${cmPath(ctx)}?${p}&dryRun=All`, headers: authHeaders(ctx), expect: 'reject' };
  }
  if (verb === 'POST') {
    const p = rng.pick(['dryRun=Bogus', 'fieldManager=' + 'f'.repeat(200), 'fieldValidation=Bogus', 'fieldManager=' + q('a\u0001b')]);
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: uniqueName(ctx) }, data: { k: 'v' } });
    return { note: `POST ConfigMap ?${p.slice(0, 60)}`, method: 'POST', path: `${cmPath(ctx)}?${p}`, headers: authHeaders(ctx, 'application/json'), body, expect: 'reject' };
  }
  const kind = rng.pick(KINDS);
  const [p, expect] = rng.pick(BAD_LIST_PARAMS);
  const all = rng.chance(0.3);
  const path = all && kind.namespaced ? collectionOf(kind, '').replace('/namespaces//', '/') : collectionOf(kind, ctx.ns);
  return { note: `LIST ${kind.kind}${all ? ' (all namespaces)' : ''} ?${p.slice(0, 60)}${p.length > 60 ? '...' : ''}`, method: 'GET', path: `${path}?${p}`, headers: authHeaders(ctx), expect };
};

export const watchAbuse: Generator = (ctx) => {
  const { rng } = ctx;
  const kind = rng.pick(KINDS);
  const coll = collectionOf(kind, ctx.ns);
  const variants: [string, string, Expect, number?][] = [
    ['timeoutSeconds=-5', 'watch=true&timeoutSeconds=-5', 'reject'],
    ['timeoutSeconds=-1', 'watch=1&timeoutSeconds=-1', 'reject'],
    ['timeoutSeconds=abc', 'watch=true&timeoutSeconds=abc', 'reject'],
    ['resourceVersion=abc', 'watch=true&resourceVersion=abc', 'reject'],
    ['resourceVersion=-7', 'watch=true&resourceVersion=-7', 'reject'],
    ['resourceVersion huge', 'watch=true&timeoutSeconds=2&resourceVersion=99999999999999999999999', 'reject'],
    ['a bad label selector', 'watch=true&labelSelector=' + q('a in ('), 'reject'],
    ['a bad field selector', 'watch=true&fieldSelector=' + q('spec.nothere=x'), 'reject'],
    ['sendInitialEvents without resourceVersionMatch', 'watch=true&sendInitialEvents=true', 'reject'],
    ['timeoutSeconds=1', 'watch=true&timeoutSeconds=1', 'any', 1],
    ['timeoutSeconds=2 with bookmarks', 'watch=true&timeoutSeconds=2&allowWatchBookmarks=true', 'any', 2],
    ['resourceVersion=0, timeoutSeconds=1', 'watch=true&timeoutSeconds=1&resourceVersion=0', 'any', 1],
    ['resourceVersion=1 (may be compacted: 410)', 'watch=true&timeoutSeconds=1&resourceVersion=1', 'any', 1],
    ['no timeout (dropped by the client)', 'watch=true', 'any'],
    ['allowWatchBookmarks=garbage', 'watch=true&timeoutSeconds=1&allowWatchBookmarks=garbage', 'any', 1],
  ];
  const [what, query, expect, ends] = rng.pick(variants);
  return { note: `WATCH ${kind.kind} ${what}`, method: 'GET', path: `${coll}?${query}`, headers: authHeaders(ctx), expect, watch: { endsWithinMs: ends === undefined ? undefined : ends * 1000 + 5000 } };
};
