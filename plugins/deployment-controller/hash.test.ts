import { describe, expect, it } from 'vitest';
import type { PodTemplateSpec } from '@skiff/api';
import { canonicalJson, computeHash, equalIgnoreHash, fnv32a, safeEncodeString } from './hash.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const template = (image: string, labels: Record<string, string> = { app: 'web' }): PodTemplateSpec => ({
  metadata: { labels },
  spec: { containers: [{ name: 'c', image }] },
});

describe('pod-template-hash', () => {
  it('is FNV-32a (the published test vectors)', () => {
    expect(fnv32a(enc(''))).toBe(0x811c9dc5);
    expect(fnv32a(enc('a'))).toBe(0xe40c292c);
    expect(fnv32a(enc('foobar'))).toBe(0xbf9cf968);
  });

  it('encodes the decimal sum with rand.SafeEncodeString', () => {
    // digits map to 4 5 6 7 8 9 b c d f: kube's hashes look like "7c5ddbdf54"
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
    const h = computeHash(template('nginx:1'));
    expect(h).toMatch(/^[456789bcdf]{1,10}$/);
    expect(h).toBe(safeEncodeString(String(fnv32a(enc(canonicalJson(template('nginx:1')))))));
  });

  it('depends on the template and the collision count, not on key order', () => {
    const a = computeHash(template('nginx:1'));
    expect(computeHash(template('nginx:1'))).toBe(a);
    expect(computeHash({ spec: { containers: [{ image: 'nginx:1', name: 'c' }] }, metadata: { labels: { app: 'web' } } })).toBe(a);
    expect(computeHash(template('nginx:2'))).not.toBe(a);
    const c1 = computeHash(template('nginx:1'), 1);
    expect(c1).not.toBe(a);
    expect(computeHash(template('nginx:1'), 2)).not.toBe(c1);
    // collisionCount 0 still adds its 8 bytes, as kube's does for a non-nil pointer
    expect(computeHash(template('nginx:1'), 0)).not.toBe(a);
  });

  it('compares templates ignoring the pod-template-hash label and empty fields', () => {
    expect(equalIgnoreHash(template('nginx:1'), template('nginx:1', { app: 'web', 'pod-template-hash': 'abc' }))).toBe(true);
    expect(equalIgnoreHash(template('nginx:1'), { ...template('nginx:1'), metadata: { labels: { app: 'web' }, annotations: {} } })).toBe(true);
    expect(equalIgnoreHash(template('nginx:1'), template('nginx:2'))).toBe(false);
    expect(equalIgnoreHash(template('nginx:1'), template('nginx:1', { app: 'api' }))).toBe(false);
  });
});
