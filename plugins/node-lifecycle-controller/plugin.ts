// kube's node lifecycle controller and taint-eviction controller, per node:
// 1. health: a node whose Lease (kube-node-lease) and Ready heartbeat have not changed for the grace
//    period gets its conditions set to Unknown, and its pods marked not Ready;
// 2. taints: NoSchedule taints from its conditions, and the NoExecute not-ready / unreachable taint
//    (added at a per-zone rate; see zones.ts);
// 3. eviction: pods that do not tolerate a NoExecute taint are deleted, the others when their
//    tolerationSeconds run out (pods get 300 s by default from the default-toleration-seconds admission).
import { defineController, type Reconcile } from '@skiff/client';
import { LEASES, NODES, PODS, isConflict, isNotFound, type KObject, type Node, type Pod } from '@skiff/api';
import { now } from '@skiff/kernel';
import { HealthTracker, readyCondition, unknownConditions } from './health.ts';
import { planEvictions } from './evictions.ts';
import { reconcileTaints } from './taints.ts';
import { ZoneLimiter } from './zones.ts';

const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const BY_NODE = 'spec.nodeName';

export interface NodeLifecycleConfig {
  nodeMonitorGracePeriodSeconds: number;
  nodeMonitorPeriodSeconds: number;
  nodeEvictionRate: number;
  secondaryNodeEvictionRate: number;
  unhealthyZoneThreshold: number;
  largeClusterSizeThreshold: number;
}

export default defineController<NodeLifecycleConfig>({
  name: 'node-lifecycle-controller',
  version: '0.1.0',
  for: NODES,
  workers: 4,
  configSchema: {
    type: 'object',
    properties: {
      nodeMonitorGracePeriodSeconds: { type: 'number', minimum: 1, default: 40 },
      nodeMonitorPeriodSeconds: { type: 'number', minimum: 0.1, default: 5 },
      nodeEvictionRate: { type: 'number', minimum: 0, default: 0.1 },
      secondaryNodeEvictionRate: { type: 'number', minimum: 0, default: 0.01 },
      unhealthyZoneThreshold: { type: 'number', minimum: 0, maximum: 1, default: 0.55 },
      largeClusterSizeThreshold: { type: 'integer', minimum: 0, default: 50 },
    },
  },
  watches: [
    { ref: LEASES, selection: { namespace: NODE_LEASE_NAMESPACE }, map: (l) => [l.metadata.name!] },
    // a pod bound to a tainted node may have to go
    { ref: PODS, map: (p, old) => [...new Set([(p.spec as Pod['spec'])?.nodeName, (old?.spec as Pod['spec'])?.nodeName].filter((n): n is string => !!n))] },
  ],
  setup(c): Reconcile {
    const cfg = c.config;
    const nodes = c.informer<Node>(NODES);
    const leases = c.informer(LEASES, { namespace: NODE_LEASE_NAMESPACE });
    const pods = c.informer<Pod>(PODS);
    pods.addIndexers({ [BY_NODE]: (p) => ((p as Pod).spec?.nodeName ? [(p as Pod).spec!.nodeName!] : []) });
    const health = new HealthTracker();
    const zones = new ZoneLimiter({
      rate: cfg.nodeEvictionRate,
      secondaryRate: cfg.secondaryNodeEvictionRate,
      unhealthyThreshold: cfg.unhealthyZoneThreshold,
      largeClusterThreshold: cfg.largeClusterSizeThreshold,
    });
    const graceMs = cfg.nodeMonitorGracePeriodSeconds * 1000;
    const sweep = () => zones.update(nodes.lister.list(), Date.now());
    const timer = setInterval(sweep, cfg.nodeMonitorPeriodSeconds * 1000);
    timer.unref();
    c.signal.addEventListener('abort', () => clearInterval(timer));

    const markPodsNotReady = async (node: Node) => {
      for (const p of pods.lister.byIndex(BY_NODE, node.metadata.name!)) {
        const conds = p.status?.conditions ?? [];
        const ready = conds.find((x) => x.type === 'Ready');
        if (!ready || ready.status === 'False' || p.metadata.deletionTimestamp) continue;
        const status = { ...p.status, conditions: conds.map((x) => (x.type === 'Ready' ? { ...x, status: 'False', lastTransitionTime: now() } : x)) };
        await c.kernel.update(PODS, { ...p, status } as KObject, { subresource: 'status' }).catch((e) => {
          if (!isConflict(e) && !isNotFound(e)) throw e;
        });
      }
    };

    return async (name) => {
      const node = nodes.lister.get(undefined, name);
      if (!node) {
        health.forget(name);
        return;
      }
      const t = Date.now();
      const heard = health.observe(node, leases.lister.get(NODE_LEASE_NAMESPACE, name), t);
      let recheckMs = heard + graceMs - t + 50;
      // 1. health
      if (t - heard > graceMs && readyCondition(node)?.status !== 'Unknown') {
        const conditions = unknownConditions(node, now());
        if (conditions) {
          const updated = (await c.kernel.update(NODES, { ...node, status: { ...node.status, conditions } } as KObject, { subresource: 'status' })) as Node;
          c.recorder.record(node, { type: 'Normal', reason: 'NodeNotReady', message: `Node ${name} status is now: NodeNotReady` });
          await markPodsNotReady(updated);
          sweep();
          return; // the informer brings the Unknown node back here for its taints
        }
      }
      // 2. taints (a NoExecute one only when the zone's limiter allows)
      let waitMs = 0;
      const want = reconcileTaints(node, now(), true);
      if (want?.addedNoExecute) {
        sweep(); // zone states from what the informer holds now, this node's change included (tainting is rare)
        waitMs = zones.take(node, t);
      }
      const change = waitMs === 0 ? want : reconcileTaints(node, now(), false);
      if (change) {
        await c.kernel.update(NODES, { ...node, spec: { ...node.spec, taints: change.taints } } as KObject);
        return; // the informer brings the tainted node back
      }
      if (waitMs > 0 && waitMs !== Infinity) recheckMs = Math.min(recheckMs, waitMs);
      else if (waitMs === Infinity) recheckMs = Math.min(recheckMs, cfg.nodeMonitorPeriodSeconds * 1000);
      // 3. evictions
      const plan = planEvictions(pods.lister.byIndex(BY_NODE, name), node.spec?.taints ?? [], t);
      for (const p of plan.now) {
        try {
          await c.kernel.delete(PODS, p.metadata.namespace, p.metadata.name!, { preconditions: { uid: p.metadata.uid } });
          c.recorder.record(p, { type: 'Normal', reason: 'TaintManagerEviction', message: `Marking for deletion Pod ${p.metadata.namespace}/${p.metadata.name}` });
        } catch (e) {
          if (!isNotFound(e) && !isConflict(e)) throw e;
        }
      }
      if (plan.nextInMs !== undefined) recheckMs = Math.min(recheckMs, plan.nextInMs + 20);
      return { requeueAfterMs: Math.max(recheckMs, 50) };
    };
  },
});
