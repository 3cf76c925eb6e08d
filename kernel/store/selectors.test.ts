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
});
