// InterPodAffinity's term model and counting helpers: parsing a pod's (anti-)affinity terms (cached
// per PodInfo), matching a term against a pod (namespaces / namespaceSelector / labelSelector),
// per-node lists of the pods carrying terms, topology-domain counts, and the cluster-wide
// AffinityPodCounter that lets PreFilter / PreScore skip or narrow their walk over existing pods.
import type { ClusterSnapshot, NodeInfo, PodInfo } from '@skiff/plugin-scheduler/framework';
import { isEmptySelector, selectorMatches } from '@skiff/api';
import { compileSelector, type LabelMatcher } from './selector.ts';
import { NodeTracker } from './node-tracker.ts';
import { specOf, type LabelSelector, type PodAffinityTerm, type WeightedPodAffinityTerm } from './pod-spec.ts';

/** Labels of a namespace, for namespaceSelector; undefined when unknown. */
export type NamespaceLabels = (namespace: string) => Record<string, string> | undefined;

export interface AffinityTerm {
  topologyKey: string;
  /** labelSelector with matchLabelKeys / mismatchLabelKeys merged in; undefined selects nothing */
  selector: LabelSelector | undefined;
  matches: LabelMatcher;
  namespaces: ReadonlySet<string>;
  namespaceSelector: LabelSelector | undefined;
  /** namespaceSelector is `{}`: every namespace */
  allNamespaces: boolean;
  weight: number;
}

export interface ParsedAffinity {
  requiredAffinity: AffinityTerm[];
  requiredAntiAffinity: AffinityTerm[];
  preferredAffinity: AffinityTerm[];
  preferredAntiAffinity: AffinityTerm[];
  any: boolean;
}

const NONE: ParsedAffinity = Object.freeze({
  requiredAffinity: [],
  requiredAntiAffinity: [],
  preferredAffinity: [],
  preferredAntiAffinity: [],
  any: false,
}) as unknown as ParsedAffinity;

function parseTerm(owner: PodInfo, t: PodAffinityTerm | undefined, weight: number): AffinityTerm | undefined {
  if (!t || typeof t.topologyKey !== 'string' || !t.topologyKey) return undefined;
  let selector = t.labelSelector && typeof t.labelSelector === 'object' ? t.labelSelector : undefined;
  if (selector && (t.matchLabelKeys?.length || t.mismatchLabelKeys?.length)) {
    const has = (k: string) => Object.prototype.hasOwnProperty.call(owner.labels, k);
    const extra = [
      ...(t.matchLabelKeys ?? []).filter(has).map((k) => ({ key: k, operator: 'In' as const, values: [owner.labels[k]] })),
      ...(t.mismatchLabelKeys ?? []).filter(has).map((k) => ({ key: k, operator: 'NotIn' as const, values: [owner.labels[k]] })),
    ];
    selector = { ...selector, matchExpressions: [...(selector.matchExpressions ?? []), ...extra] };
  }
  const nsSel = t.namespaceSelector && typeof t.namespaceSelector === 'object' ? t.namespaceSelector : undefined;
  const listed = Array.isArray(t.namespaces) ? t.namespaces : [];
  const namespaces = new Set(listed.length === 0 && !nsSel ? [owner.namespace] : listed);
  return { topologyKey: t.topologyKey, selector, matches: compileSelector(selector), namespaces, namespaceSelector: nsSel, allNamespaces: nsSel !== undefined && isEmptySelector(nsSel), weight };
}

const cache = new WeakMap<PodInfo, ParsedAffinity>();

/** The pod's affinity terms, parsed once per PodInfo. */
export function affinityOf(p: PodInfo): ParsedAffinity {
  let a = cache.get(p);
  if (a) return a;
  const aff = specOf(p).affinity;
  if (!aff || (!aff.podAffinity && !aff.podAntiAffinity)) {
    a = NONE;
  } else {
    const req = (ts: PodAffinityTerm[] | undefined) =>
      (Array.isArray(ts) ? ts : []).map((t) => parseTerm(p, t, 1)).filter((t): t is AffinityTerm => t !== undefined);
    const pref = (ts: WeightedPodAffinityTerm[] | undefined) =>
      (Array.isArray(ts) ? ts : [])
        .filter((w) => w && w.weight)
        .map((w) => parseTerm(p, w.podAffinityTerm, w.weight))
        .filter((t): t is AffinityTerm => t !== undefined);
    const requiredAffinity = req(aff.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
    const requiredAntiAffinity = req(aff.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
    const preferredAffinity = pref(aff.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    const preferredAntiAffinity = pref(aff.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
    const any = requiredAffinity.length + requiredAntiAffinity.length + preferredAffinity.length + preferredAntiAffinity.length > 0;
    a = any ? { requiredAffinity, requiredAntiAffinity, preferredAffinity, preferredAntiAffinity, any } : NONE;
  }
  cache.set(p, a);
  return a;
}

/** Does the term (of some owner pod) select pod `p`? */
export function termMatchesPod(t: AffinityTerm, p: PodInfo, nsLabels: NamespaceLabels): boolean {
  if (!t.namespaces.has(p.namespace)) {
    if (!t.namespaceSelector) return false;
    if (!t.allNamespaces) {
      const labels = nsLabels(p.namespace);
      if (!labels || !selectorMatches(t.namespaceSelector, labels)) return false;
    }
  }
  return t.matches(p.labels);
}

export function matchesAll(terms: readonly AffinityTerm[], p: PodInfo, nsLabels: NamespaceLabels): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!termMatchesPod(t, p, nsLabels)) return false;
  return true;
}

export interface NodeAffinityPods {
  generation: number;
  count: number;
  /** pods with any affinity term */
  withAffinity: PodInfo[];
  /** pods with required anti-affinity terms */
  withRequiredAnti: PodInfo[];
}
const nodeCache = new WeakMap<NodeInfo, NodeAffinityPods>();

/** The node's pods that have affinity terms (kube's PodsWithAffinity / PodsWithRequiredAntiAffinity), cached per generation. */
export function affinityPodsOf(node: NodeInfo): NodeAffinityPods {
  let c = nodeCache.get(node);
  if (c && c.generation === node.generation && c.count === node.pods.length) return c;
  const withAffinity: PodInfo[] = [];
  const withRequiredAnti: PodInfo[] = [];
  for (const p of node.pods) {
    const a = affinityOf(p);
    if (!a.any) continue;
    withAffinity.push(p);
    if (a.requiredAntiAffinity.length) withRequiredAnti.push(p);
  }
  c = { generation: node.generation, count: node.pods.length, withAffinity, withRequiredAnti };
  nodeCache.set(node, c);
  return c;
}

/** topologyKey -> topology value -> number */
export type TopologyCounts = Map<string, Map<string, number>>;

export function bump(m: TopologyCounts, key: string, node: NodeInfo, by: number): void {
  const v = node.labels[key];
  if (v === undefined) return;
  let inner = m.get(key);
  if (!inner) m.set(key, (inner = new Map()));
  inner.set(v, (inner.get(v) ?? 0) + by);
}

export function lookup(m: TopologyCounts, key: string, value: string): number {
  return m.get(key)?.get(value) ?? 0;
}

/**
 * How many pods of the cluster have affinity terms at all, and how many have required
 * anti-affinity terms (kube keeps these lists per NodeInfo; here they are summed over the cluster
 * and kept up to date incrementally, node by node, as nodes change). Lets PreFilter / PreScore
 * skip the per-cycle walk over every pod when no existing pod can matter, and otherwise visit
 * only the nodes holding such pods.
 */
export class AffinityPodCounter {
  /** pods with any affinity / anti-affinity term */
  withAffinity = 0;
  /** pods with required anti-affinity terms */
  withRequiredAnti = 0;
  /** the nodes holding pods with affinity terms, and those pods */
  private readonly holders = new Map<NodeInfo, NodeAffinityPods>();
  private readonly tracker = new NodeTracker<NodeAffinityPods>({
    update: (node, prev) => {
      const c = affinityPodsOf(node);
      if (c === prev) return prev;
      if (prev) this.take(prev);
      this.withAffinity += c.withAffinity.length;
      this.withRequiredAnti += c.withRequiredAnti.length;
      if (c.withAffinity.length > 0) this.holders.set(node, c);
      else this.holders.delete(node);
      return c;
    },
    remove: (node, prev) => {
      this.take(prev);
      this.holders.delete(node);
    },
  });

  private take(prev: NodeAffinityPods): void {
    this.withAffinity -= prev.withAffinity.length;
    this.withRequiredAnti -= prev.withRequiredAnti.length;
  }

  /** Up to date with the snapshot (`token`: the cycle's state; a second call in the same cycle is free). */
  sync(snapshot: ClusterSnapshot, token?: object): this {
    this.tracker.sync(snapshot, token);
    return this;
  }

  /** Calls fn for each node that holds pods with affinity terms (`requiredAnti`: with required anti-affinity terms), with those pods. */
  forEachNode(requiredAnti: boolean, fn: (node: NodeInfo, pods: readonly PodInfo[]) => void): void {
    if ((requiredAnti ? this.withRequiredAnti : this.withAffinity) === 0) return;
    for (const [node, c] of this.holders) {
      const pods = requiredAnti ? c.withRequiredAnti : c.withAffinity;
      if (pods.length > 0) fn(node, pods);
    }
  }
}
