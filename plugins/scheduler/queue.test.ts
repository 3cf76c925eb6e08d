import { afterEach, describe, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { podInfoOf } from './pod-info.ts';
import { SchedulingQueue, type QueueOptions } from './queue.ts';

let t = 1_000_000;
const queues: SchedulingQueue[] = [];
afterEach(() => {
  for (const q of queues.splice(0)) q.close();
});

function queue(opts: QueueOptions = {}): SchedulingQueue {
  const q = new SchedulingQueue({ now: () => t, ...opts });
  queues.push(q);
  return q;
}

function pod(name: string, priority = 0, created = '2024-01-01T00:00:00Z', extra: Partial<KObject['metadata']> = {}) {
  return podInfoOf({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: created, ...extra },
    spec: { priority, containers: [] },
  });
}

const names = (q: SchedulingQueue) => {
  const out: string[] = [];
  for (let p = q.tryPop(); p; p = q.tryPop()) out.push(p.info.name);
  return out;
};

describe('SchedulingQueue', () => {
  it('pops by priority, then creation time, then arrival', () => {
    const q = queue();
    q.addOrUpdate(pod('a', 0, '2024-01-01T00:00:02Z'));
    q.addOrUpdate(pod('b', 10, '2024-01-01T00:00:05Z'));
    q.addOrUpdate(pod('c', 0, '2024-01-01T00:00:01Z'));
    q.addOrUpdate(pod('d', 10, '2024-01-01T00:00:05Z'));
    q.addOrUpdate(pod('e', -5));
    expect(names(q)).toEqual(['b', 'd', 'c', 'a', 'e']);
  });

  it("uses the profile's QueueSort when set", () => {
    const q = queue();
    for (const n of ['b', 'c', 'a']) q.addOrUpdate(pod(n));
    q.setLess((x, y) => x.name < y.name);
    expect(names(q)).toEqual(['a', 'b', 'c']);
  });

  it('replaces a queued pod on update and drops deleted ones', () => {
    const q = queue();
    q.addOrUpdate(pod('a', 0));
    q.addOrUpdate(pod('b', 5));
    q.addOrUpdate(pod('a', 100)); // same uid, new priority
    q.addOrUpdate(pod('c'));
    q.delete('uid-c');
    expect(q.stats().active).toBe(2);
    expect(names(q)).toEqual(['a', 'b']);
  });

  it('backs off exponentially from 1 s to 10 s', () => {
    const q = queue();
    q.addOrUpdate(pod('a'));
    const expiries: number[] = [];
    for (let i = 0; i < 6; i++) {
      const p = q.tryPop()!;
      q.requeueBackoff(p);
      expiries.push(q.get('uid-a')!.backoffUntil - t);
      expect(q.location('uid-a')).toBe('backoff');
      t = q.get('uid-a')!.backoffUntil; // time passes
      q.flushBackoff(); // the clock is fake; the real timer would fire at the same point

      expect(q.location('uid-a')).toBe('active');
    }
    expect(expiries).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });

  it('moves unschedulable pods on an event a rejecting policy listed, not on others', async () => {
    const q = queue({ mayHelp: (policy, ev) => (policy === 'Fit' ? ev === 'NodeAdd' : ev === 'PodDelete') });
    q.addOrUpdate(pod('a'));
    q.addOrUpdate(pod('b'));
    const a = q.tryPop()!;
    const b = q.tryPop()!;
    // a later cycle than any event so far
    q.requeueUnschedulable(a, new Set(['Fit']));
    q.requeueUnschedulable(b, new Set(['Affinity']));
    expect(q.stats().unschedulable).toBe(2);
    q.onClusterEvent('NodeUpdate');
    await new Promise((r) => setImmediate(r));
    expect(q.stats().unschedulable).toBe(2);
    t += 20_000; // past any backoff
    q.onClusterEvent('NodeAdd');
    await new Promise((r) => setImmediate(r));
    expect(q.location('uid-a')).toBe('active');
    expect(q.location('uid-b')).toBe('unschedulable');
  });

  it('sends a pod to backoff instead of unschedulable when an event arrived while it was in flight', () => {
    const q = queue();
    q.addOrUpdate(pod('a'));
    const a = q.tryPop()!;
    q.onClusterEvent('NodeAdd'); // during the cycle
    q.requeueUnschedulable(a, new Set(['Fit']));
    expect(q.location('uid-a')).toBe('backoff');
  });

  it('flushes pods that waited longer than maxUnschedulable', async () => {
    const q = queue({ maxUnschedulableMs: 20, mayHelp: () => false });
    q.addOrUpdate(pod('a'));
    q.requeueUnschedulable(q.tryPop()!, new Set(['Fit']));
    expect(q.location('uid-a')).toBe('unschedulable');
    t += 60_000;
    await new Promise((r) => setTimeout(r, 50));
    expect(q.location('uid-a')).toBe('active');
  });

  it('keeps updates of in-flight pods for a requeue, and never requeues a pod deleted in flight', () => {
    const q = queue();
    q.addOrUpdate(pod('a', 0));
    q.addOrUpdate(pod('b', 0));
    const a = q.tryPop()!;
    q.addOrUpdate(pod('a', 50));
    expect(q.stats().active).toBe(1); // not added a second time
    q.requeueBackoff(a);
    expect(q.get('uid-a')!.info.priority).toBe(50);
    const b = q.tryPop()!;
    q.delete('uid-b');
    q.requeueBackoff(b);
    expect(q.location('uid-b')).toBeUndefined();
  });

  it('moves an unschedulable pod at once when its spec or labels change', () => {
    const q = queue({ mayHelp: () => false });
    q.addOrUpdate(pod('a'));
    q.requeueUnschedulable(q.tryPop()!, new Set(['Fit']));
    q.addOrUpdate(pod('a', 0, undefined, { resourceVersion: '9' })); // status-only kind of change
    expect(q.location('uid-a')).toBe('unschedulable');
    t += 20_000;
    q.addOrUpdate(pod('a', 0, undefined, { labels: { x: 'y' } }));
    expect(q.location('uid-a')).toBe('active');
  });

  it('hands a pod straight to a waiting pop', async () => {
    const q = queue();
    const waiting = q.pop();
    q.addOrUpdate(pod('a'));
    expect((await waiting)!.info.name).toBe('a');
    expect(q.location('uid-a')).toBe('inflight');
    q.close();
    expect(await q.pop()).toBeUndefined();
  });
});
