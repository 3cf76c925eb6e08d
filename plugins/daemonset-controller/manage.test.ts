import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';
import { byNodeOf, ds, node, pod } from './fixtures.ts';
import { byCreationAndPhase, nodesToDaemonPods, planManage, type ManageInput } from './manage.ts';

const plan = (over: Partial<ManageInput>) =>
  planManage({ ds: ds(), nodes: [], byNode: new Map(), hash: 'new', now: Date.now(), backoff: new Backoff(), deletePodsOfMissingNodes: true, ...over });
const names = (p: ReturnType<typeof plan>) => p.deletes.map((d) => d.pod.metadata.name);

describe('planManage', () => {
  it('creates on eligible nodes without a pod, and deletes where the node should not run one', () => {
    const onTainted = pod('tainted');
    const p = plan({
      nodes: [node('a'), node('b'), node('tainted', [{ key: 'k', effect: 'NoExecute' }]), node('soft', [{ key: 'k', effect: 'NoSchedule' }])],
      byNode: byNodeOf([pod('a'), onTainted]),
    });
    expect(p.nodesNeedingPods).toEqual(['b']);
    expect(names(p)).toEqual([onTainted.metadata.name]);
  });

  it('keeps the oldest of several pods on a node (scheduled ones first)', () => {
    const old = pod('a', { created: 1000 });
    const young = pod('a', { created: 2000 });
    const unbound = pod('a', { created: 500, bound: false });
    const p = plan({ nodes: [node('a')], byNode: byNodeOf([young, unbound, old]) });
    expect(names(p).sort()).toEqual([young.metadata.name, unbound.metadata.name].sort());
    expect([unbound, young, old].sort(byCreationAndPhase).map((x) => x.metadata.name)).toEqual([old.metadata.name, young.metadata.name, unbound.metadata.name]);
  });

  it('deletes a failed pod with a warning, then holds off that node for the back-off period', () => {
    const backoff = new Backoff(1000, 60_000);
    const failed = pod('a', { phase: 'Failed' });
    const first = plan({ nodes: [node('a')], byNode: byNodeOf([failed]), backoff, now: 10_000 });
    expect(names(first)).toEqual([failed.metadata.name]);
    expect(first.events).toEqual([{ type: 'Warning', reason: 'FailedDaemonPod', message: `Found failed daemon pod ns/${failed.metadata.name} on node a, will try to kill it` }]);
    const again = pod('a', { phase: 'Failed' });
    const soon = plan({ nodes: [node('a')], byNode: byNodeOf([again]), backoff, now: 10_500 });
    expect(soon.deletes).toEqual([]);
    expect(soon.requeueAfterMs).toBe(1000);
    const later = plan({ nodes: [node('a')], byNode: byNodeOf([again]), backoff, now: 11_001 });
    expect(names(later)).toEqual([again.metadata.name]);
    expect(backoff.get('ds-uid/0/a')).toBe(2000);
  });

  it('deletes a succeeded pod (a daemon should not end) with a Normal event', () => {
    const done = pod('a', { phase: 'Succeeded' });
    const p = plan({ nodes: [node('a')], byNode: byNodeOf([done]) });
    expect(names(p)).toEqual([done.metadata.name]);
    expect(p.events[0]).toMatchObject({ type: 'Normal', reason: 'SucceededDaemonPod' });
  });

  it('leaves pods being deleted alone and makes no new one beside them (without surge)', () => {
    const p = plan({ nodes: [node('a')], byNode: byNodeOf([pod('a', { deleting: true })]) });
    expect(p).toMatchObject({ nodesNeedingPods: [], deletes: [] });
  });

  it('with surge: a new pod at once beside a deleting one; an old ready pod stays until the new one is available', () => {
    const surge = ds({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(plan({ ds: surge, nodes: [node('a')], byNode: byNodeOf([pod('a', { deleting: true })]) }).nodesNeedingPods).toEqual(['a']);
    const old = pod('a', { hash: 'old' });
    const fresh = pod('a', { ready: false });
    expect(plan({ ds: surge, nodes: [node('a')], byNode: byNodeOf([old, fresh]) }).deletes).toEqual([]);
    const available = pod('a');
    expect(names(plan({ ds: surge, nodes: [node('a')], byNode: byNodeOf([old, available]) }))).toEqual([old.metadata.name]);
    const oldUnready = pod('a', { hash: 'old', ready: false });
    expect(names(plan({ ds: surge, nodes: [node('a')], byNode: byNodeOf([oldUnready, fresh]) }))).toEqual([oldUnready.metadata.name]);
  });

  it('deletes pods of nodes that are gone: unbound ones as kube does, bound ones at once (grace 0) unless told not to', () => {
    const unbound = pod('gone', { bound: false });
    const bound = pod('gone2');
    const p = plan({ nodes: [], byNode: byNodeOf([unbound, bound]) });
    expect(p.deletes.map((d) => [d.pod.metadata.name, d.gracePeriodSeconds])).toEqual([[unbound.metadata.name, undefined], [bound.metadata.name, 0]]);
    expect(names(plan({ nodes: [], byNode: byNodeOf([unbound, bound]), deletePodsOfMissingNodes: false }))).toEqual([unbound.metadata.name]);
  });
});

describe('nodesToDaemonPods', () => {
  it('groups by target node and drops terminal pods being deleted (unless asked for)', () => {
    const gone = pod('a', { phase: 'Failed', deleting: true });
    const live = pod('a');
    expect(nodesToDaemonPods([gone, live]).get('a')).toEqual([live]);
    expect(nodesToDaemonPods([gone, live], true).get('a')).toHaveLength(2);
  });
});
