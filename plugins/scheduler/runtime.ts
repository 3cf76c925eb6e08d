// The framework runtime's hot part: Filter over the candidate nodes (sampled and round-robin, like
// kube's numFeasibleNodesToFind / nextStartNodeIndex), Score with weights, and the choice of a
// node. It keeps the few buffers it reuses from one cycle to the next; one instance per scheduler.
//
// Tie-break: among the nodes with the highest total score, a per-runtime counter picks the
// (counter mod ties)-th tied node in iteration order — deterministic for a given sequence of
// cycles (no randomness), and it spreads pods that score the same over the tied nodes.
import type { CachedNode } from './cache.ts';
import type { ClusterSnapshot, CycleState, NodeScore, PodInfo, PolicyStatus } from './framework.ts';
import type { PolicyEntry, ProfilePolicies } from './policy-registry.ts';

export class CycleStateImpl implements CycleState {
  private m?: Map<string, unknown>;
  read<T>(key: string): T | undefined {
    return this.m?.get(key) as T | undefined;
  }
  write<T>(key: string, value: T): void {
    (this.m ??= new Map()).set(key, value);
  }
}

export const isPromise = (x: unknown): x is PromiseLike<unknown> => x !== null && typeof x === 'object' && typeof (x as { then?: unknown }).then === 'function';
export const isStatus = (x: unknown): x is PolicyStatus => typeof x === 'object' && x !== null && typeof (x as PolicyStatus).code === 'string';
export const ok = (s: PolicyStatus | void | undefined) => !s || s.code === 'Success' || s.code === 'Skip';
export const errorStatus = (policy: string, e: unknown): PolicyStatus => ({ code: 'Error', reasons: [`${policy}: ${e instanceof Error ? e.message : String(e)}`], policy });
export const code = (e: unknown) => (e as { code?: number })?.code;

/** kube-scheduler's numFeasibleNodesToFind. */
export function numFeasibleNodesToFind(numAllNodes: number, percentage = 0): number {
  const MIN_NODES = 100;
  if (numAllNodes < MIN_NODES || percentage >= 100) return numAllNodes;
  let p = percentage;
  if (!(p > 0)) {
    p = 50 - Math.floor(numAllNodes / 125);
    if (p < 5) p = 5;
  }
  const n = Math.floor((numAllNodes * p) / 100);
  return n < MIN_NODES ? MIN_NODES : n;
}

export class FrameworkRuntime {
  private nextStartNodeIndex = 0;
  private tieCounter = 0;
  /** per score policy (by position): NodeScore objects reused across cycles; policies must not keep them */
  private scoreBufs: NodeScore[][] = [];
  private totals = new Float64Array(256);
  private tagged = new Map<string, WeakMap<PolicyStatus, PolicyStatus>>();

  constructor(
    private readonly snapshot: ClusterSnapshot,
    /** percentageOfNodesToScore: 0 = adaptive */
    private readonly percentage = 0,
  ) {}

  /** Filter one node after another (no batched policy): the hot loop, allocation-free on success. */
  filterNodes(
    state: CycleState,
    pod: PodInfo,
    nodes: readonly CachedNode[],
    filters: readonly PolicyEntry[],
    diagnosis: Map<string, PolicyStatus>,
    roundRobin: boolean,
  ): CachedNode[] {
    const n = nodes.length;
    const feasible: CachedNode[] = [];
    if (n === 0) return feasible;
    const want = roundRobin ? numFeasibleNodesToFind(n, this.percentage) : n;
    const nf = filters.length;
    let idx = roundRobin ? this.nextStartNodeIndex % n : 0;
    let processed = 0;
    while (processed < n && feasible.length < want) {
      const node = nodes[idx];
      if (++idx === n) idx = 0;
      processed++;
      let f = 0;
      for (; f < nf; f++) {
        const e = filters[f];
        let s: PolicyStatus;
        try {
          s = e.policy.filter!(state, pod, node);
        } catch (err) {
          s = errorStatus(e.name, err);
        }
        if (s.code !== 'Success' && s.code !== 'Skip') {
          diagnosis.set(node.name, this.tag(s, e.name));
          break;
        }
      }
      if (f === nf) feasible.push(node);
    }
    if (roundRobin) this.nextStartNodeIndex = idx;
    return feasible;
  }

  /** Filter in chunks, policy by policy, so batched policies see many nodes per call. */
  async filterBatched(
    state: CycleState,
    pod: PodInfo,
    nodes: readonly CachedNode[],
    filters: readonly PolicyEntry[],
    diagnosis: Map<string, PolicyStatus>,
    roundRobin: boolean,
  ): Promise<CachedNode[]> {
    const n = nodes.length;
    const feasible: CachedNode[] = [];
    if (n === 0) return feasible;
    const want = roundRobin ? numFeasibleNodesToFind(n, this.percentage) : n;
    let idx = roundRobin ? this.nextStartNodeIndex % n : 0;
    let processed = 0;
    while (processed < n && feasible.length < want) {
      const size = Math.min(n - processed, Math.max(want - feasible.length, 64));
      let chunk: CachedNode[] = new Array(size);
      for (let k = 0; k < size; k++) {
        chunk[k] = nodes[idx];
        if (++idx === n) idx = 0;
      }
      processed += size;
      const whole = chunk;
      // split-phase policies start first: their work (in another thread) overlaps with the others'
      let started: { p: number; finish?: () => PolicyStatus[]; err?: PolicyStatus }[] | undefined;
      for (let p = 0; p < filters.length; p++) {
        const e = filters[p];
        if (typeof e.policy.beginFilterBatch !== 'function') continue;
        try {
          (started ??= []).push({ p, finish: e.policy.beginFilterBatch(state, pod, whole) });
        } catch (x) {
          (started ??= []).push({ p, err: errorStatus(e.name, x) });
        }
      }
      /** with split-phase policies: each rejected node's first failing policy so far */
      const failedAt = started ? new Map<CachedNode, number>() : undefined;
      if (started && !filters.some((e) => typeof e.policy.filterBatch === 'function')) {
        // only split-phase and per-node policies: node by node, as filterNodes does (no per-policy arrays)
        chunk = this.filterEach(state, pod, whole, filters, diagnosis, failedAt!);
        chunk = this.finishSplitFilters(started, filters, whole, chunk, failedAt!, diagnosis);
        for (const node of chunk) feasible.push(node);
        continue;
      }
      for (let p = 0; p < filters.length; p++) {
        const e = filters[p];
        if (chunk.length === 0) break;
        if (typeof e.policy.beginFilterBatch === 'function') continue;
        const next: CachedNode[] = [];
        if (typeof e.policy.filterBatch === 'function') {
          let res: PolicyStatus[] | undefined;
          let err: PolicyStatus | undefined;
          try {
            const r = e.policy.filterBatch(state, pod, chunk);
            res = isPromise(r) ? await r : r;
            if (!Array.isArray(res) || res.length !== chunk.length) throw new Error(`filterBatch returned ${Array.isArray(res) ? res.length : typeof res} statuses for ${chunk.length} nodes`);
          } catch (x) {
            err = errorStatus(e.name, x);
          }
          for (let j = 0; j < chunk.length; j++) {
            const s = err ?? res![j];
            if (s && (s.code === 'Success' || s.code === 'Skip')) next.push(chunk[j]);
            else {
              diagnosis.set(chunk[j].name, this.tag(s ?? { code: 'Error', reasons: [`${e.name}: no status`] }, e.name));
              failedAt?.set(chunk[j], p);
            }
          }
        } else {
          for (const node of chunk) {
            let s: PolicyStatus;
            try {
              s = e.policy.filter!(state, pod, node);
            } catch (x) {
              s = errorStatus(e.name, x);
            }
            if (s.code === 'Success' || s.code === 'Skip') next.push(node);
            else {
              diagnosis.set(node.name, this.tag(s, e.name));
              failedAt?.set(node, p);
            }
          }
        }
        chunk = next;
      }
      if (started) chunk = this.finishSplitFilters(started, filters, whole, chunk, failedAt!, diagnosis);
      for (const node of chunk) feasible.push(node);
    }
    if (roundRobin) this.nextStartNodeIndex = idx;
    return feasible;
  }

  /** The per-node policies over `nodes`, node by node; failures recorded with their policy's position. */
  private filterEach(
    state: CycleState,
    pod: PodInfo,
    nodes: CachedNode[],
    filters: readonly PolicyEntry[],
    diagnosis: Map<string, PolicyStatus>,
    failedAt: Map<CachedNode, number>,
  ): CachedNode[] {
    const passed: CachedNode[] = [];
    const nf = filters.length;
    for (let j = 0; j < nodes.length; j++) {
      const node = nodes[j];
      let f = 0;
      for (; f < nf; f++) {
        const e = filters[f];
        if (typeof e.policy.filter !== 'function' || typeof e.policy.beginFilterBatch === 'function') continue;
        let s: PolicyStatus;
        try {
          s = e.policy.filter(state, pod, node);
        } catch (err) {
          s = errorStatus(e.name, err);
        }
        if (s.code !== 'Success' && s.code !== 'Skip') {
          diagnosis.set(node.name, this.tag(s, e.name));
          failedAt.set(node, f);
          break;
        }
      }
      if (f === nf) passed.push(node);
    }
    return passed;
  }

  /**
   * Finish the split-phase filters of a chunk (always, even when nothing is left to filter: their
   * calls are in flight). A node's diagnosis stays its first failing policy in registration order.
   */
  private finishSplitFilters(
    started: { p: number; finish?: () => PolicyStatus[]; err?: PolicyStatus }[],
    filters: readonly PolicyEntry[],
    whole: CachedNode[],
    passed: CachedNode[],
    failedAt: Map<CachedNode, number>,
    diagnosis: Map<string, PolicyStatus>,
  ): CachedNode[] {
    let rejected: Set<CachedNode> | undefined;
    for (const st of started) {
      const e = filters[st.p];
      let res: PolicyStatus[] | undefined;
      let err = st.err;
      if (!err) {
        try {
          res = st.finish!();
          if (!Array.isArray(res) || res.length !== whole.length) throw new Error(`beginFilterBatch returned ${Array.isArray(res) ? res.length : typeof res} statuses for ${whole.length} nodes`);
        } catch (x) {
          err = errorStatus(e.name, x);
        }
      }
      for (let j = 0; j < whole.length; j++) {
        const s = err ?? res![j];
        if (s && (s.code === 'Success' || s.code === 'Skip')) continue;
        const node = whole[j];
        const prev = failedAt.get(node);
        if (prev === undefined || st.p < prev) {
          diagnosis.set(node.name, this.tag(s ?? { code: 'Error', reasons: [`${e.name}: no status`] }, e.name));
          failedAt.set(node, st.p);
        }
        (rejected ??= new Set()).add(node);
      }
    }
    return rejected ? passed.filter((n) => !rejected!.has(n)) : passed;
  }

  /** PreScore, Score, NormalizeScore, weighted sum; the best node, or a failure status. */
  async score(state: CycleState, pod: PodInfo, fw: ProfilePolicies, nodes: CachedNode[]): Promise<CachedNode | PolicyStatus> {
    let skip: Set<string> | undefined;
    for (const e of fw.preScore) {
      let s: PolicyStatus | void;
      try {
        s = e.policy.preScore!(state, pod, nodes, this.snapshot);
      } catch (err) {
        s = errorStatus(e.name, err);
      }
      if (s && s.code === 'Skip') (skip ??= new Set()).add(e.name);
      else if (!ok(s)) return this.tag(s as PolicyStatus, e.name);
    }
    const n = nodes.length;
    if (this.totals.length < n) this.totals = new Float64Array(Math.max(n, this.totals.length * 2));
    const totals = this.totals;
    totals.fill(0, 0, n);
    // split-phase scorers start first, to overlap with the others
    let begun: Map<number, () => number[]> | undefined;
    for (let p = 0; p < fw.score.length; p++) {
      const e = fw.score[p];
      if (skip?.has(e.name) || e.weight === 0 || typeof e.policy.beginScoreBatch !== 'function') continue;
      try {
        (begun ??= new Map()).set(p, e.policy.beginScoreBatch(state, pod, nodes));
      } catch (err) {
        this.finishAll(begun);
        return errorStatus(e.name, err);
      }
    }
    for (let p = 0; p < fw.score.length; p++) {
      const e = fw.score[p];
      if (skip?.has(e.name) || e.weight === 0) continue;
      let scores = this.scoreBufs[p];
      if (!scores) scores = this.scoreBufs[p] = [];
      if (scores.length > n) scores.length = n;
      for (let j = 0; j < n; j++) {
        const s = scores[j];
        if (s) {
          s.name = nodes[j].name;
          s.score = 0;
        } else scores[j] = { name: nodes[j].name, score: 0 };
      }
      try {
        const finish = begun?.get(p);
        if (finish) {
          begun!.delete(p);
          const arr = finish();
          if (!Array.isArray(arr) || arr.length !== n) throw new Error(`beginScoreBatch returned ${Array.isArray(arr) ? arr.length : typeof arr} scores for ${n} nodes`);
          for (let j = 0; j < n; j++) scores[j].score = arr[j];
        } else if (typeof e.policy.scoreBatch === 'function') {
          const r = e.policy.scoreBatch(state, pod, nodes);
          const arr = isPromise(r) ? await r : r;
          if (!Array.isArray(arr) || arr.length !== n) throw new Error(`scoreBatch returned ${Array.isArray(arr) ? arr.length : typeof arr} scores for ${n} nodes`);
          for (let j = 0; j < n; j++) scores[j].score = arr[j];
        } else {
          const score = e.policy.score!;
          for (let j = 0; j < n; j++) scores[j].score = score.call(e.policy, state, pod, nodes[j]);
        }
        if (typeof e.policy.normalizeScore === 'function') e.policy.normalizeScore(state, pod, scores);
      } catch (err) {
        this.finishAll(begun);
        return errorStatus(e.name, err);
      }
      const w = e.weight;
      for (let j = 0; j < n; j++) {
        const v = scores[j].score;
        if (v === v) totals[j] += v * w; // NaN counts as 0
      }
    }
    // the highest total; ties round-robin
    let best = -Infinity;
    let ties = 0;
    for (let j = 0; j < n; j++) {
      const t = totals[j];
      if (t > best) {
        best = t;
        ties = 1;
      } else if (t === best) ties++;
    }
    let pick = this.tieCounter++ % ties;
    for (let j = 0; j < n; j++) if (totals[j] === best && pick-- === 0) return nodes[j];
    return nodes[0];
  }

  /** Finish split-phase calls still in flight (their results are not needed). */
  private finishAll(begun: Map<number, () => number[]> | undefined): void {
    if (!begun) return;
    for (const f of begun.values()) {
      try {
        f();
      } catch {
        // the cycle already failed
      }
    }
    begun.clear();
  }

  pickAmongEqual(nodes: CachedNode[]): CachedNode {
    return nodes[this.tieCounter++ % nodes.length];
  }

  /** The status, with `policy` set (frozen statuses are copied once and remembered). */
  tag(s: PolicyStatus, policy: string): PolicyStatus {
    if (s.policy === policy) return s;
    if (!Object.isFrozen(s) && s.policy === undefined) {
      s.policy = policy;
      return s;
    }
    let m = this.tagged.get(policy);
    if (!m) this.tagged.set(policy, (m = new WeakMap()));
    let t = m.get(s);
    if (!t) m.set(s, (t = Object.freeze({ ...s, policy })));
    return t;
  }
}
