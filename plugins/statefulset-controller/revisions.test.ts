import { describe, expect, it } from 'vitest';
import type { ControllerRevision, StatefulSet } from '@skiff/api';
import { applyRevision, equalRevision, fnv1_32, goJson, hashRevisionData, newRevision, nextRevision, revisionName, safeEncodeString, sortRevisions } from './revisions.ts';

const set = (image = 'i'): StatefulSet => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'ns', uid: 'u1', annotations: { note: 'x' } },
  spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } } },
});

describe('hashing', () => {
  it('is 32-bit FNV-1 (not 1a)', () => {
    expect(fnv1_32(new Uint8Array())).toBe(0x811c9dc5);
    expect(fnv1_32(Buffer.from('a'))).toBe(0x050c5d7e);
    expect(fnv1_32(Buffer.from('foobar'))).toBe(0x31f0b262);
  });

  it('encodes like rand.SafeEncodeString', () => {
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
  });

  it('marshals like Go: sorted keys, HTML characters escaped', () => {
    expect(goJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: '<a&b>' } })).toBe('{"a":{"c":"\\u003ca\\u0026b\\u003e","d":[{"y":2,"z":1}]},"b":1}');
  });

  it('names a revision <set>-<hash of data and collision count>', () => {
    const r = newRevision(set(), 1, 0);
    const hash = hashRevisionData(goJson(r.data), 0);
    expect(r.metadata.name).toBe(`web-${hash}`);
    expect(r.metadata.labels).toEqual({ app: 'web', 'controller.kubernetes.io/hash': hash });
    expect(r.metadata.annotations).toEqual({ note: 'x' });
    expect(r.revision).toBe(1);
    expect(r.data).toEqual({ spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] }, $patch: 'replace' } } });
    expect(newRevision(set(), 1, 1).metadata.name).not.toBe(r.metadata.name);
    expect(newRevision(set('j'), 1, 0).metadata.name).not.toBe(r.metadata.name);
    expect(newRevision(set(), 7, 0).metadata.name).toBe(r.metadata.name);
    expect(revisionName('x'.repeat(300), 'h')).toBe(`${'x'.repeat(223)}-h`);
  });
});

describe('revision helpers', () => {
  it('compares data regardless of key order', () => {
    const a = newRevision(set(), 1, 0);
    const b: ControllerRevision = { ...a, metadata: { name: 'other' }, data: JSON.parse(JSON.stringify({ spec: { template: { $patch: 'replace', spec: (a.data as any).spec.template.spec, metadata: (a.data as any).spec.template.metadata } } })) };
    expect(equalRevision(a, b)).toBe(true);
    expect(equalRevision(a, newRevision(set('j'), 1, 0))).toBe(false);
  });

  it('sorts by revision, then age, then name; next is one past the last', () => {
    const r = (name: string, revision: number, t: string): ControllerRevision => ({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name, creationTimestamp: t }, revision });
    const sorted = sortRevisions([r('c', 2, '2024-01-01T00:00:00Z'), r('b', 1, '2024-01-02T00:00:00Z'), r('a', 1, '2024-01-02T00:00:00Z'), r('d', 1, '2024-01-01T00:00:00Z')]);
    expect(sorted.map((x) => x.metadata.name)).toEqual(['d', 'a', 'b', 'c']);
    expect(nextRevision(sorted)).toBe(3);
    expect(nextRevision([])).toBe(1);
  });

  it('applies a revision by replacing the template', () => {
    const rev = newRevision(set('old'), 1, 0);
    const applied = applyRevision(set('new'), rev);
    expect(applied.spec?.template).toEqual({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'old' }] } });
    expect(applied.metadata.name).toBe('web');
  });
});
