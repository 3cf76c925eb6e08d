// The pods bound to the hollow nodes: one watch on all bound pods (filtered here to ours), a status
// write that makes a new pod Running (with a pod IP from its node's CIDR), and the final grace-0
// delete once a pod is marked for deletion. Per pod, one write at a time; newer events queue.
import type { KObject, Watch, WatchEvent } from '@skiff/kernel';
import type { NodeState } from './nodes.ts';
import { PODS, hostPart, podIP, runningPodStatus } from './objects.ts';
import type { Limiter } from './pacing.ts';
import { code, sleep, type Runtime } from './runtime.ts';

export class Pods {
  private podWatch?: Watch;
  private podLoop?: Promise<void>;
  /** pod uid → its latest object, while queued */
  private readonly podPending = new Map<string, KObject>();
  /** pod uids being processed (a newer event is queued behind, not run alongside) */
  private readonly podBusy = new Set<string>();
  /** running pods: uid → node name and IP host part (released on delete) */
  private readonly running = new Map<string, { node: string; host: number }>();
  /** pods whose final delete was sent */
  private readonly finishing = new Set<string>();
  /** sees every event of a pod on these nodes (the usage reports, metrics.ts) */
  observer?: (ev: WatchEvent, node: string) => void;

  constructor(
    private readonly rt: Runtime,
    private readonly byName: Map<string, NodeState>,
    /** pod status / deletion writes in flight */
    private readonly podLimit: Limiter,
  ) {}

  /** pods on these nodes currently known as running */
  get runningCount(): number {
    return this.running.size;
  }

  /** Start the watch (runs until stop). */
  start(): void {
    this.podLoop = this.watchPods();
  }

  /** End the watch and wait for its loop (rt.stopped is already set). */
  async stop(): Promise<void> {
    this.podWatch?.stop();
    await this.podLoop?.catch(() => {});
  }

  /** One watch on every bound pod; the ones on other nodes are dropped here. Re-watches on errors. */
  private async watchPods(): Promise<void> {
    const rt = this.rt;
    let rv: string | undefined;
    while (!rt.stopped) {
      try {
        const w = (this.podWatch = rt.kernel.watch(PODS, { fieldSelector: 'spec.nodeName!=', allowWatchBookmarks: true, ...(rv ? { resourceVersion: rv } : {}) }));
        if (rt.stopped) w.stop();
        let failed = false;
        for await (const ev of w) {
          if (ev.type === 'ERROR') {
            const st = ev.object as unknown as { code?: number; message?: string };
            rt.logger.info('pod watch ended; watching again from the current state', { code: st.code, message: st.message });
            failed = true;
            break;
          }
          const evRv = ev.object.metadata?.resourceVersion;
          if (evRv) rv = evRv;
          if (ev.type !== 'BOOKMARK') this.onPod(ev);
        }
        w.stop();
        if (failed) rv = undefined; // the initial state again; handled idempotently
      } catch (e) {
        if (rt.stopped) return;
        rt.counters.errors++;
        rt.logger.warn('pod watch failed; retrying', { error: String(e) });
        rv = undefined;
      }
      if (!rt.stopped) await sleep(rv ? 50 : 500);
    }
  }

  private onPod(ev: WatchEvent): void {
    const pod = ev.object;
    const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    const node = nodeName ? this.byName.get(nodeName) : undefined;
    if (!node) return;
    this.observer?.(ev, node.spec.name);
    const uid = pod.metadata.uid!;
    if (ev.type === 'DELETED') {
      this.release(uid);
      this.finishing.delete(uid);
      this.podPending.delete(uid);
      return;
    }
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    if (!pod.metadata.deletionTimestamp) {
      if (this.running.has(uid)) return;
      if (phase === 'Running' || phase === 'Succeeded' || phase === 'Failed') {
        // started by us before a restart (or finished): remember its IP so it is not handed out again
        const ip = (pod.status as { podIP?: string }).podIP;
        if (phase === 'Running') this.adoptIP(uid, node, ip);
        return;
      }
    } else if (this.finishing.has(uid)) return;
    const queued = this.podPending.has(uid);
    this.podPending.set(uid, pod);
    if (queued || this.podBusy.has(uid)) return;
    if (this.rt.config.podStartDelayMs > 0 && !pod.metadata.deletionTimestamp) {
      const t = setTimeout(() => {
        this.rt.timers.delete(t);
        this.schedule(uid);
      }, this.rt.config.podStartDelayMs);
      this.rt.timers.add(t);
    } else this.schedule(uid);
  }

  private schedule(uid: string): void {
    if (this.rt.stopped) return;
    void this.rt.track(
      this.podLimit.run(async () => {
        const pod = this.podPending.get(uid);
        this.podPending.delete(uid);
        if (!pod || this.rt.stopped) return;
        this.podBusy.add(uid);
        try {
          await this.processPod(pod);
        } finally {
          this.podBusy.delete(uid);
          if (this.podPending.has(uid)) this.schedule(uid); // a newer event arrived meanwhile
        }
      }),
    );
  }

  private async processPod(pod: KObject): Promise<void> {
    const rt = this.rt;
    const uid = pod.metadata.uid!;
    const ns = pod.metadata.namespace!;
    const name = pod.metadata.name!;
    const node = this.byName.get((pod.spec as { nodeName: string }).nodeName)!;
    try {
      if (pod.metadata.deletionTimestamp) {
        // "stop the containers" (there are none), then finish the deletion
        this.finishing.add(uid);
        await rt.kernel.delete(PODS, ns, name, { gracePeriodSeconds: 0, preconditions: { uid } });
        rt.counters.podsDeleted++;
        this.release(uid);
        return;
      }
      if (this.running.has(uid)) return;
      const host = this.allocate(node);
      this.running.set(uid, { node: node.spec.name, host });
      try {
        await rt.kernel.patch(PODS, ns, name, 'merge', { status: runningPodStatus(pod, podIP(node.podBase, host), node.hostIP) }, { subresource: 'status' });
        rt.counters.podsStarted++;
      } catch (e) {
        this.release(uid);
        throw e;
      }
    } catch (e) {
      const c = code(e);
      if (c === 404 || (c === 409 && pod.metadata.deletionTimestamp)) return; // already gone (or replaced)
      if (rt.stopped) return;
      rt.counters.errors++;
      this.finishing.delete(uid);
      rt.warnThrottled('pod', 'pod update failed; retrying', { pod: `${ns}/${name}`, error: String(e) });
      const t = setTimeout(() => {
        rt.timers.delete(t);
        if (!this.podPending.has(uid)) this.podPending.set(uid, pod);
        this.schedule(uid);
      }, 1000);
      rt.timers.add(t);
    }
  }

  private allocate(n: NodeState): number {
    for (let tries = 0; tries < 253; tries++) {
      const h = n.ipNext;
      n.ipNext = h >= 254 ? 2 : h + 1;
      if (!n.ipsUsed.has(h)) {
        n.ipsUsed.add(h);
        return h;
      }
    }
    return n.ipNext; // more pods than addresses: share one (it is only data)
  }

  private adoptIP(uid: string, n: NodeState, ip: string | undefined): void {
    const h = ip ? hostPart(ip) : NaN;
    const host = Number.isInteger(h) && h >= 2 && h <= 254 ? h : this.allocate(n);
    n.ipsUsed.add(host);
    this.running.set(uid, { node: n.spec.name, host });
  }

  private release(uid: string): void {
    const r = this.running.get(uid);
    if (!r) return;
    this.running.delete(uid);
    this.byName.get(r.node)?.ipsUsed.delete(r.host);
  }
}
