import { describe, expect, it } from 'vitest';
import { checkBodyDepth, depthExceeds, MAX_BODY_DEPTH } from './limits.ts';
import { isStatusError } from '../status.ts';

const nest = (d: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < d; i++) v = i % 2 ? [v] : { a: v };
  return v;
};

describe('depthExceeds', () => {
  it('counts objects and arrays, not scalars', () => {
    expect(depthExceeds(1, 0)).toBe(false);
    expect(depthExceeds({}, 0)).toBe(true);
    expect(depthExceeds({}, 1)).toBe(false);
    expect(depthExceeds(nest(5), 5)).toBe(false);
    expect(depthExceeds(nest(6), 5)).toBe(true);
  });
  it('follows a million levels without the call stack', () => {
    expect(depthExceeds(JSON.parse('['.repeat(1e6) + ']'.repeat(1e6)), MAX_BODY_DEPTH)).toBe(true);
  });
  it('shared nodes: a node met first shallow and later deep is measured at its deepest', () => {
    const leaf = nest(3) as object;
    const v = { shallow: leaf, deep: { a: { a: { a: leaf } } } };
    expect(depthExceeds(v, 6, true)).toBe(true); // v(1) deep(2) a(3) a(4) leaf(5..7)
    expect(depthExceeds(v, 7, true)).toBe(false);
  });
  it('a cycle is too deep', () => {
    const a: unknown[] = [];
    a.push(a);
    expect(depthExceeds(a, MAX_BODY_DEPTH, true)).toBe(true);
  });
  // (how fast is the api bench's business: a test asserts only that a wide body is not deep)
  it('a flat body of a million small objects is not deep', () => {
    const body = JSON.parse('[' + Array(1e6).fill('{"a":1}').join(',') + ']');
    expect(depthExceeds(body, MAX_BODY_DEPTH)).toBe(false);
    expect(depthExceeds([body], 2)).toBe(true);
  });
  it('checkBodyDepth throws a 400 Status', () => {
    try {
      checkBodyDepth(nest(MAX_BODY_DEPTH + 1));
      expect.unreachable();
    } catch (e) {
      expect(isStatusError(e) && e.code).toBe(400);
    }
  });
});
