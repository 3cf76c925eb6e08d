import { describe, expect, it } from 'vitest';
import { WatchState, scopeUrl, type WatchEventLine } from './soak-watch.ts';

const obj = (name: string, rv: number, namespace = 'a') => ({ metadata: { name, namespace, resourceVersion: String(rv) } });
const ev = (type: string, name: string, rv: number): WatchEventLine => ({ type, object: obj(name, rv) });

describe('WatchState', () => {
  it('accepts events in resourceVersion order after the list and ends up holding what a list holds', () => {
    const w = new WatchState();
    w.reset([obj('x', 3)], '5');
    w.apply(ev('ADDED', 'y', 6));
    w.apply(ev('MODIFIED', 'x', 7));
    w.apply(ev('BOOKMARK', '', 9));
    w.apply(ev('DELETED', 'y', 10));
    expect(w.violations).toEqual([]);
    expect(w.events).toBe(3);
    expect(w.rv).toBe(10);
    expect(w.diff([obj('x', 7)])).toEqual([]);
  });

  it('flags a repeated or older event, and a bookmark going back', () => {
    const w = new WatchState();
    w.reset([], '5');
    w.apply(ev('ADDED', 'y', 6));
    w.apply(ev('MODIFIED', 'y', 6));
    w.apply(ev('MODIFIED', 'y', 4));
    w.apply(ev('BOOKMARK', '', 5));
    expect(w.violations).toHaveLength(3);
    expect(w.violations[0]).toMatch(/MODIFIED a\/y at 6 after 6/);
  });

  it('flags events that do not fit what the watch holds', () => {
    const w = new WatchState();
    w.reset([obj('x', 3)], '5');
    w.apply(ev('ADDED', 'x', 6));
    w.apply(ev('MODIFIED', 'z', 7));
    w.apply(ev('DELETED', 'q', 8));
    expect(w.violations.map((v) => v.split(' ')[0])).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
  });

  it('reports lost and extra objects against a list', () => {
    const w = new WatchState();
    w.reset([obj('x', 3), obj('y', 4)], '5');
    expect(w.diff([obj('x', 3), obj('y', 8), obj('z', 9)])).toEqual(['a/y: list 8, watch 4', 'a/z: list 9, watch none']);
    expect(w.diff([obj('x', 3)])).toEqual(['a/y: watch 4, not listed']);
  });
});

describe('scopeUrl', () => {
  it('adds the selector and the watch parameters as a query', () => {
    expect(scopeUrl({ path: '/api/v1/configmaps' })).toBe('/api/v1/configmaps');
    expect(scopeUrl({ path: '/api/v1/configmaps', labelSelector: 's=1' }, { watch: '1' })).toBe('/api/v1/configmaps?labelSelector=s%3D1&watch=1');
  });
});
