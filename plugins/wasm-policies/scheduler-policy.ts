// A WebAssembly scheduler policy as the scheduler sees it: batched Filter and Score over the
// candidate nodes, one sandbox call each. The guest keeps its own node table: nodes are sent by slot
// only when new, changed (their cache generation moved) or lost (the guest restarted), in the same
// call as the filter or score that needs them.
import { SUCCESS, type ClusterSnapshot, type CycleState, type NodeInfo, type PodInfo, type PolicyStatus, type SchedulerPolicy } from '@skiff/plugin-scheduler/framework';
import { OP, type CallResult, type GuestSandbox } from './sandbox.ts';
import type { GuestCalls } from './guest-calls.ts';

export type FailurePolicy = 'Fail' | 'Ignore';

interface Reason {
  message: string;
  unresolvable: boolean;
}

interface SlotState {
  slot: number;
  generation: number;
  epoch: number;
}

interface NodeUpdate {
  slot: number;
  node?: Record<string, unknown>;
}

/** Every so many calls, slots of nodes that left the cluster are freed in the guest. */
const SWEEP_EVERY = 2_000;

export class WasmSchedulerPolicy implements SchedulerPolicy {
  private readonly slots = new Map<string, SlotState>();
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  private readonly podJson = new WeakMap<PodInfo, Record<string, unknown>>();
  private readonly statuses = new Map<string, PolicyStatus>();
  private readonly failStatus: PolicyStatus;
  private sinceSweep = 0;
  private snapshot?: ClusterSnapshot;
  filterBatch?: SchedulerPolicy['filterBatch'];
  scoreBatch?: SchedulerPolicy['scoreBatch'];

  constructor(
    readonly name: string,
    private readonly sandbox: GuestSandbox,
    private readonly calls: GuestCalls,
    private readonly failurePolicy: FailurePolicy,
    capabilities: { filter: boolean; score: boolean },
  ) {
    this.failStatus = Object.freeze({ code: 'Error', reasons: [`${name}: the WebAssembly policy failed (failurePolicy Fail)`] }) as PolicyStatus;
    if (capabilities.filter) this.filterBatch = (state, pod, nodes) => this.filterNodes(state, pod, nodes);
    if (capabilities.score) this.scoreBatch = (state, pod, nodes) => this.scoreNodes(state, pod, nodes);
  }

  /** Only remembers the cluster, for freeing the slots of nodes that left it. */
  preFilter(_state: CycleState, _pod: PodInfo, snapshot: ClusterSnapshot): void {
    this.snapshot = snapshot;
  }

  private filterNodes(_state: CycleState, pod: PodInfo, nodes: NodeInfo[]): PolicyStatus[] {
    const r = this.run(OP.filter, pod, nodes);
    const out: PolicyStatus[] = new Array(nodes.length);
    if (!r.ok) {
      out.fill(this.failurePolicy === 'Ignore' ? SUCCESS : this.failStatus);
      return out;
    }
    const reasons = (r.json.reasons as Reason[] | undefined) ?? [];
    const v = r.payload;
    for (let i = 0; i < nodes.length; i++) {
      const k = v[i];
      out[i] = k === 0 ? SUCCESS : this.status(reasons[k - 1]);
    }
    return out;
  }

  private scoreNodes(_state: CycleState, pod: PodInfo, nodes: NodeInfo[]): number[] {
    const r = this.run(OP.score, pod, nodes);
    const out: number[] = new Array(nodes.length);
    if (!r.ok) {
      if (this.failurePolicy === 'Fail') throw new Error(`the WebAssembly policy failed: ${r.message}`);
      return out.fill(0);
    }
    const s = new Int32Array(r.payload.buffer, r.payload.byteOffset, nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      const x = s[i];
      out[i] = x < 0 ? 0 : x > 100 ? 100 : x;
    }
    return out;
  }

  /** One frozen status per distinct reason (the runtime counts them for the "0/N nodes" message). */
  private status(reason: Reason | undefined): PolicyStatus {
    const message = reason?.message || 'rejected by the policy';
    const key = (reason?.unresolvable ? '!' : ' ') + message;
    let s = this.statuses.get(key);
    if (!s) {
      if (this.statuses.size > 1_000) this.statuses.clear(); // a guest that invents reasons
      s = Object.freeze({ code: reason?.unresolvable ? 'UnschedulableAndUnresolvable' : 'Unschedulable', reasons: [message] }) as PolicyStatus;
      this.statuses.set(key, s);
    }
    return s;
  }

  private run(op: typeof OP.filter | typeof OP.score, pod: PodInfo, nodes: NodeInfo[]): CallResult {
    const epoch = this.sandbox.epoch;
    const slots = new Uint32Array(nodes.length);
    let updates: NodeUpdate[] | undefined;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      let s = this.slots.get(n.name);
      if (!s) {
        s = { slot: this.freeSlots.pop() ?? this.nextSlot++, generation: -1, epoch: -1 };
        this.slots.set(n.name, s);
      }
      slots[i] = s.slot;
      if (s.generation !== n.generation || s.epoch !== epoch) {
        (updates ??= []).push({ slot: s.slot, node: nodeJson(n) });
        s.generation = n.generation;
        s.epoch = epoch;
      }
    }
    if (++this.sinceSweep >= SWEEP_EVERY) (updates ??= []).push(...this.sweep());
    const r = this.calls.record(op === OP.filter ? 'filter' : 'score', this.sandbox.call(op, { pod: this.podOf(pod), updates }, slots));
    if (!r.ok) for (const s of this.slots.values()) s.epoch = -1; // not sure what the guest applied: send again
    return r;
  }

  /** Free the slots of nodes no longer in the cluster. */
  private sweep(): NodeUpdate[] {
    this.sinceSweep = 0;
    const all = this.snapshot?.nodes();
    if (!all) return [];
    const live = new Set(all.map((n) => n.name));
    const gone: NodeUpdate[] = [];
    for (const [name, s] of this.slots) {
      if (live.has(name)) continue;
      this.slots.delete(name);
      this.freeSlots.push(s.slot);
      gone.push({ slot: s.slot });
    }
    return gone;
  }

  private podOf(p: PodInfo): Record<string, unknown> {
    let j = this.podJson.get(p);
    if (!j) {
      const spec = (p.pod.spec ?? {}) as { nodeSelector?: Record<string, string>; tolerations?: unknown[] };
      j = {
        namespace: p.namespace,
        name: p.name,
        uid: p.uid,
        labels: p.labels,
        requests: p.requests,
        priority: p.priority,
        schedulerName: p.schedulerName,
        nodeSelector: spec.nodeSelector ?? {},
        tolerations: spec.tolerations ?? [],
      };
      this.podJson.set(p, j);
    }
    return j;
  }
}

function nodeJson(n: NodeInfo): Record<string, unknown> {
  return {
    name: n.name,
    labels: n.labels,
    taints: n.taints,
    unschedulable: n.unschedulable,
    allocatable: n.allocatable,
    requested: n.requested,
    podCount: n.pods.length,
  };
}
