import { describe, expect, it } from 'vitest';
import { applyJsonPatch, JSON_PATCH_MAX_COPY_BYTES, jsonSizeUpTo, JsonPatchFailure, MAX_JSON_PATCH_ARRAY_SHIFTS, MAX_JSON_PATCH_OPERATIONS } from './json-patch.ts';
import { applyPatch } from './patch.ts';
import { deploymentKind } from './schema/builtin/apps.ts';
import { podKind } from './schema/builtin/core-pod.ts';
import { isStatusError } from './status.ts';
import type { KObject } from './types.ts';

const cm = (): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 't', namespace: 'default' }, data: { key: 'value' } }) as KObject;

/** the fuzzer's copy bomb: /x copied into itself n times (the value doubles each time) */
function bomb(n: number): unknown[] {
  const ops: unknown[] = [{ op: 'add', path: '/x', value: { s: 'y'.repeat(1024) } }];
  for (let i = 0; i < n; i++) ops.push({ op: 'copy', from: '/x', path: `/x/c${i}` });
  return ops;
}

function failure(fn: () => unknown): { code?: number; message: string } {
  try {
    fn();
  } catch (e) {
    if (isStatusError(e)) return { code: e.code, message: e.status.message };
    return { message: (e as Error).message };
  }
  throw new Error('did not fail');
}

describe('jsonSizeUpTo', () => {
  it('is the JSON length for small values and stops counting past the budget', () => {
    for (const v of [null, 'abc', 12.5, true, [], {}, [1, 'a', null], { a: 1, b: [true, { c: 'd' }] }]) expect(jsonSizeUpTo(v, 1e9)).toBe(JSON.stringify(v).length);
    // a value that would take minutes to write out is measured in a blink: counting stops at the budget
    const shared: Record<string, unknown> = { s: 'y'.repeat(1024) };
    let v: Record<string, unknown> = shared;
    for (let i = 0; i < 60; i++) v = { a: v, b: v }; // 2^60 KiB as JSON, a few objects in memory
    const t0 = performance.now();
    expect(jsonSizeUpTo(v, 1000)).toBeGreaterThan(1000);
    expect(performance.now() - t0).toBeLessThan(100);
  });
});

describe('applyJsonPatch bounds', () => {
  it('answers a 40-copy bomb with a 422 in milliseconds, the document untouched', () => {
    const doc = cm();
    const t0 = performance.now();
    const f = failure(() => applyPatch(doc, 'json', bomb(40)));
    expect(performance.now() - t0).toBeLessThan(1000); // it was ~26 s and 1.76 GB
    expect(f.code).toBe(422);
    expect(f.message).toMatch(/accumulated size of the copied values exceeds the limit of 3145728 bytes/);
    expect(doc).toEqual(cm());
  });

  it('allows copies up to the limit in all', () => {
    const big = 'z'.repeat(1024 * 1024);
    const ops = [{ op: 'add', path: '/data/a', value: big }, ...[1, 2].map((i) => ({ op: 'copy', from: '/data/a', path: `/data/c${i}` }))];
    const out = applyJsonPatch(cm(), ops) as KObject;
    expect((out.data as Record<string, string>).c2).toBe(big);
    // a third copy of 1 MiB goes past 3 MiB
    const f = failure(() => applyJsonPatch(cm(), [...ops, { op: 'copy', from: '/data/a', path: '/data/c3' }]));
    expect(f.message).toMatch(/exceeds the limit/);
    expect(JSON_PATCH_MAX_COPY_BYTES).toBe(3 * 1024 * 1024);
  });

  it('refuses more than 10,000 operations with kube 413 before applying any', () => {
    const ops = (n: number) => Array.from({ length: n }, () => ({ op: 'test', path: '/data/key', value: 'value' }));
    expect(applyJsonPatch(cm(), ops(MAX_JSON_PATCH_OPERATIONS))).toEqual(cm());
    const f = failure(() => applyPatch(cm(), 'json', ops(10_001)));
    expect(f).toEqual({ code: 413, message: 'The allowed maximum operations in a JSON patch is 10000, got 10001' });
  });

  it('answers operations that fail with a 422 and bad shapes with a 400', () => {
    expect(failure(() => applyPatch(cm(), 'json', { op: 'add' })).code).toBe(400);
    for (const p of [
      [{ op: 'bogus', path: '/data/a' }],
      [{ op: 'remove', path: '/data/nothere' }],
      [{ op: 'test', path: '/data/key', value: 'wrong' }],
      [{ op: 'copy', from: '/nothere', path: '/data/x' }],
      [{ op: 'add', path: '/__proto__/polluted', value: 'yes' }],
    ]) {
      expect(failure(() => applyPatch(cm(), 'json', p)).code, JSON.stringify(p)).toBe(422);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(() => applyJsonPatch(cm(), [{ op: 'move', from: '/metadata', path: '/metadata/labels/x' }])).toThrow(JsonPatchFailure);
  });
});

describe('JSON patch work stays bounded by the patch, not by the object times the operations', () => {
  /** a ConfigMap of ~1.5 MB */
  const big = () => {
    const data: Record<string, string> = {};
    for (let i = 0; i < 15_000; i++) data[`k${i}`] = 'v'.repeat(90);
    return { ...cm(), data } as KObject;
  };

  it('10,000 small copies and moves into a 1.5 MB object take well under a few seconds (each copied the whole object: ~3 min)', () => {
    const doc = big();
    const copies = Array.from({ length: 10_000 }, (_, i) => ({ op: 'copy', from: '/data/k0', path: `/data/c${i}` }));
    let t0 = performance.now();
    const out = applyJsonPatch(doc, copies) as KObject;
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect((out.data as Record<string, string>).c9999).toBe('v'.repeat(90));
    const moves = Array.from({ length: 10_000 }, (_, i) => ({ op: 'move', from: `/data/c${i}`, path: `/data/m${i}` }));
    t0 = performance.now();
    applyJsonPatch(out, moves);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('still refuses a move or copy from a path that does not exist (422), and one into its own child', () => {
    for (const op of [
      { op: 'copy', from: '/data/nothere', path: '/data/x' },
      { op: 'move', from: '/nothere/deep', path: '/data/x' },
      { op: 'copy', from: '/data/key/deeper', path: '/data/x' },
      { op: 'move', from: '/metadata', path: '/metadata/labels' },
    ]) {
      expect(failure(() => applyPatch(cm(), 'json', [op])).code, JSON.stringify(op)).toBe(422);
    }
    expect((applyJsonPatch(cm(), [{ op: 'move', from: '/data/key', path: '/data/moved' }]) as KObject).data).toEqual({ moved: 'value' });
  });

  it('refuses a patch that would shift more than 5*10^7 array elements (422), quickly; appends and small edits are fine', () => {
    const dep = () => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'c', args: Array.from({ length: 500_000 }, () => '') }] } } } }) as unknown as KObject;
    const at = '/spec/template/spec/containers/0/args';
    const t0 = performance.now();
    const f = failure(() => applyPatch(dep(), 'json', Array.from({ length: 10_000 }, () => ({ op: 'remove', path: `${at}/0` }))));
    expect(performance.now() - t0).toBeLessThan(2_000); // 2 to 9 s of shifting before
    expect(f.code).toBe(422);
    expect(f.message).toContain(String(MAX_JSON_PATCH_ARRAY_SHIFTS));
    expect(failure(() => applyPatch(dep(), 'json', Array.from({ length: 10_000 }, () => ({ op: 'move', from: `${at}/0`, path: `${at}/-` })))).code).toBe(422);
    // appends shift nothing; removals at the end shift nothing; 90 inserts at the front are 4.5*10^7
    const out = applyJsonPatch(dep(), [
      ...Array.from({ length: 5_000 }, () => ({ op: 'add', path: `${at}/-`, value: 'x' })),
      ...Array.from({ length: 4_000 }, (_, i) => ({ op: 'remove', path: `${at}/${504_999 - i}` })),
      ...Array.from({ length: 90 }, () => ({ op: 'add', path: `${at}/0`, value: 'y' })),
    ]) as any;
    expect(out.spec.template.spec.containers[0].args).toHaveLength(501_090);
  });
});

describe('merge and strategic patches stay linear', () => {
  it('merges 20,000 list items by key into 20,000 in well under a second', () => {
    const env = (n: number, v: string) => Array.from({ length: n }, (_, i) => ({ name: `e${i}`, value: v }));
    const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { template: { spec: { containers: [{ name: 'c', env: env(20_000, 'old') }] } } } } as unknown as KObject;
    const t0 = performance.now();
    const patch = { spec: { template: { spec: { containers: [{ name: 'c', env: [...env(20_000, 'new').filter((e) => e.name !== 'e5').reverse(), { name: 'e5', $patch: 'delete' }] }] } } } };
    const out = applyPatch(dep, 'strategic', patch, deploymentKind.schema) as any;
    expect(performance.now() - t0).toBeLessThan(2000); // a scan per item was 4*10^8 comparisons
    const got = out.spec.template.spec.containers[0].env;
    expect(got).toHaveLength(19_999);
    // kube's order: the patch's items in the patch's order
    expect(got[0]).toEqual({ name: 'e19999', value: 'new' });
    expect(got.find((e: { name: string }) => e.name === 'e5')).toBeUndefined();
  });

  it('handles duplicate keys as kube does: a delete takes every match, a later patch item merges into an earlier one', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: '1' }, { name: 'a', image: '2' }, { name: 'b', image: '3' }] } } as unknown as KObject;
    const out = applyPatch(pod, 'strategic', { spec: { containers: [{ name: 'a', $patch: 'delete' }, { name: 'a', image: 'x' }, { name: 'c', image: 'y' }, { name: 'c', image: 'z' }] } }, podKind.schema) as any;
    expect(out.spec.containers).toEqual([{ name: 'a', image: 'x' }, { name: 'c', image: 'z' }, { name: 'b', image: '3' }]);
  });
});
