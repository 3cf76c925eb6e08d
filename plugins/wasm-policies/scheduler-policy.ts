// A WebAssembly scheduler policy as the scheduler sees it: batched Filter and Score over the
// candidate nodes, one sandbox call each. The guest keeps its own node table, by slot = NodeInfo.id:
// a node is sent only when new, changed (its cache generation moved) or lost (the guest restarted),
// and just its usage when only the pods on it changed, in the same call as the filter or score
// that needs it.
import { SUCCESS, type ClusterSnapshot, type CycleState, type NodeInfo, type PodInfo, type PolicyStatus, type SchedulerPolicy } from '@skiff/plugin-scheduler/framework';
import { OP, type CallResult, type Sandbox } from './sandbox.ts';
import type { GuestCalls } from './guest-calls.ts';

export type FailurePolicy = 'Fail' | 'Ignore';

interface Reason {
  message: string;
  unresolvable: boolean;
}

interface NodeUpdate {
  slot: number;
  node?: Record<string, unknown>;
}

/** Joins several reasons for one node in a filter answer (the SDK's joinReasons). */
const REASON_SEPARATOR = '\n';

/** Every so many calls, slots of nodes that left the cluster are freed in the guest. */
const SWEEP_EVERY = 2_000;

export class WasmSchedulerPolicy implements SchedulerPolicy {
  // what the guest has of each node, by NodeInfo.id (which is also the node's slot in the guest):
  // the node's generation and the Node object last sent, and the sandbox epoch it was sent in
  private sentGeneration = new Float64Array(1024).fill(-1);
  private sentEpoch = new Float64Array(1024).fill(-1);
  private sentNode: (object | undefined)[] = [];
  private readonly sentIds = new Set<number>();
  private readonly podJson = new WeakMap<PodInfo, Record<string, unknown>>();
  private readonly statuses = new Map<string, PolicyStatus>();
  private readonly failStatus: PolicyStatus;
  private sinceSweep = 0;
  /** filter and score in one crossing: the scores of this cycle's pod, by node id */
  private readonly both: boolean;
  // by node id: the score filter-score returned, and the cycle (stamp) it belongs to
  private scoreById = new Int32Array(1024);
  private scoreStamp = new Uint32Array(1024);
  private stamp = 0;
  private scoredPod?: PodInfo;
  private snapshot?: ClusterSnapshot;
  beginFilterBatch?: SchedulerPolicy['beginFilterBatch'];
  beginScoreBatch?: SchedulerPolicy['beginScoreBatch'];

  constructor(
    readonly name: string,
    private readonly sandbox: Sandbox,
    private readonly calls: GuestCalls,
    private readonly failurePolicy: FailurePolicy,
    capabilities: { filter: boolean; score: boolean; filterScore?: boolean },
  ) {
    this.failStatus = Object.freeze({ code: 'Error', reasons: [`${name}: the WebAssembly policy failed (failurePolicy Fail)`] }) as PolicyStatus;
    // split-phase: the scheduler starts the guest's call, runs the other policies, then finishes it
    this.both = capabilities.filter && capabilities.score && capabilities.filterScore !== false;
    if (capabilities.filter) this.beginFilterBatch = (state, pod, nodes) => this.filterNodes(state, pod, nodes);
    if (capabilities.score) this.beginScoreBatch = (state, pod, nodes) => this.scoreNodes(state, pod, nodes);
  }

  /** Only remembers the cluster, for freeing the slots of nodes that left it. */
  preFilter(_state: CycleState, _pod: PodInfo, snapshot: ClusterSnapshot): void {
    this.snapshot = snapshot;
  }

  private filterNodes(_state: CycleState, pod: PodInfo, nodes: NodeInfo[]): () => PolicyStatus[] {
    if (!this.both) {
      const finish = this.run(OP.filter, pod, nodes);
      return () => this.verdicts(finish(), nodes);
    }
    // filter-score: the scores of the nodes that fit come back with the verdicts, for Score later
    const finish = this.run(OP.filterScore, pod, nodes);
    return () => {
      const r = finish();
      // failed: maybe only its score part; the filter alone decides before the failure policy does
      if (!r.ok) return this.verdicts(this.run(OP.filter, pod, nodes)(), nodes);
      const n = nodes.length;
      const scores = new Int32Array(r.payload.buffer, r.payload.byteOffset + ((n + 3) & ~3), n);
      if (this.scoredPod !== pod) {
        this.scoredPod = pod;
        this.stamp++;
      }
      for (let i = 0; i < n; i++) {
        const id = nodes[i].id; // run() grew the arrays to every id here
        this.scoreById[id] = scores[i];
        this.scoreStamp[id] = this.stamp;
      }
      return this.verdicts(r, nodes);
    };
  }

  private verdicts(r: CallResult, nodes: NodeInfo[]): PolicyStatus[] {
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

  private scoreNodes(_state: CycleState, pod: PodInfo, nodes: NodeInfo[]): () => number[] {
    if (this.scoredPod === pod) {
      this.scoredPod = undefined;
      const st = this.stamp;
      if (nodes.every((n) => n.id < this.scoreStamp.length && this.scoreStamp[n.id] === st)) {
        const out = nodes.map((n) => clamp(this.scoreById[n.id]));
        return () => out;
      }
    }
    const finish = this.run(OP.score, pod, nodes);
    return () => this.scores(finish(), nodes);
  }

  private scores(r: CallResult, nodes: NodeInfo[]): number[] {
    const out: number[] = new Array(nodes.length);
    if (!r.ok) {
      if (this.failurePolicy === 'Fail') throw new Error(`the WebAssembly policy failed: ${r.message}`);
      return out.fill(0);
    }
    const s = new Int32Array(r.payload.buffer, r.payload.byteOffset, nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      out[i] = clamp(s[i]);
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
      // several reasons for one node travel as one message, one reason per line
      const reasons = message.split(REASON_SEPARATOR).filter((x) => x.length > 0);
      s = Object.freeze({ code: reason?.unresolvable ? 'UnschedulableAndUnresolvable' : 'Unschedulable', reasons }) as PolicyStatus;
      this.statuses.set(key, s);
    }
    return s;
  }

  private run(op: typeof OP.filter | typeof OP.score | typeof OP.filterScore, pod: PodInfo, nodes: NodeInfo[]): () => CallResult {
    const epoch = this.sandbox.epoch;
    const n = nodes.length;
    const slots = new Uint32Array(n);
    let updates: NodeUpdate[] | undefined;
    let usage: { slot: number; podCount: number; requested: Record<string, number> }[] | undefined;
    for (let i = 0; i < n; i++) {
      const node = nodes[i];
      const id = node.id;
      slots[i] = id;
      if (id >= this.sentGeneration.length) this.grow(id);
      if (this.sentGeneration[id] === node.generation && this.sentEpoch[id] === epoch) continue;
      // only the pods on it changed: its usage is enough (numbers only, cheap on both sides)
      if (this.sentEpoch[id] === epoch && this.sentNode[id] === node.node) {
        (usage ??= []).push({ slot: id, podCount: node.pods.length, requested: node.requested });
      } else {
        (updates ??= []).push({ slot: id, node: nodeJson(node) });
        this.sentIds.add(id);
      }
      this.sentGeneration[id] = node.generation;
      this.sentEpoch[id] = epoch;
      this.sentNode[id] = node.node;
    }
    if (++this.sinceSweep >= SWEEP_EVERY) {
      const gone = this.sweep();
      if (gone.length) (updates ??= []).push(...gone);
    }
    // objects, not JSON: the inline sandbox hands them to the guest as they are (the worker
    // sandbox serializes them; the guest reads them before this thread goes on)
    const body = { pod: this.podOf(pod), updates, usage };
    // not a Promise (measured): an asynchronous answer waits behind whatever this thread is doing,
    // which costs the cycle more than the guest's own time; finishing waits at most the deadline
    const finish = this.sandbox.begin(op, body, slots);
    return () => {
      const r = this.calls.record(op === OP.filter ? 'filter' : op === OP.score ? 'score' : 'filter-score', finish());
      if (!r.ok) this.sentEpoch.fill(-1); // not sure what the guest applied: send everything again
      return r;
    };
  }

  private grow(id: number): void {
    const size = Math.max(id + 1, this.sentGeneration.length * 2);
    const g = new Float64Array(size).fill(-1);
    g.set(this.sentGeneration);
    const e = new Float64Array(size).fill(-1);
    e.set(this.sentEpoch);
    this.sentGeneration = g;
    this.sentEpoch = e;
    const sc = new Int32Array(size);
    sc.set(this.scoreById);
    const ss = new Uint32Array(size);
    ss.set(this.scoreStamp);
    this.scoreById = sc;
    this.scoreStamp = ss;
  }

  /** Free the guest's slots of nodes that left the cluster. */
  private sweep(): NodeUpdate[] {
    this.sinceSweep = 0;
    const all = this.snapshot?.nodes();
    if (!all) return [];
    const live = new Set(all.map((n) => n.id));
    const out: NodeUpdate[] = [];
    for (const id of this.sentIds) {
      if (live.has(id)) continue;
      this.sentIds.delete(id);
      this.sentGeneration[id] = -1;
      this.sentEpoch[id] = -1;
      this.sentNode[id] = undefined;
      out.push({ slot: id });
    }
    return out;
  }

  /** The pod as the guest sees it, made once per pod (filter and score of a cycle send the same). */
  private podOf(p: PodInfo): Record<string, unknown> {
    let j = this.podJson.get(p);
    if (j === undefined) {
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

const clamp = (x: number) => (x < 0 ? 0 : x > 100 ? 100 : x);

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
