import { describe, expect, it } from 'vitest';
import { goDuration } from './drain.ts';
import { podsForDeletion, type DaemonSetLookup, type DrainPod, type FilterOptions } from './drain-filters.ts';

const NOW = Date.parse('2025-01-01T00:10:00Z');
const opts = (o: Partial<FilterOptions> = {}): FilterOptions => ({ force: false, ignoreAllDaemonSets: false, deleteEmptyDirData: false, skipWaitForDeleteTimeoutSeconds: 0, ...o });

function pod(name: string, o: { owner?: string; phase?: string; deletedSecondsAgo?: number; emptyDir?: boolean; mirror?: boolean } = {}): DrainPod {
  return {
    metadata: {
      name,
      namespace: 'ns',
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: o.owner, name: `${name}-owner`, uid: 'u', controller: true }] } : {}),
      ...(o.deletedSecondsAgo !== undefined ? { deletionTimestamp: new Date(NOW - o.deletedSecondsAgo * 1000).toISOString() } : {}),
      ...(o.mirror ? { annotations: { 'kubernetes.io/config.mirror': 'x' } } : {}),
    },
    spec: o.emptyDir ? { volumes: [{ emptyDir: {} }] } : {},
    status: { phase: o.phase ?? 'Running' },
  };
}

const found: DaemonSetLookup = async () => 'found';
const gone: DaemonSetLookup = async () => 'notFound';
const names = (ps: DrainPod[]) => ps.map((p) => p.metadata.name);

describe('podsForDeletion', () => {
  it('evicts managed pods; finished pods go whatever they are', async () => {
    const r = await podsForDeletion([pod('a', { owner: 'ReplicaSet' }), pod('done', { phase: 'Succeeded' }), pod('ds-done', { owner: 'DaemonSet', phase: 'Failed' })], opts(), found, NOW);
    expect(r.warnings).toBe('');
    expect(r.errors).toEqual([]);
    expect(names(r.pods)).toEqual(['a', 'done', 'ds-done']);
  });

  it("treats a DaemonSet pod whose DaemonSet is gone as an orphan: an error, or with --force a warning and an eviction", async () => {
    let r = await podsForDeletion([pod('o', { owner: 'DaemonSet' })], opts({ ignoreAllDaemonSets: true }), gone, NOW);
    expect(r.errors).toEqual(['cannot delete daemonsets.apps "o-owner" not found: ns/o']);
    r = await podsForDeletion([pod('o', { owner: 'DaemonSet' })], opts({ force: true }), gone, NOW);
    // evicted; its warning is lost to the later filters' Okay, as in kubectl
    expect(r).toEqual({ pods: [expect.anything()], warnings: '', errors: [] });
  });

  it('reports a failed DaemonSet lookup as the pod’s error', async () => {
    const r = await podsForDeletion([pod('x', { owner: 'DaemonSet' })], opts(), async () => Promise.reject(new Error('connection refused')), NOW);
    expect(r.errors).toEqual(['cannot delete connection refused: ns/x']);
  });

  it('groups pods by message, and skips mirror pods and pods deleted longer ago than the timeout', async () => {
    const pods = [pod('m', { mirror: true }), pod('b1'), pod('b2'), pod('e', { emptyDir: true, owner: 'ReplicaSet' }), pod('old', { owner: 'ReplicaSet', deletedSecondsAgo: 30 }), pod('recent', { owner: 'ReplicaSet', deletedSecondsAgo: 5 })];
    let r = await podsForDeletion(pods, opts({ skipWaitForDeleteTimeoutSeconds: 10 }), found, NOW);
    expect(r.errors).toEqual(['cannot delete cannot delete Pods that declare no controller (use --force to override): ns/b1, ns/b2', 'cannot delete Pods with local storage (use --delete-emptydir-data to override): ns/e']);
    r = await podsForDeletion(pods, opts({ force: true, deleteEmptyDirData: true, skipWaitForDeleteTimeoutSeconds: 10 }), found, NOW);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toBe('deleting Pods that declare no controller: ns/b1, ns/b2');
    expect(names(r.pods)).toEqual(['b1', 'b2', 'e', 'recent']);
  });
});

describe('goDuration', () => {
  it("prints seconds as Go's time.Duration does", () => {
    expect([goDuration(3), goDuration(90), goDuration(3600), goDuration(3725)]).toEqual(['3s', '1m30s', '1h0m0s', '1h2m5s']);
  });
});
