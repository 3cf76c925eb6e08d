// Cluster events: what the scheduler does when the informers report nodes and pods (or a full
// relist), and when the policy registry changes. Node and pod changes go into the cache; pending
// pods this scheduler serves go into the queue; and each change that may make an unschedulable pod
// fit is announced to the queue as a ClusterEvent (heartbeats and bound pods' status updates are
// not). `mayHelp` tells the queue whether a policy that rejected a pod cares about an event.
import type { KObject } from '@skiff/kernel';
import type { SchedulerCache } from './cache.ts';
import type { ClusterEvent, PodInfo } from './framework.ts';
import { isTerminal, podInfoOf } from './pod-info.ts';
import { DEFAULT_PROFILE, type SchedulerPolicyRegistry } from './policy-registry.ts';
import type { SchedulingQueue } from './queue.ts';
import type { FailureReporter } from './reporter.ts';

export class ClusterEvents {
  constructor(
    private readonly cache: SchedulerCache,
    private readonly queue: SchedulingQueue,
    private readonly registry: SchedulerPolicyRegistry,
    private readonly profiles: ReadonlySet<string>,
    private readonly reporter: FailureReporter,
  ) {}

  resetNodes(items: readonly KObject[]): void {
    this.cache.resetNodes([...items]);
    this.queue.onClusterEvent('NodeAdd');
  }

  onNode(type: 'ADDED' | 'MODIFIED' | 'DELETED', node: KObject): void {
    const name = node.metadata.name!;
    if (type === 'DELETED') {
      this.cache.removeNode(name);
      this.queue.onClusterEvent('NodeDelete');
      return;
    }
    const prev = this.cache.node(name)?.node; // the object, before upsertNode replaces it
    this.cache.upsertNode(node);
    if (!prev) this.queue.onClusterEvent('NodeAdd');
    else if (nodeSchedulingChanged(prev, node)) this.queue.onClusterEvent('NodeUpdate');
  }

  resetPods(items: readonly KObject[]): void {
    const bound: PodInfo[] = [];
    const seen = new Set<string>();
    for (const p of items) {
      const uid = p.metadata.uid!;
      seen.add(uid);
      const nodeName = (p.spec as { nodeName?: string } | undefined)?.nodeName;
      if (nodeName) {
        this.queue.delete(uid);
        if (!isTerminal(p)) bound.push(podInfoOf(p));
      } else {
        this.onPod('ADDED', p);
      }
    }
    for (const uid of this.queue.uids()) if (!seen.has(uid)) this.queue.delete(uid);
    this.cache.resetPods(bound);
    this.queue.onClusterEvent('PodDelete');
  }

  onPod(type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: KObject): void {
    const uid = pod.metadata.uid!;
    if (type === 'DELETED') {
      this.queue.delete(uid);
      this.reporter.forget(uid);
      if (this.cache.nodeOf(uid) !== undefined) {
        this.cache.removePod(uid);
        this.queue.onClusterEvent('PodDelete');
      }
      return;
    }
    const spec = pod.spec as { nodeName?: string; schedulerName?: string } | undefined;
    if (spec?.nodeName) {
      // bound: out of the queue, into the cache (confirming an assumed pod)
      this.queue.delete(uid);
      this.reporter.forget(uid);
      if (isTerminal(pod)) {
        if (this.cache.nodeOf(uid) !== undefined) {
          this.cache.removePod(uid);
          this.queue.onClusterEvent('PodDelete');
        }
        return;
      }
      const before = this.cache.isAssumed(uid) ? undefined : this.cache.podInfo(uid);
      const info = podInfoOf(pod);
      this.cache.upsertBoundPod(info);
      // a bound pod's status updates (the node agent's) change nothing for scheduling
      if (!before) this.queue.onClusterEvent('PodAdd');
      else if (before.nodeName !== info.nodeName || !sameLabels(before.labels, info.labels)) this.queue.onClusterEvent('PodUpdate');
      return;
    }
    if (pod.metadata.deletionTimestamp || isTerminal(pod)) {
      this.queue.delete(uid);
      return;
    }
    if (!this.profiles.has(spec?.schedulerName || DEFAULT_PROFILE)) return;
    // assumed and its binding done: the watch will show it bound
    if (this.cache.nodeOf(uid) !== undefined && this.queue.location(uid) !== 'inflight') return;
    this.queue.addOrUpdate(podInfoOf(pod));
  }

  policiesChanged(): void {
    const first = [...this.profiles][0];
    this.queue.setLess(this.registry.snapshot(first).queueSort?.policy.less?.bind(this.registry.snapshot(first).queueSort!.policy));
    // a new policy set may fit pods the old one did not
    this.queue.moveAllUnschedulable();
  }

  mayHelp(policy: string, event: ClusterEvent): boolean {
    for (const profile of this.profiles) {
      const e = this.registry.snapshot(profile).byName.get(policy);
      if (e) return !e.events || e.events.has(event);
    }
    return true; // the policy is gone
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

/** Whether a Node update may change scheduling (not heartbeats): labels, spec, allocatable, images. */
function nodeSchedulingChanged(a: KObject, b: KObject): boolean {
  if (a === b) return false;
  const sa = (a.status ?? {}) as { allocatable?: unknown; capacity?: unknown; images?: unknown };
  const sb = (b.status ?? {}) as { allocatable?: unknown; capacity?: unknown; images?: unknown };
  return (
    JSON.stringify(a.metadata.labels ?? {}) !== JSON.stringify(b.metadata.labels ?? {}) ||
    JSON.stringify(a.spec ?? {}) !== JSON.stringify(b.spec ?? {}) ||
    JSON.stringify(sa.allocatable ?? sa.capacity ?? {}) !== JSON.stringify(sb.allocatable ?? sb.capacity ?? {}) ||
    JSON.stringify(sa.images ?? []) !== JSON.stringify(sb.images ?? [])
  );
}
