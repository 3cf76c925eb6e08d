import { describe, expect, it } from 'vitest';
import { goJson, semanticJson } from './canonical-json.ts';

describe('goJson', () => {
  it('sorts keys at every level, drops undefined members and escapes as json.Marshal does', () => {
    const a = { b: { y: 1, x: [{ d: 1, c: 2 }] }, a: 'x<y>&z\u2028', u: undefined };
    expect(goJson(a)).toBe('{"a":"x\\u003cy\\u003e\\u0026z\\u2028","b":{"x":[{"c":2,"d":1}],"y":1}}');
    expect(goJson({ a: [1, undefined] })).toBe('{"a":[1,null]}');
    expect(goJson(null)).toBe('null');
  });

  it('keeps empty maps, lists and nulls (they are bytes of the revision)', () => {
    expect(goJson({ a: {}, b: [], c: null })).toBe('{"a":{},"b":[],"c":null}');
  });
});

describe('semanticJson', () => {
  it('encodes templates kube calls equal alike, whatever the key order or empty members', () => {
    const a = { metadata: { labels: { x: '1', y: '2' }, annotations: {} }, spec: { containers: [{ name: 'c', image: 'i', env: [] }], volumes: null } };
    const b = { spec: { containers: [{ image: 'i', name: 'c' }] }, metadata: { labels: { y: '2', x: '1' } } };
    expect(semanticJson(a)).toBe(semanticJson(b));
    expect(semanticJson(a)).toBe('{"metadata":{"labels":{"x":"1","y":"2"}},"spec":{"containers":[{"image":"i","name":"c"}]}}');
    expect(semanticJson({ ...b, spec: { containers: [{ image: 'j', name: 'c' }] } })).not.toBe(semanticJson(b));
  });

  it('keeps list positions and falsy scalars', () => {
    expect(semanticJson({ a: [null, 0, false, ''] })).toBe('{"a":[null,0,false,""]}');
    expect(semanticJson({})).toBe('null');
  });
});
