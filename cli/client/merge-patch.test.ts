import { describe, expect, it } from 'vitest';
import { applyMergePatch, contains, threeWayMergePatch } from './merge-patch.ts';

describe('threeWayMergePatch', () => {
  const live = {
    metadata: { name: 'x', labels: { a: '1', b: '2' }, resourceVersion: '7' },
    spec: { containers: [{ name: 'c', image: 'v1', imagePullPolicy: 'IfNotPresent' }], restartPolicy: 'Always' },
  };
  const original = { metadata: { name: 'x', labels: { a: '1', b: '2' } }, spec: { containers: [{ name: 'c', image: 'v1' }] } };

  it('is empty when nothing changed, even with server defaults in arrays', () => {
    expect(threeWayMergePatch(original, original, live)).toEqual({});
    expect(threeWayMergePatch(undefined, original, live)).toEqual({});
  });

  it('sets changed fields and replaces changed arrays whole', () => {
    const modified = { metadata: { name: 'x', labels: { a: '9', b: '2' } }, spec: { containers: [{ name: 'c', image: 'v2' }] } };
    expect(threeWayMergePatch(original, modified, live)).toEqual({ metadata: { labels: { a: '9' } }, spec: { containers: [{ name: 'c', image: 'v2' }] } });
  });

  it('nulls fields removed from the configuration, but not fields others set', () => {
    const modified = { metadata: { name: 'x', labels: { a: '1' } }, spec: { containers: [{ name: 'c', image: 'v1' }] } };
    expect(threeWayMergePatch(original, modified, live)).toEqual({ metadata: { labels: { b: null } } });
    // restartPolicy was never in the configuration: left alone
    expect(applyMergePatch(live, threeWayMergePatch(original, modified, live))).toMatchObject({ spec: { restartPolicy: 'Always' } });
  });

  it('sends an array the configuration changed even if the live one still contains it', () => {
    const withCmd = { ...original, spec: { containers: [{ name: 'c', image: 'v1', command: ['sh'] }] } };
    const liveWithCmd = { ...live, spec: { ...live.spec, containers: [{ ...live.spec.containers[0], command: ['sh'] }] } };
    expect(threeWayMergePatch(withCmd, original, liveWithCmd)).toEqual({ spec: { containers: [{ name: 'c', image: 'v1' }] } });
  });
});

describe('merge patch helpers', () => {
  it('contains: live may have more fields, arrays same length', () => {
    expect(contains({ a: 1, b: [{ x: 1, y: 2 }] }, { b: [{ x: 1 }] })).toBe(true);
    expect(contains({ b: [{ x: 1 }, { x: 2 }] }, { b: [{ x: 1 }] })).toBe(false);
    expect(contains({ a: 1 }, { a: 2 })).toBe(false);
  });
  it('applyMergePatch follows RFC 7386', () => {
    expect(applyMergePatch({ a: 1, b: { c: 2, d: 3 } }, { a: null, b: { c: 4 }, e: [1] })).toEqual({ b: { c: 4, d: 3 }, e: [1] });
  });
});
