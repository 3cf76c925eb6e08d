import { describe, expect, it } from 'vitest';
import type { ControllerRevision, KObject } from '@skiff/api';
import { goJson } from './canonical-json.ts';
import {
  CONTROLLER_REVISION_HASH_LABEL, equalRevision, hashControllerRevision, maxRevision, newControllerRevision, nextRevision,
  ownerPatchJson, revisionDataJson, revisionMatches, revisionName, revisionTemplate, sortRevisions, templatePatch,
} from './history.ts';
import { fnv32, safeEncodeString } from './hash.ts';

const template = (image = 'i') => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } });
const owner = (image = 'i'): KObject & { spec: { template: ReturnType<typeof template> } } => ({
  apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', namespace: 'ns', uid: 'u1' }, spec: { template: template(image) },
});
const ref = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u1', controller: true, blockOwnerDeletion: true };
const rev = (name: string, revision: number, t = '2024-01-01T00:00:00Z', data: unknown = {}): ControllerRevision =>
  ({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name, creationTimestamp: t }, data, revision });

describe('revision data', () => {
  it('is the template as a replacing patch, compared as Go bytes whatever the key order', () => {
    expect(templatePatch(template())).toEqual({ spec: { template: { ...template(), $patch: 'replace' } } });
    const stored = rev('r', 1, undefined, JSON.parse(JSON.stringify({ spec: { template: { $patch: 'replace', spec: template().spec, metadata: template().metadata } } })));
    expect(revisionDataJson(stored)).toBe(goJson(templatePatch(template())));
    expect(revisionMatches(owner(), stored)).toBe(true);
    expect(revisionMatches(owner('j'), stored)).toBe(false);
    expect(ownerPatchJson(owner())).toBe(revisionDataJson(stored));
  });

  it('gives back the template a revision restores', () => {
    expect(revisionTemplate(rev('r', 1, undefined, templatePatch(template('old'))))).toEqual(template('old'));
    expect(revisionTemplate(rev('r', 1, undefined, undefined))).toEqual({});
  });
});

describe('naming and hashing', () => {
  it('hashes the data bytes then the probe in decimal with FNV-32 (history.HashControllerRevision)', () => {
    const json = '{"a":1}';
    expect(hashControllerRevision(json)).toBe(safeEncodeString(String(fnv32(new TextEncoder().encode(json)))));
    expect(hashControllerRevision(json, 12)).toBe(safeEncodeString(String(fnv32(new TextEncoder().encode(json + '12')))));
    expect(hashControllerRevision(json, 0)).not.toBe(hashControllerRevision(json));
  });

  it('names a revision <parent>-<hash>, the prefix cut to 223 characters', () => {
    expect(revisionName('web', 'abc')).toBe('web-abc');
    expect(revisionName('x'.repeat(300), 'h')).toBe(`${'x'.repeat(223)}-h`);
  });

  it('makes a revision labelled and named by the hash of its data and collision count', () => {
    const data = templatePatch(template());
    const r = newControllerRevision(owner(), ref, template().metadata.labels, data, 3, 0);
    const hash = hashControllerRevision(goJson(data), 0);
    expect(r.metadata).toEqual({ name: `web-${hash}`, namespace: 'ns', labels: { app: 'web', [CONTROLLER_REVISION_HASH_LABEL]: hash }, ownerReferences: [ref] });
    expect(r.revision).toBe(3);
    expect(newControllerRevision(owner(), ref, {}, data, 3, 1).metadata.name).not.toBe(r.metadata.name);
    expect(newControllerRevision(owner(), ref, {}, templatePatch(template('j')), 3, 0).metadata.name).not.toBe(r.metadata.name);
  });
});

describe('comparing and ordering', () => {
  it('equal revisions: differing numeric hash labels say no, else the data decides', () => {
    const a = rev('a', 1, undefined, { x: 1 });
    const b = rev('b', 2, undefined, { x: 1 });
    expect(equalRevision(a, b)).toBe(true);
    const la = { ...a, metadata: { ...a.metadata, labels: { [CONTROLLER_REVISION_HASH_LABEL]: '12' } } };
    const lb = { ...b, metadata: { ...b.metadata, labels: { [CONTROLLER_REVISION_HASH_LABEL]: '13' } } };
    expect(equalRevision(la, lb)).toBe(false);
    const nb = { ...b, metadata: { ...b.metadata, labels: { [CONTROLLER_REVISION_HASH_LABEL]: 'bcdf' } } };
    expect(equalRevision(la, nb)).toBe(true); // a label that is not a number does not decide
    expect(equalRevision(a, rev('c', 1, undefined, { x: 2 }))).toBe(false);
    expect(equalRevision(undefined, undefined)).toBe(true);
    expect(equalRevision(a, undefined)).toBe(false);
  });

  it('sorts by revision, then age, then name; next is one past the highest', () => {
    const sorted = sortRevisions([rev('c', 2), rev('b', 1, '2024-01-02T00:00:00Z'), rev('a', 1, '2024-01-02T00:00:00Z'), rev('d', 1)]);
    expect(sorted.map((x) => x.metadata.name)).toEqual(['d', 'a', 'b', 'c']);
    expect(maxRevision([rev('x', 4), rev('y', 9), rev('z', 2)])).toBe(9);
    expect(nextRevision(sorted)).toBe(3);
    expect(nextRevision([])).toBe(1);
  });
});
