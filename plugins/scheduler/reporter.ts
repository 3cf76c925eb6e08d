// What a user sees of a scheduling failure: the pod's PodScheduled=False condition (reason
// Unschedulable, kube-scheduler's message), status.nominatedNodeName for a preemption nominee, and
// a Warning FailedScheduling Event through the client layer's EventRecorder (a repeat of the same
// message bumps one Event's count; a new message is a new Event, as with kube-scheduler's recorder).
//
// Writes are asynchronous (never inside a scheduling cycle), coalesced per pod (only the latest
// failure of a pod is written) and limited in concurrency. The condition is written only when it
// changes, with the pod's resourceVersion as a precondition, so a pod bound meanwhile never gets a
// stale PodScheduled=False.
import { rfc3339 } from '@skiff/api';
import { EventRecorder } from '@skiff/client';
import type { Kernel, ResourceRef } from '@skiff/kernel';
import { silentLogger, type Logger } from '@skiff/kernel/plugins';
import type { PodInfo, PolicyStatus } from './framework.ts';

const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods' };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const code = (e: unknown) => (e as { code?: number })?.code;

/**
 * kube-scheduler's FitError message: `0/5 nodes are available: 3 Insufficient cpu, 2 node(s) had
 * untolerated taint {dedicated: gpu}. preemption: ...` — every reason of every failed node counted,
 * sorted by count (desc) then text.
 */
export function fitErrorMessage(numAllNodes: number, statuses: Iterable<PolicyStatus>, postFilterMsg?: string): string {
  const histogram = new Map<string, number>();
  for (const s of statuses) {
    const reasons = s.reasons && s.reasons.length ? s.reasons : [`node(s) didn't satisfy ${s.policy ?? 'a filter'}`];
    for (const r of reasons) histogram.set(r, (histogram.get(r) ?? 0) + 1);
  }
  // kube-scheduler sorts the "<count> <reason>" strings as plain strings (sort.Strings)
  const parts = [...histogram].map(([r, n]) => `${n} ${r}`).sort();
  let msg = `0/${numAllNodes} nodes are available: ${numAllNodes === 0 && parts.length === 0 ? 'no nodes available to schedule pods' : parts.join(', ')}.`;
  if (postFilterMsg) msg += ` ${postFilterMsg}`;
  return msg;
}

interface Failure {
  pod: PodInfo;
  message: string;
  nominatedNodeName?: string;
  /** the condition's reason: Unschedulable, or SchedulerError for errors */
  reason: string;
}

export class FailureReporter {
  private pending = new Map<string, Failure>();
  private running = 0;
  private readonly recorder: EventRecorder;
  /** last condition message written per pod uid */
  private written = new Map<string, string>();
  private idle: (() => void)[] = [];
  private stopped = false;
  reported = 0;

  constructor(
    private readonly kernel: Kernel,
    private readonly component: string,
    private readonly logger?: Logger,
    private readonly concurrency = 16,
  ) {
    this.recorder = new EventRecorder(kernel, component, logger ?? silentLogger);
  }

  report(pod: PodInfo, message: string, nominatedNodeName?: string, reason = 'Unschedulable'): void {
    if (this.stopped) return;
    this.pending.set(pod.uid, { pod, message, nominatedNodeName, reason });
    this.pump();
  }

  /** The pod is bound or gone: drop what is kept about it. */
  forget(uid: string): void {
    this.pending.delete(uid);
    this.written.delete(uid);
  }

  /** Resolves when nothing is pending or being written. */
  async settled(): Promise<void> {
    if (this.running !== 0 || this.pending.size !== 0) await new Promise<void>((r) => this.idle.push(r));
    await this.recorder.flush();
  }

  stop(): void {
    this.stopped = true;
    this.pending.clear();
    void this.recorder.stop();
  }

  private pump(): void {
    while (this.running < this.concurrency && this.pending.size > 0) {
      const [uid, f] = this.pending.entries().next().value as [string, Failure];
      this.pending.delete(uid);
      this.running++;
      void this.write(f)
        .catch((e) => this.logger?.warn('could not report a scheduling failure', { pod: f.pod.key, error: String(e) }))
        .finally(() => {
          this.running--;
          this.pump();
          if (this.running === 0 && this.pending.size === 0) for (const r of this.idle.splice(0)) r();
        });
    }
  }

  private async write(f: Failure): Promise<void> {
    const alive = await this.writeCondition(f);
    if (alive && !this.stopped) {
      this.recorder.record(f.pod.pod, { type: 'Warning', reason: 'FailedScheduling', message: f.message });
      this.reported++;
    }
  }

  /** false when the pod is gone or bound (nothing more to report). */
  private async writeCondition(f: Failure): Promise<boolean> {
    let pod = f.pod.pod;
    for (let attempt = 0; attempt < 3; attempt++) {
      const spec = isObj(pod.spec) ? pod.spec : {};
      if (spec.nodeName || pod.metadata.deletionTimestamp) return false;
      const status = isObj(pod.status) ? pod.status : {};
      const conds = Array.isArray(status.conditions) ? status.conditions : [];
      const cur = conds.find((c): c is Obj => isObj(c) && c.type === 'PodScheduled');
      const same = cur && cur.status === 'False' && cur.reason === f.reason && cur.message === f.message;
      const nominatedSame = f.nominatedNodeName === undefined || status.nominatedNodeName === f.nominatedNodeName;
      const key = f.reason + '\0' + f.message + '\0' + (f.nominatedNodeName ?? '');
      if ((same && nominatedSame) || (attempt === 0 && this.written.get(f.pod.uid) === key)) return true;
      const cond: Obj = { type: 'PodScheduled', status: 'False', reason: f.reason, message: f.message, lastProbeTime: null };
      if (!cur || cur.status !== 'False') cond.lastTransitionTime = rfc3339();
      const patch: Obj = {
        metadata: { resourceVersion: pod.metadata.resourceVersion },
        status: { conditions: [cond], ...(f.nominatedNodeName !== undefined ? { nominatedNodeName: f.nominatedNodeName } : {}) },
      };
      try {
        await this.kernel.patch(PODS, f.pod.namespace, f.pod.name, 'strategic', patch, { subresource: 'status', fieldManager: this.component });
        this.written.set(f.pod.uid, key);
        return true;
      } catch (e) {
        if (code(e) === 404) return false;
        if (code(e) !== 409) throw e;
        try {
          pod = await this.kernel.get(PODS, f.pod.namespace, f.pod.name);
        } catch (e2) {
          if (code(e2) === 404) return false;
          throw e2;
        }
        if (pod.metadata.uid !== f.pod.uid) return false;
      }
    }
    return true;
  }
}
