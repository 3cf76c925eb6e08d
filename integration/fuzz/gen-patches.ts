// Patch directives where they do not belong, and broken JSON patches, against the fixtures.
import { authHeaders, type Generator, type GenContext } from './case.ts';
import { kindNamed, collectionOf } from './kinds.ts';

const target = (ctx: GenContext, kind: 'ConfigMap' | 'Deployment') => `${collectionOf(kindNamed(kind), ctx.ns)}/${kind === 'ConfigMap' ? ctx.fixtures.configMap : ctx.fixtures.deployment}`;

const DIRECTIVES: readonly [string, 'ConfigMap' | 'Deployment', unknown][] = [
  ['$patch: delete at the top', 'ConfigMap', { $patch: 'delete' }],
  ['$patch: replace with data', 'ConfigMap', { $patch: 'replace', data: { a: 'b' } }],
  ['$patch in labels', 'ConfigMap', { metadata: { labels: { $patch: 'replace', a: 'b' } } }],
  ['$patch as a data key', 'ConfigMap', { data: { $patch: 'delete' } }],
  ['$retainKeys in spec', 'Deployment', { spec: { $retainKeys: ['replicas'], replicas: 0 } }],
  ['$setElementOrder/containers', 'Deployment', { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'c' }] } } } }],
  ['$deleteFromPrimitiveList/finalizers', 'ConfigMap', { metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] } }],
  ['$patch: merge in a container', 'Deployment', { spec: { template: { spec: { containers: [{ name: 'c', $patch: 'delete' }] } } } }],
  ['$anything in metadata', 'ConfigMap', { metadata: { $anything: 1 } }],
];

export const patchDirectives: Generator = (ctx) => {
  const { rng } = ctx;
  const [what, kind, patch] = rng.pick(DIRECTIVES);
  const type = rng.pick(['merge', 'merge', 'strategic', 'apply'] as const);
  const ct = { merge: 'application/merge-patch+json', strategic: 'application/strategic-merge-patch+json', apply: 'application/apply-patch+yaml' }[type];
  // JSON merge patch (RFC 7386) has no directives: Skiff refuses them (as kube's strict field
  // validation does). Strategic merge patch knows $patch / $retainKeys / $setElementOrder /
  // $deleteFromPrimitiveList where the field allows it. `$anything` is no directive but an unknown
  // ObjectMeta field, which kube drops: a 2xx is right if it is not stored (classify checks that).
  const expect = type === 'strategic' || what === '$anything in metadata' ? 'any' : 'reject';
  const path = target(ctx, kind) + (type === 'apply' ? '?fieldManager=fuzz' : '');
  return { note: `PATCH(${type}) ${kind} ${what}`, method: 'PATCH', path, headers: authHeaders(ctx, ct), body: JSON.stringify(patch), expect };
};

function bomb(n: number): unknown[] {
  // each copy puts /x inside itself: the value doubles n times (a 1 KiB seed, 2^n KiB)
  const ops: unknown[] = [{ op: 'add', path: '/metadata/annotations/seed', value: 'x'.repeat(1024) }, { op: 'add', path: '/x', value: { s: 'y'.repeat(1024) } }];
  for (let i = 0; i < n; i++) ops.push({ op: 'copy', from: '/x', path: `/x/c${i}` });
  return ops;
}

const BAD_JSON_PATCHES: readonly [string, 'ConfigMap' | 'Deployment', unknown][] = [
  ['an object, not a list', 'ConfigMap', { op: 'add', path: '/data/a', value: 'x' }],
  ['an unknown op', 'ConfigMap', [{ op: 'bogus', path: '/data/a', value: 'x' }]],
  ['no op', 'ConfigMap', [{ path: '/data/a', value: 'x' }]],
  ['no path', 'ConfigMap', [{ op: 'add', value: 'x' }]],
  ['a path without a leading slash', 'ConfigMap', [{ op: 'add', path: 'data/a', value: 'x' }]],
  ['remove of a missing key', 'ConfigMap', [{ op: 'remove', path: '/data/nothere' }]],
  ['replace under a missing parent', 'ConfigMap', [{ op: 'replace', path: '/nothere/deep', value: 1 }]],
  ['a failing test', 'ConfigMap', [{ op: 'test', path: '/data/key', value: 'wrong' }]],
  ['an index of 99999999999', 'Deployment', [{ op: 'add', path: '/spec/template/spec/containers/99999999999', value: { name: 'd', image: 'x' } }]],
  ['an index of -1', 'Deployment', [{ op: 'add', path: '/spec/template/spec/containers/-1', value: { name: 'd', image: 'x' } }]],
  ['a bad escape', 'ConfigMap', [{ op: 'add', path: '/metadata/labels/a~2b', value: 'x' }]],
  ['move into its own child', 'ConfigMap', [{ op: 'move', from: '/metadata', path: '/metadata/labels/x' }]],
  ['copy a map into a string map', 'ConfigMap', [{ op: 'copy', from: '/metadata', path: '/data/x' }]],
  ['replace the name', 'ConfigMap', [{ op: 'replace', path: '/metadata/name', value: 'other' }]],
  ['remove the whole document', 'ConfigMap', [{ op: 'remove', path: '' }]],
  ['replace the document with a string', 'ConfigMap', [{ op: 'replace', path: '', value: 'x' }]],
  ['replicas 2^31', 'Deployment', [{ op: 'replace', path: '/spec/replicas', value: 2 ** 31 }]],
  ['replicas "3"', 'Deployment', [{ op: 'replace', path: '/spec/replicas', value: '3' }]],
  ['__proto__ path', 'ConfigMap', [{ op: 'add', path: '/__proto__/polluted', value: 'yes' }]],
  ['constructor/prototype path', 'ConfigMap', [{ op: 'add', path: '/constructor/prototype/polluted', value: 'yes' }]],
  ['10,001 operations', 'ConfigMap', Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/data/key', value: 'value' }))],
  ['a copy bomb (2^24 KiB)', 'ConfigMap', bomb(24)],
  ['a copy bomb (2^40 KiB)', 'ConfigMap', bomb(40)],
];

/**
 * JSON patches whose cost grows with the object they apply to, against the ~1.2 MB fixture: a
 * check that copied the whole object per copy or move, and list edits that shift the whole list
 * per operation, froze the server for seconds to minutes.
 */
const EXPENSIVE_JSON_PATCHES: readonly [string, unknown[], 'reject' | 'any'][] = [
  // 5,000 copies of a small value and 5,000 removals of them: valid, the object ends as it was
  ['5,000 copies and 5,000 removals in a 1.2 MB object', [...Array.from({ length: 5_000 }, (_, i) => ({ op: 'copy', from: '/data/k0', path: `/data/c${i}` })), ...Array.from({ length: 5_000 }, (_, i) => ({ op: 'remove', path: `/data/c${i}` }))], 'any'],
  ['10,000 removals from the front of a 100,000-item list', Array.from({ length: 10_000 }, () => ({ op: 'remove', path: '/metadata/finalizers/0' })), 'reject'],
  ['10,000 moves of the head of a 100,000-item list to its tail', Array.from({ length: 10_000 }, () => ({ op: 'move', from: '/metadata/finalizers/0', path: '/metadata/finalizers/-' })), 'reject'],
];

export const expensiveJsonPatches: Generator = (ctx) => {
  const [what, patch, expect] = ctx.rng.pick(EXPENSIVE_JSON_PATCHES);
  const path = `${collectionOf(kindNamed('ConfigMap'), ctx.ns)}/${ctx.fixtures.bigConfigMap}`;
  return { note: `PATCH(json) big ConfigMap ${what}`, method: 'PATCH', path, headers: authHeaders(ctx, 'application/json-patch+json'), body: JSON.stringify(patch), expect };
};

export const badJsonPatches: Generator = (ctx) => {
  const [what, kind, patch] = ctx.rng.pick(BAD_JSON_PATCHES);
  return { note: `PATCH(json) ${kind} ${what}`, method: 'PATCH', path: target(ctx, kind), headers: authHeaders(ctx, 'application/json-patch+json'), body: JSON.stringify(patch), expect: 'reject' };
};

/** Malformed merge and strategic patches (not an object, broken JSON). */
export const badMergePatches: Generator = (ctx) => {
  const { rng } = ctx;
  const body = rng.pick(['[]', '"x"', '5', 'null', '[{"op":"add"}]', '{"metadata":', '{"data":{"k":5}}', '{"metadata":{"labels":{"a":{"b":"c"}}}}', '{"kind":"Secret"}', '{"apiVersion":"v2"}', '{"metadata":{"uid":5}}', '{"metadata":{"resourceVersion":"garbage"}}']);
  const type = rng.pick(['merge', 'strategic'] as const);
  return { note: `PATCH(${type}) ConfigMap ${body}`, method: 'PATCH', path: target(ctx, 'ConfigMap'), headers: authHeaders(ctx, `application/${type === 'merge' ? 'merge' : 'strategic-merge'}-patch+json`), body, expect: 'reject' };
};
