import { describe, expect, it } from 'vitest';
import type { KindInfo } from '@skiff/kernel';
import { requestResourcePath } from './paths.ts';

const pods = { group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespaced: true, subresources: ['log'] } as unknown as KindInfo;

describe('requestResourcePath', () => {
  it('parses a request URL once for the same kinds, again for new kinds, and throws for a malformed one every time', () => {
    const kinds = [pods];
    const req = { url: '/api/v1/namespaces/a/pods/p/log?follow=1' };
    const first = requestResourcePath(req, kinds);
    expect(first).toMatchObject({ group: '', version: 'v1', namespace: 'a', resource: 'pods', name: 'p', subresource: 'log' });
    expect(requestResourcePath(req, kinds)).toBe(first);
    const again = requestResourcePath(req, [pods]);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    const bad = { url: '/api/v1/namespaces/a/pods/%zz' };
    expect(() => requestResourcePath(bad, kinds)).toThrow(/malformed percent-encoding/);
    expect(() => requestResourcePath(bad, kinds)).toThrow(/malformed percent-encoding/);
  });
});
