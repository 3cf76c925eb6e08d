// DefaultPreemption (PostFilter): when no node fits, find one where evicting lower-priority pods
// would let the pod fit, nominate it and evict those pods through the kernel.
//
// Per candidate node (one rejected as Unschedulable, not UnschedulableAndUnresolvable): remove every
// pod of lower priority; if the pod still does not fit, the node is no candidate; otherwise put the
// removed pods back one by one, most important first, keeping each one whose return still lets the
// pod fit. Those not put back are the victims. "Fits" re-runs the filter policies on the simulated
// node: the ones this package runs (the directory), with their PreFilter state computed once for the
// cluster, and recomputed on the simulated cluster for InterPodAffinity / PodTopologySpread when
// they rejected the node (and for InterPodAffinity when the pod has required affinity, which a
// removal can break). A node rejected by a policy not in the directory is skipped.
//
// Choice among candidates (kube's pickOneNodeForPreemption, without PDBs): the lowest highest
// victim priority, then the lowest sum of priorities, then the fewest victims, then the latest
// start of the highest-priority victims, then the first.
//
// The failure reason is kube's "0/N nodes are available: ..." (the scheduler prefixes "preemption: ").
//
// Left out: PodDisruptionBudgets (no violation counting; every candidate counts as violating
// none), clearing lower-priority pods' nominations, the DisruptionTarget condition on victims,
// nominated pods in the fit check.
import type { DeleteOptions, Kernel, ResourceRef } from '@skiff/kernel';
import type { Logger } from '@skiff/kernel/plugins';
import type {
  ClusterSnapshot,
  CycleState,
  NodeInfo,
  PodInfo,
  PolicyStatus,
  PostFilterResult,
  SchedulerPolicy,
} from '@skiff/plugin-scheduler/framework';
import { MapCycleState } from './cycle-state.ts';
import { sharedPolicyDirectory } from './directory.ts';
import { INTER_POD_AFFINITY, affinityOf } from './inter-pod-affinity.ts';
import { policyPlugin, type BaseConfig } from './plugin-kit.ts';
import { isTerminating, specOf, startMs } from './pod-spec.ts';
import { POD_TOPOLOGY_SPREAD } from './pod-topology-spread.ts';
import { nodeWithout, snapshotWith } from './simulate.ts';

export const DEFAULT_PREEMPTION = 'DefaultPreemption';
export const REASON_NEVER = 'not eligible due to preemptionPolicy=Never.';
export const REASON_TERMINATING = 'not eligible due to a terminating pod on the nominated node.';
export const REASON_NO_VICTIMS = 'No preemption victims found for incoming pod';
export const REASON_NOT_HELPFUL = 'Preemption is not helpful for scheduling';

const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods' };

/** Where the preemption policy finds the live filter policies to re-run. */
export interface PolicyLookup {
  get(name: string): SchedulerPolicy | undefined;
  list(): SchedulerPolicy[];
}

export interface DefaultPreemptionOptions {
  /** evicts the victims (kernel.delete of pods) */
  kernel: Pick<Kernel, 'delete'>;
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** the filter policies to re-run; default: the ones this package's plugins have started */
  policies?: PolicyLookup;
  /** stop looking after max(nodes x pct / 100, abs) candidates (kube: 10 and 100) */
  minCandidateNodesPercentage?: number;
  minCandidateNodesAbsolute?: number;
}

export interface Candidate {
  node: string;
  /** most important first */
  victims: PodInfo[];
}

/** kube's MoreImportantPod: higher priority, then the one that started earlier. */
function moreImportant(a: PodInfo, b: PodInfo): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return startMs(a) - startMs(b);
}

function isSuccess(st: PolicyStatus | undefined | void): boolean {
  return !st || st.code === 'Success';
}

type PreFilterOutcome = { skip: boolean; reject?: PolicyStatus; nodeNames?: Set<string> };

function runPreFilter(p: SchedulerPolicy, state: CycleState, pod: PodInfo, snapshot: ClusterSnapshot): PreFilterOutcome {
  if (!p.preFilter) return { skip: false };
  const r = p.preFilter(state, pod, snapshot);
  if (!r) return { skip: false };
  const status = 'code' in r ? (r as PolicyStatus) : (r as { status?: PolicyStatus }).status;
  const nodeNames = 'code' in r ? undefined : (r as { nodeNames?: Set<string> }).nodeNames;
  if (status?.code === 'Skip') return { skip: true };
  if (status && status.code !== 'Success') return { skip: false, reject: status };
  return { skip: false, nodeNames };
}

async function runFilter(p: SchedulerPolicy, state: CycleState, pod: PodInfo, node: NodeInfo): Promise<boolean> {
  if (p.filterBatch) return isSuccess((await p.filterBatch(state, pod, [node]))[0]);
  if (p.filter) return isSuccess(p.filter(state, pod, node));
  return true;
}

/** The filter policies and their PreFilter state on the real cluster, computed once per PostFilter. */
interface FitContext {
  pod: PodInfo;
  snapshot: ClusterSnapshot;
  policies: SchedulerPolicy[];
  base: MapCycleState;
  skipped: Set<string>;
  /** names whose PreFilter rejected the pod outright: nothing can help */
  rejected: boolean;
  nodeNames?: Set<string>;
}

function fitContext(pod: PodInfo, snapshot: ClusterSnapshot, lookup: PolicyLookup): FitContext {
  const policies = lookup.list().filter((p) => p.filter || p.filterBatch);
  const base = new MapCycleState();
  const ctx: FitContext = { pod, snapshot, policies, base, skipped: new Set(), rejected: false };
  for (const p of policies) {
    const r = runPreFilter(p, base, pod, snapshot);
    if (r.skip) ctx.skipped.add(p.name);
    if (r.reject) ctx.rejected = true;
    if (r.nodeNames) ctx.nodeNames = ctx.nodeNames ? new Set([...ctx.nodeNames].filter((n) => r.nodeNames!.has(n))) : r.nodeNames;
  }
  return ctx;
}

/** Policies whose PreFilter state depends on the pods of the cluster and must be recomputed for this node. */
function freshFor(ctx: FitContext, failedPolicy: string | undefined): Set<string> {
  const out = new Set<string>();
  if (failedPolicy === POD_TOPOLOGY_SPREAD) out.add(POD_TOPOLOGY_SPREAD);
  if (failedPolicy === INTER_POD_AFFINITY || affinityOf(ctx.pod).requiredAffinity.length > 0) out.add(INTER_POD_AFFINITY);
  return out;
}

async function fits(ctx: FitContext, node: NodeInfo, fresh: ReadonlySet<string>): Promise<boolean> {
  let snap: ClusterSnapshot | undefined;
  for (const p of ctx.policies) {
    let state: CycleState = ctx.base;
    if (fresh.has(p.name)) {
      state = new MapCycleState();
      const r = runPreFilter(p, state, ctx.pod, (snap ??= snapshotWith(ctx.snapshot, node)));
      if (r.reject) return false;
      if (r.skip) continue;
    } else if (ctx.skipped.has(p.name)) {
      continue;
    }
    if (!(await runFilter(p, state, ctx.pod, node))) return false;
  }
  return true;
}

/** kube's SelectVictimsOnNode (without PDBs): the fewest, least important pods to evict, or undefined. */
export async function selectVictimsOnNode(ctx: FitContext, node: NodeInfo, failedPolicy: string | undefined): Promise<PodInfo[] | undefined> {
  const pod = ctx.pod;
  const potential = node.pods.filter((p) => p.priority < pod.priority).sort(moreImportant);
  if (potential.length === 0) return undefined;
  const fresh = freshFor(ctx, failedPolicy);
  const removed = new Set(potential);
  if (!(await fits(ctx, nodeWithout(node, removed), fresh))) return undefined;
  const victims: PodInfo[] = [];
  for (const p of potential) {
    removed.delete(p);
    if (!(await fits(ctx, nodeWithout(node, removed), fresh))) {
      removed.add(p);
      victims.push(p);
    }
  }
  return victims;
}

/** kube's pickOneNodeForPreemption, PDB violations aside. */
export function pickOneNode(candidates: Candidate[]): Candidate | undefined {
  if (candidates.length <= 1) return candidates[0];
  for (const c of candidates) if (c.victims.length === 0) return c;
  const OFFSET = 2 ** 31;
  const keep = (list: Candidate[], score: (c: Candidate) => number): Candidate[] => {
    let best = -Infinity;
    let out: Candidate[] = [];
    for (const c of list) {
      const s = score(c);
      if (s > best) {
        best = s;
        out = [c];
      } else if (s === best) out.push(c);
    }
    return out;
  };
  let list = candidates;
  list = keep(list, (c) => -c.victims[0].priority);
  if (list.length > 1) list = keep(list, (c) => -c.victims.reduce((s, v) => s + v.priority + OFFSET, 0));
  if (list.length > 1) list = keep(list, (c) => -c.victims.length);
  if (list.length > 1) {
    list = keep(list, (c) => {
      const top = c.victims[0].priority;
      let earliest = Infinity;
      for (const v of c.victims) if (v.priority === top) earliest = Math.min(earliest, startMs(v));
      return earliest;
    });
  }
  return list[0];
}

export type PreemptionDecision =
  | { ok: true; node: string; victims: PodInfo[] }
  | { ok: false; status: PolicyStatus };

/** The pure part: eligibility, candidates, choice. */
export async function findPreemption(
  pod: PodInfo,
  filtered: Map<string, PolicyStatus>,
  snapshot: ClusterSnapshot,
  lookup: PolicyLookup,
  opts: { minCandidateNodesPercentage?: number; minCandidateNodesAbsolute?: number } = {},
): Promise<PreemptionDecision> {
  const unschedulable = (reason: string): PreemptionDecision => ({ ok: false, status: { code: 'Unschedulable', reasons: [reason] } });
  if (specOf(pod).preemptionPolicy === 'Never') return unschedulable(REASON_NEVER);
  const nominated = (pod.pod?.status as { nominatedNodeName?: string } | undefined)?.nominatedNodeName;
  if (nominated && filtered.get(nominated)?.code !== 'UnschedulableAndUnresolvable') {
    const n = snapshot.node(nominated);
    if (n?.pods.some((p) => isTerminating(p) && p.priority < pod.priority)) return unschedulable(REASON_TERMINATING);
  }

  const nodes = snapshot.nodes();
  const ctx = fitContext(pod, snapshot, lookup);
  const pct = opts.minCandidateNodesPercentage ?? 10;
  const abs = opts.minCandidateNodesAbsolute ?? 100;
  const wanted = Math.min(nodes.length, Math.max(Math.floor((nodes.length * pct) / 100), abs));
  const candidates: Candidate[] = [];
  let notHelpful = 0;
  let noVictims = 0;
  for (const node of nodes) {
    const st = filtered.get(node.name);
    if (!st) continue; // not among the nodes evaluated (PreFilter narrowed the set)
    if (st.code !== 'Unschedulable' || ctx.rejected || (ctx.nodeNames && !ctx.nodeNames.has(node.name))) {
      notHelpful++;
      continue;
    }
    if (st.policy && !lookup.get(st.policy)) {
      noVictims++; // rejected by a policy we cannot re-run
      continue;
    }
    if (candidates.length >= wanted) continue;
    const victims = await selectVictimsOnNode(ctx, node, st.policy);
    if (victims) candidates.push({ node: node.name, victims });
    else noVictims++;
  }
  const chosen = pickOneNode(candidates);
  if (!chosen) {
    const parts: string[] = [];
    if (noVictims) parts.push(`${noVictims} ${REASON_NO_VICTIMS}`);
    if (notHelpful) parts.push(`${notHelpful} ${REASON_NOT_HELPFUL}`);
    parts.sort();
    return unschedulable(`0/${nodes.length} nodes are available: ${parts.join(', ')}.`);
  }
  return { ok: true, node: chosen.node, victims: chosen.victims };
}

export function defaultPreemption(opts: DefaultPreemptionOptions): SchedulerPolicy {
  const lookup = opts.policies ?? sharedPolicyDirectory();
  return {
    name: DEFAULT_PREEMPTION,
    events: [],
    async postFilter(_state, pod, filtered, snapshot): Promise<PostFilterResult> {
      const d = await findPreemption(pod, filtered, snapshot, lookup, opts);
      if (!d.ok) return { status: d.status };
      const failures: string[] = [];
      await Promise.all(
        d.victims.map(async (v) => {
          opts.logger?.info(`preempting pod ${v.key} on node ${d.node} for pod ${pod.key}`, {
            victim: v.key,
            victimPriority: v.priority,
            preemptor: pod.key,
            preemptorPriority: pod.priority,
            node: d.node,
          });
          const del: DeleteOptions = { preconditions: { uid: v.uid } };
          try {
            await opts.kernel.delete(PODS, v.namespace, v.name, del);
          } catch (e) {
            const code = (e as { code?: number; status?: { code?: number } })?.code ?? (e as { status?: { code?: number } })?.status?.code;
            if (code === 404 || code === 409) return; // already gone (or replaced: the uid precondition failed)
            failures.push(`${v.key}: ${String((e as Error)?.message ?? e)}`);
            opts.logger?.warn(`preemption: evicting ${v.key} failed`, { victim: v.key, preemptor: pod.key, error: String(e) });
          }
        }),
      );
      if (failures.length) return { status: { code: 'Error', reasons: [`preemption: evicting victims failed: ${failures.join('; ')}`] } };
      return { status: { code: 'Success' }, nominatedNodeName: d.node };
    },
  };
}

export interface DefaultPreemptionConfig extends BaseConfig {
  minCandidateNodesPercentage: number;
  minCandidateNodesAbsolute: number;
}

export const defaultPreemptionPlugin = policyPlugin<DefaultPreemptionConfig>({
  name: 'default-preemption',
  properties: {
    minCandidateNodesPercentage: { type: 'integer', minimum: 0, maximum: 100, default: 10 },
    minCandidateNodesAbsolute: { type: 'integer', minimum: 0, default: 100 },
  },
  create: (config, ctx) =>
    defaultPreemption({
      kernel: ctx.kernel,
      logger: ctx.logger,
      minCandidateNodesPercentage: config.minCandidateNodesPercentage,
      minCandidateNodesAbsolute: config.minCandidateNodesAbsolute,
    }),
});
