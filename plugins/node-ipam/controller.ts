// Node IPAM, like kube-controller-manager's range allocator: every Node gets a block of the cluster
// CIDR as `spec.podCIDR` / `spec.podCIDRs`. A reconcile of the controller kit (keys: node names):
//  - When this process starts leading, the allocator is rebuilt from a fresh list of the Nodes'
//    podCIDRs before anything is handed out (state.ts), so neither a restart nor a leader change
//    hands a block out twice; between, the node informer keeps it.
//  - A Node without a podCIDR gets the first free block, written with a compare-and-set update (the
//    resourceVersion it was read at); on 409 it is read again and retried — unless it got a podCIDR
//    meanwhile, which is then taken as it is.
//  - A deleted Node frees its block.
//  - A podCIDR outside the cluster CIDR, not IPv4, or clashing with another node's is left alone:
//    a warning and an Event on the Node. Blocks a podCIDR covers stay used even then.
//  - Range full: a warning and an Event; tried again every `retrySeconds`, and as soon as a block is freed.
import type { ControllerRuntime, Reconcile } from '@skiff/client';
import type { KObject, ResourceRef } from '@skiff/kernel';
import { BlockSet } from './cidr.ts';
import type { OccupyResult } from './allocator.ts';
import { IpamState, podCIDROf } from './state.ts';

export const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes' };

const MAX_CONFLICTS = 5;
const code = (e: unknown) => (e as { code?: number })?.code;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface NodeIpamConfig {
  /** the range pod CIDRs are cut from (kube: --cluster-cidr) */
  clusterCIDR: string;
  /** prefix length of each node's block (kube: --node-cidr-mask-size) */
  nodeCIDRMaskSize: number;
  /** how often nodes that could not get a block are tried again */
  retrySeconds: number;
}

export function setupNodeIpam(c: ControllerRuntime<NodeIpamConfig>): Reconcile {
  const { clusterCIDR, nodeCIDRMaskSize } = c.config;
  new BlockSet(clusterCIDR, nodeCIDRMaskSize); // a bad config fails the start, with the reason
  const retryMs = c.config.retrySeconds * 1000;
  const stats = { allocated: 0, released: 0, conflicts: 0, failures: 0 };
  /** the last problem reported per node (reported once until it changes) */
  const reported = new Map<string, string>();
  /** nodes waiting for a free block */
  const waiting = new Set<string>();
  let exhausted = false;

  const report = () => {
    const a = state.allocator;
    if (exhausted && a.used < a.size) exhausted = false;
    c.reportRuntime({ blocksUsed: a.used, blocksTotal: a.size, nodes: state.nodes, waiting: waiting.size, ...stats });
  };

  /** Log and record an Event, once per node until the problem changes. */
  const problem = (node: KObject, reason: string, message: string) => {
    const name = node.metadata.name!;
    const key = `${reason}\0${message}`;
    if (reported.get(name) === key) return;
    reported.set(name, key);
    c.logger.warn(message, { node: name, reason });
    c.recorder.record(node, { type: 'Warning', reason, message });
  };

  const state = new IpamState(clusterCIDR, nodeCIDRMaskSize, {
    occupied(node: KObject, r: OccupyResult) {
      const name = node.metadata.name!;
      waiting.delete(name);
      if (r.kind === 'ok') return void reported.delete(name);
      // hollow nodes (skiff sim) number their own simulated pod CIDRs, thousands of them: the blocks
      // inside the range stay used, but what lies outside or overlaps is no problem worth an Event
      if (node.metadata.annotations?.['skiff.io/hollow'] === 'true') return;
      const [reason, message] =
        r.kind === 'invalid'
          ? ['InvalidPodCIDR', `Node ${name} has podCIDR "${r.cidr}", which is not an IPv4 CIDR; it is left as it is`]
          : r.kind === 'outside'
            ? ['PodCIDROutsideClusterCIDR', `Node ${name} has podCIDR ${r.cidr}, which is not inside the cluster CIDR ${clusterCIDR}; it is left as it is`]
            : ['PodCIDRConflict', `Node ${name} has podCIDR ${r.cidr}, which node(s) ${r.with.join(', ')} also use; it is left as it is`];
      problem(node, reason, message);
    },
    released(node: KObject) {
      stats.released++;
      c.logger.info('node deleted; its pod CIDR is free again', { node: node.metadata.name, podCIDR: podCIDROf(node) });
      // nodes waiting for a block may get this one
      for (const name of waiting) c.enqueue(name);
    },
  });

  const nodes = c.informer(NODES);
  const off = nodes.addEventHandler({
    onAdd: (n) => (state.set(n), report()),
    onUpdate: (_, n) => state.set(n),
    onDelete: (n) => {
      reported.delete(n.metadata.name!);
      waiting.delete(n.metadata.name!);
      state.delete(n);
      report();
    },
  });
  c.signal.addEventListener('abort', off, { once: true });

  // the informer of a process that was following may lag: a fresh list before any allocation
  c.onLeading(async () => {
    state.beginRebuild();
    try {
      const list = await c.kernel.list(NODES);
      state.finishRebuild(list.items, Number(list.metadata.resourceVersion) || 0);
    } catch (e) {
      state.abortRebuild();
      throw e;
    }
    c.logger.info('node IPAM leading', { clusterCIDR, nodeCIDRMaskSize, blocks: state.allocator.size, used: state.allocator.used });
    report();
  });

  return async (name) => {
    let node = nodes.lister.get(undefined, name);
    if (!node || podCIDROf(node) || node.metadata.deletionTimestamp) {
      waiting.delete(name);
      return;
    }
    const allocator = state.allocator;
    const cidr = allocator.allocate(name);
    if (!cidr) {
      waiting.add(name);
      problem(node, 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable (all ${allocator.size} /${nodeCIDRMaskSize} blocks of ${clusterCIDR} are in use)`);
      if (!exhausted) {
        exhausted = true;
        c.ctx.recordEvent({ type: 'Warning', reason: 'CIDRRangeExhausted', message: `all ${allocator.size} pod CIDR blocks of ${clusterCIDR} are in use; nodes wait for one to be freed` });
      }
      report();
      return { requeueAfterMs: retryMs };
    }
    for (let attempt = 1; ; attempt++) {
      const spec = isObj(node.spec) ? node.spec : {};
      try {
        const written = await c.kernel.update(NODES, { ...node, spec: { ...spec, podCIDR: cidr, podCIDRs: [cidr] } }, { fieldManager: c.name });
        state.set(written);
        stats.allocated++;
        waiting.delete(name);
        reported.delete(name);
        c.logger.info('allocated a pod CIDR', { node: name, podCIDR: cidr });
        report();
        return;
      } catch (e) {
        if (code(e) === 409 && attempt < MAX_CONFLICTS) {
          stats.conflicts++;
          try {
            node = await c.kernel.get(NODES, undefined, name);
          } catch (e2) {
            if (code(e2) !== 404) throw e2;
            state.allocator.release(name);
            return; // deleted meanwhile: the informer will say so
          }
          if (podCIDROf(node)) {
            state.set(node); // somebody else gave it one: take it as it is
            return;
          }
          continue;
        }
        state.allocator.release(name);
        if (code(e) === 404) return;
        stats.failures++;
        problem(node, 'CIDRAssignmentFailed', `Node ${name}: could not write podCIDR ${cidr}: ${e instanceof Error ? e.message : String(e)}`);
        report();
        return { requeueAfterMs: retryMs };
      }
    }
  };
}
