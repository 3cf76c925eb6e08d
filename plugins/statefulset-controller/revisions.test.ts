import { describe, expect, it } from 'vitest';
import type { StatefulSet } from '@skiff/api';
import { goJson, hashControllerRevision } from '@skiff/client';
import { applyRevision, HASH_LABEL, newRevision } from './revisions.ts';

const set = (image = 'i'): StatefulSet => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web', namespace: 'ns', uid: 'u1', annotations: { note: 'x' } },
  spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } } },
});

describe('newRevision', () => {
  it('names a revision <set>-<hash of data and collision count>, with the template labels and the set annotations', () => {
    const r = newRevision(set(), 1, 0);
    const hash = hashControllerRevision(goJson(r.data), 0);
    expect(HASH_LABEL).toBe('controller.kubernetes.io/hash');
    expect(r.metadata.name).toBe(`web-${hash}`);
    expect(r.metadata.labels).toEqual({ app: 'web', [HASH_LABEL]: hash });
    expect(r.metadata.annotations).toEqual({ note: 'x' });
    expect(r.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
    expect(r.revision).toBe(1);
    expect(r.data).toEqual({ spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] }, $patch: 'replace' } } });
    expect(newRevision(set(), 1, 1).metadata.name).not.toBe(r.metadata.name);
    expect(newRevision(set('j'), 1, 0).metadata.name).not.toBe(r.metadata.name);
    expect(newRevision(set(), 7, 0).metadata.name).toBe(r.metadata.name);
  });

  it('holds a copy of the template, not the set\'s own object', () => {
    const s = set();
    const r = newRevision(s, 1, 0);
    (r.data as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template.spec.containers[0].image = 'changed';
    expect(s.spec?.template?.spec?.containers[0].image).toBe('i');
  });
});

describe('applyRevision', () => {
  it('replaces the template with the revision\'s', () => {
    const rev = newRevision(set('old'), 1, 0);
    const applied = applyRevision(set('new'), rev);
    expect(applied.spec?.template).toEqual({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'old' }] } });
    expect(applied.metadata.name).toBe('web');
  });
});
