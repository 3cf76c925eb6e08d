import { describe, expect, it } from 'vitest';
import { computeHash, fnv32, fnv32a, safeEncodeString } from './hash.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('FNV-32', () => {
  it('FNV-1 and FNV-1a match the reference vectors', () => {
    expect(fnv32(bytes(''))).toBe(0x811c9dc5);
    expect(fnv32(bytes('a'))).toBe(0x050c5d7e);
    expect(fnv32(bytes('foobar'))).toBe(0x31f0b262);
    expect(fnv32a(bytes(''))).toBe(0x811c9dc5);
    expect(fnv32a(bytes('a'))).toBe(0xe40c292c);
    expect(fnv32a(bytes('foobar'))).toBe(0xbf9cf968);
  });

  it('continues from a previous sum as one stream', () => {
    expect(fnv32a(bytes('bar'), fnv32a(bytes('foo')))).toBe(fnv32a(bytes('foobar')));
    expect(fnv32(bytes('bar'), fnv32(bytes('foo')))).toBe(fnv32(bytes('foobar')));
  });
});

describe('safeEncodeString', () => {
  it('maps each character onto the alphabet without vowels and 0, 1, 3', () => {
    // '0' is 48 and 48 % 27 = 21: the 22nd letter, '4'
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
    expect(safeEncodeString(String(0xffffffff))).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
  });
});

describe('computeHash', () => {
  const a = { metadata: { labels: { x: '1', y: '2' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };

  it('is the encoded FNV-32a of the template (pinned, so names stay stable across releases)', () => {
    expect(computeHash(a)).toBe(safeEncodeString(String(fnv32a(bytes('{"metadata":{"labels":{"x":"1","y":"2"}},"spec":{"containers":[{"image":"i","name":"c"}]}}')))));
  });

  it('depends on content, not key order nor empty members; the collision count changes it', () => {
    const b = { spec: { containers: [{ image: 'i', name: 'c', env: [] }] }, metadata: { labels: { y: '2', x: '1' } } };
    expect(computeHash(b)).toBe(computeHash(a));
    expect(computeHash({ ...a, spec: { containers: [{ name: 'c', image: 'j' }] } })).not.toBe(computeHash(a));
    expect(computeHash(a, 1)).not.toBe(computeHash(a));
    expect(computeHash(a, 1)).not.toBe(computeHash(a, 2));
    expect(computeHash(a, 0)).not.toBe(computeHash(a)); // a count of 0 is hashed too, as kube does
    expect(computeHash(a, null)).toBe(computeHash(a));
  });
});
