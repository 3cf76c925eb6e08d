// The scheduler cache: every node (as a NodeInfo) with the pods placed on it — bound pods, and
// *assumed* pods (reserved by a scheduling cycle, binding in flight), which count exactly like
// bound ones until the watch confirms them (spec.nodeName seen) or the binding fails (forget).
//
// The cache is fed by the scheduler's informers (nodes and pods watches); a scheduling cycle only
// ever reads it, never the store. While a cycle awaits (an async batched policy), changes are
// held back and applied after the cycle (`hold`/`release`), so a cycle sees one consistent state.
import type { KObject } from '@skiff/kernel';
import type { ClusterSnapshot, NodeInfo, PodInfo, Resources, Taint } from './framework.ts';
import { parseResourceList, podHostPorts } from './pod-info.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const EMPTY_NODE: KObject = Object.freeze({ apiVersion: 'v1', kind: 'Node', metadata: Object.freeze({}) }) as KObject;

/** ids of CachedNodes: process-wide, so two caches never hand out the same one */
let nextNodeId = 0;

/** The cache's NodeInfo: the framework's, plus bookkeeping the scheduler uses. */
export class CachedNode implements NodeInfo {
  node: KObject = EMPTY_NODE;
  labels: Record<string, string> = {};
  taints: Taint[] = [];
  unschedulable = false;
  allocatable: Resources = {};
  // the usual keys from the start, in one order: every node's object has the same shape (a key
  // added later by some pods' requests would give nodes different hidden classes, and the policies'
  // reads of node.requested.cpu go megamorphic)
  requested: Resources = { cpu: 0, memory: 0, 'ephemeral-storage': 0, pods: 0 };
  pods: PodInfo[] = [];
  usedPorts = new Set<string>();
  images = new Map<string, number>();
  generation = 0;
  /** the Node object has been seen (false: only pods name it so far) */
  present = false;
  /** position in the cache's node list (-1 when not in it) */
  index = -1;
  readonly id = nextNodeId++;
  /** host ports per pod uid, to release them */
  private portsByPod = new Map<string, string[]>();
  constructor(
    readonly name: string,
    /** told of every change (the cache's change feed) */
    private readonly changed?: (n: CachedNode) => void,
  ) {}

  private bump(): void {
    this.generation++;
    this.changed?.(this);
  }

  setNode(node: KObject): void {
    this.node = node;
    this.present = true;
    this.labels = node.metadata.labels ?? {};
    const spec = isObj(node.spec) ? node.spec : {};
    const status = isObj(node.status) ? node.status : {};
    this.unschedulable = spec.unschedulable === true;
    this.taints = Array.isArray(spec.taints)
      ? spec.taints.filter((t): t is Taint => isObj(t) && typeof t.key === 'string' && typeof t.effect === 'string')
      : [];
    this.allocatable = parseResourceList(isObj(status.allocatable) ? status.allocatable : status.capacity);
    const images = new Map<string, number>();
    if (Array.isArray(status.images)) {
      for (const im of status.images) {
        if (!isObj(im) || !Array.isArray(im.names)) continue;
        const size = typeof im.sizeBytes === 'number' ? im.sizeBytes : 0;
        for (const n of im.names) if (typeof n === 'string') images.set(n, size);
      }
    }
    this.images = images;
    this.bump();
  }

  addPod(p: PodInfo): void {
    this.pods.push(p);
    const req = this.requested;
    for (const k in p.requests) req[k] = (req[k] ?? 0) + p.requests[k];
    const ports = podHostPorts(p.pod);
    if (ports.length) {
      this.portsByPod.set(p.uid, ports);
      for (const port of ports) this.usedPorts.add(port);
    }
    this.bump();
  }

  /** The same pod, a newer version with the same requests and ports. */
  replacePod(p: PodInfo): void {
    const i = this.pods.findIndex((x) => x.uid === p.uid);
    if (i >= 0) this.pods[i] = p;
    this.bump();
  }

  removePod(uid: string): boolean {
    const i = this.pods.findIndex((x) => x.uid === uid);
    if (i < 0) return false;
    const p = this.pods[i];
    const last = this.pods.pop()!;
    if (i < this.pods.length) this.pods[i] = last;
    const req = this.requested;
    for (const k in p.requests) req[k] = (req[k] ?? 0) - p.requests[k];
    const ports = this.portsByPod.get(uid);
    if (ports) {
      this.portsByPod.delete(uid);
      this.usedPorts.clear();
      for (const list of this.portsByPod.values()) for (const port of list) this.usedPorts.add(port);
    }
    this.bump();
    return true;
  }
}

interface PodEntry {
  info: PodInfo;
  nodeName: string;
  assumed: boolean;
}

export class SchedulerCache implements ClusterSnapshot {
  private nodeMap = new Map<string, CachedNode>();
  /** the present nodes, in a stable order (iteration order of the scheduling cycles) */
  private list: CachedNode[] = [];
  private podMap = new Map<string, PodEntry>();
  private held = 0;
  private pending: (() => void)[] = [];
  /** change feed: the nodes changed, in order; entry i is change number logStart + i + 1 */
  private log: CachedNode[] = [];
  private logStart = 0;
  private readonly onNodeChange = (n: CachedNode) => {
    this.log.push(n);
    // keep the recent past only (a reader that fell further behind walks every node instead)
    if (this.log.length > 4096 + 2 * this.list.length) {
      const drop = this.log.length >> 1;
      this.log.splice(0, drop);
      this.logStart += drop;
    }
  };

  // ---- ClusterSnapshot (read by cycles and policies) ----
  nodes(): NodeInfo[] {
    return this.list;
  }

  node(name: string): NodeInfo | undefined {
    const n = this.nodeMap.get(name);
    return n?.present ? n : undefined;
  }

  changeSeq(): number {
    return this.logStart + this.log.length;
  }

  changedSince(seq: number): readonly NodeInfo[] | undefined {
    const i = seq - this.logStart;
    if (i < 0 || i > this.log.length) return undefined;
    return this.log.slice(i);
  }

  get nodeCount(): number {
    return this.list.length;
  }

  /** The present nodes (the same array until a node is added or removed: do not change it). */
  nodeList(): readonly CachedNode[] {
    return this.list;
  }

  // ---- consistency across an awaiting cycle ----
  hold(): void {
    this.held++;
  }

  release(): void {
    if (--this.held > 0) return;
    const todo = this.pending;
    this.pending = [];
    for (const fn of todo) fn();
  }

  /** Run `fn` now, or after the cycle that holds the cache. */
  private apply(fn: () => void): void {
    if (this.held > 0) this.pending.push(fn);
    else fn();
  }

  // ---- nodes ----
  upsertNode(node: KObject): void {
    this.apply(() => {
      const name = node.metadata.name!;
      let n = this.nodeMap.get(name);
      if (!n) this.nodeMap.set(name, (n = new CachedNode(name, this.onNodeChange)));
      n.setNode(node);
      if (n.index < 0) {
        n.index = this.list.length;
        this.list.push(n);
      }
    });
  }

  removeNode(name: string): void {
    this.apply(() => {
      const n = this.nodeMap.get(name);
      if (!n) return;
      if (n.index >= 0) {
        this.list = this.list.filter((x) => x !== n);
        this.list.forEach((x, i) => (x.index = i));
        n.index = -1;
      }
      n.present = false;
      n.node = EMPTY_NODE;
      this.onNodeChange(n);
      // pods still bound to it stay accounted (as kube does) until they go
      if (n.pods.length === 0) this.nodeMap.delete(name);
    });
  }

  /** Replace every node with `nodes` (after a re-list). */
  resetNodes(nodes: KObject[]): void {
    this.apply(() => {
      const keep = new Set(nodes.map((n) => n.metadata.name!));
      for (const n of [...this.list]) if (!keep.has(n.name)) this.removeNode(n.name);
      for (const n of nodes) this.upsertNode(n);
    });
  }

  // ---- pods ----
  /** A bound pod seen by the watch (confirms an assumed one; moves it if bound elsewhere). */
  upsertBoundPod(info: PodInfo): void {
    this.apply(() => {
      const nodeName = info.nodeName!;
      const cur = this.podMap.get(info.uid);
      if (cur) {
        const sameNode = cur.nodeName === nodeName;
        // same node and same requests: just confirm / refresh the object
        if (sameNode && sameRequests(cur.info.requests, info.requests)) {
          cur.assumed = false;
          cur.info = info;
          this.nodeFor(nodeName)?.replacePod(info);
          return;
        }
        this.nodeFor(cur.nodeName)?.removePod(info.uid);
        this.gc(cur.nodeName);
      }
      this.podMap.set(info.uid, { info, nodeName, assumed: false });
      this.ensureNode(nodeName).addPod(info);
    });
  }

  /** A pod that is gone (deleted, terminal, or no longer bound). */
  removePod(uid: string): void {
    this.apply(() => {
      const cur = this.podMap.get(uid);
      if (!cur) return;
      this.podMap.delete(uid);
      this.nodeFor(cur.nodeName)?.removePod(uid);
      this.gc(cur.nodeName);
    });
  }

  /** Reserve: the pod counts against `nodeName` from now on (applies at once: cycles call it). */
  assume(info: PodInfo, nodeName: string): void {
    if (this.podMap.has(info.uid)) throw new Error(`pod ${info.key} is already in the cache`);
    info.nodeName = nodeName;
    this.podMap.set(info.uid, { info, nodeName, assumed: true });
    this.ensureNode(nodeName).addPod(info);
  }

  /** Undo `assume` (binding failed); a pod the watch has since confirmed stays. */
  forget(uid: string): void {
    this.apply(() => {
      const cur = this.podMap.get(uid);
      if (!cur || !cur.assumed) return;
      this.podMap.delete(uid);
      this.nodeFor(cur.nodeName)?.removePod(uid);
      this.gc(cur.nodeName);
    });
  }

  /** Replace every pod with these bound pods, keeping assumed ones (after a re-list). */
  resetPods(bound: PodInfo[]): void {
    this.apply(() => {
      const keep = new Set(bound.map((p) => p.uid));
      for (const [uid, e] of [...this.podMap]) if (!e.assumed && !keep.has(uid)) this.removePod(uid);
      for (const p of bound) this.upsertBoundPod(p);
    });
  }

  isAssumed(uid: string): boolean {
    return this.podMap.get(uid)?.assumed === true;
  }

  /** The PodInfo the cache holds for a pod (bound or assumed). */
  podInfo(uid: string): PodInfo | undefined {
    return this.podMap.get(uid)?.info;
  }

  /** The node a pod is on (bound or assumed), if the cache has it. */
  nodeOf(uid: string): string | undefined {
    return this.podMap.get(uid)?.nodeName;
  }

  podCount(): { bound: number; assumed: number } {
    let assumed = 0;
    for (const e of this.podMap.values()) if (e.assumed) assumed++;
    return { bound: this.podMap.size - assumed, assumed };
  }

  private nodeFor(name: string): CachedNode | undefined {
    return this.nodeMap.get(name);
  }

  private ensureNode(name: string): CachedNode {
    let n = this.nodeMap.get(name);
    if (!n) this.nodeMap.set(name, (n = new CachedNode(name, this.onNodeChange)));
    return n;
  }

  /** Drop a ghost node (no Node object) once no pod names it. */
  private gc(name: string): void {
    const n = this.nodeMap.get(name);
    if (n && !n.present && n.pods.length === 0) this.nodeMap.delete(name);
  }
}

function sameRequests(a: Resources, b: Resources): boolean {
  if (a === b) return true;
  let na = 0;
  for (const k in a) {
    na++;
    if (a[k] !== b[k]) return false;
  }
  let nb = 0;
  for (const _ in b) nb++;
  return na === nb;
}
