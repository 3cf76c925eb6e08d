import { describe, expect, it } from 'vitest';
import { cloneJson, jsonEqual } from './json.ts';

describe('cloneJson', () => {
  it('copies deeply: changing the copy leaves the original as it was', () => {
    const orig = Object.freeze({ a: Object.freeze({ b: Object.freeze([1, Object.freeze({ c: 'x' })]) }), n: null });
    const copy = cloneJson(orig) as { a: { b: [number, { c: string }] }; n: null };
    copy.a.b[1].c = 'y';
    copy.a.b.push(2 as never);
    expect(orig).toEqual({ a: { b: [1, { c: 'x' }] }, n: null });
    expect(copy).toEqual({ a: { b: [1, { c: 'y' }, 2] }, n: null });
    expect(Object.isFrozen(copy.a)).toBe(false);
  });

  it('keeps values that are not plain objects (a Date stays a Date)', () => {
    const d = new Date(0);
    const copy = cloneJson({ d });
    expect(copy.d).toBeInstanceOf(Date);
    expect(copy.d).not.toBe(d);
    expect(copy.d.getTime()).toBe(0);
  });
});

describe('jsonEqual', () => {
  it('compares as JSON does: key order does not matter, undefined keys are absent', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1, u: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, u: undefined })).toBe(true);
  });

  it('finds every kind of difference', () => {
    expect(jsonEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 0 })).toBe(false);
    expect(jsonEqual({ a: 1, b: 0 }, { a: 1 })).toBe(false);
    expect(jsonEqual([1, 2], [1, 2, 3])).toBe(false);
    expect(jsonEqual([1, 2], { 0: 1, 1: 2 })).toBe(false);
    expect(jsonEqual({ 0: 1 }, [1])).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
    expect(jsonEqual({ a: null }, { a: undefined })).toBe(false);
    expect(jsonEqual('1', 1)).toBe(false);
  });
});
