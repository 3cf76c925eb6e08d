import { describe, expect, it } from 'vitest';
import type { KObject } from '../types.ts';
import { buildMatcher, parseFieldSelector, parseLabelSelector } from './selectors.ts';

const obj = (name: string, labels?: Record<string, string>, phase?: string): KObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns', labels }, status: { phase } }) as unknown as KObject;
const fields = { 'status.phase': (o: KObject) => (o as unknown as { status?: { phase?: string } }).status?.phase };

describe('selectors', () => {
  it('bad label selector syntax is a 400 carrying the parser message', () => {
    expect(() => parseLabelSelector('app in (')).toThrow(expect.objectContaining({ code: 400 }));
    expect(() => parseLabelSelector('a b')).toThrow('unable to parse requirement: "a b" in label selector "a b"');
  });
  it('field selectors split on top-level commas', () => {
    expect(parseFieldSelector('metadata.name=a, status.phase!=Running')).toEqual([
      { field: 'metadata.name', op: '=', value: 'a' },
      { field: 'status.phase', op: '!=', value: 'Running' },
    ]);
  });
  it('buildMatcher ANDs labels and fields; nothing to match is undefined; unknown fields are a 400', () => {
    const m = buildMatcher('app=web', 'status.phase=Running', fields, 'Pod')!;
    expect(m(obj('a', { app: 'web' }, 'Running'))).toBe(true);
    expect(m(obj('a', { app: 'web' }, 'Pending'))).toBe(false);
    expect(m(obj('a', { app: 'db' }, 'Running'))).toBe(false);
    expect(buildMatcher('', ' ', fields, 'Pod')).toBeUndefined();
    expect(() => buildMatcher(undefined, 'spec.x=1', fields, 'Pod')).toThrow('"spec.x" is not a known field selector');
  });
  it('matches any stored shape: labels null or not an object, a getter that throws, a non-string field', () => {
    const odd = (metadata: unknown, status?: unknown) => ({ apiVersion: 'v1', kind: 'Pod', metadata, status }) as unknown as KObject;
    const m = buildMatcher('a notin ()', undefined, fields, 'Pod')!;
    for (const labels of [null, 5, 'x', ['a'], undefined]) expect(m(odd({ name: 'n', labels }))).toBe(true);
    expect(buildMatcher('a', undefined, fields, 'Pod')!(odd({ name: 'n', labels: null }))).toBe(false);
    expect(buildMatcher('!a', undefined, fields, 'Pod')!(odd({ name: 'n', labels: null }))).toBe(true);
    const throwing = { 'spec.x': (o: KObject) => (o as any).spec.x as string };
    expect(buildMatcher(undefined, 'spec.x=', throwing, 'Pod')!(odd({ name: 'n' }))).toBe(true);
    expect(buildMatcher(undefined, 'spec.x!=a', throwing, 'Pod')!(odd({ name: 'n' }))).toBe(true);
    expect(buildMatcher(undefined, 'status.phase=5', fields, 'Pod')!(odd({ name: 'n' }, { phase: 5 }))).toBe(true);
    expect(buildMatcher(undefined, 'metadata.name=n', fields, 'Pod')!(odd(null))).toBe(false);
  });
});
