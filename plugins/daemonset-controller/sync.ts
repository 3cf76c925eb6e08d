// syncDaemonSet, as kube's: history first (the current revision's hash labels new pods); while
// creations or deletions are still expected only the status is refreshed; otherwise the core loop
// (manage), then the rolling update when nothing is in flight, then history cleanup, then status.
import {
  CONTROLLER_REVISIONS, DAEMON_SETS, NODES, PODS, isEmptySelector, newControllerRef, selectorMatches,
  type ControllerRevision, type DaemonSet, type Node, type Pod,
} from '@skiff/api';
import {
  CONTROLLER_INDEX, controllerIndexKey, ControllerRefManager, ORPHAN_INDEX, orphanIndexKey, recheckDeletionTimestamp, splitKey,
  type ControllerRuntime, type Reconcile,
} from '@skiff/client';
import { Backoff } from './backoff.ts';
import { watchDependents } from './handlers.ts';
import { cleanupHistory, constructHistory } from './history.ts';
import { nodesToDaemonPods, planManage } from './manage.ts';
import { planRollingUpdate } from './rolling.ts';
import { computeCounts, storeStatus } from './status.ts';
import { isRollingUpdate } from './strategy.ts';
import { syncNodes } from './sync-nodes.ts';

export interface DaemonSetControllerConfig {
  /** delete pods bound to nodes that no longer exist (kube leaves them to its pod GC) */
  deletePodsOfMissingNodes: boolean;
  /** keep deprecated.daemonset.template.generation with an admission handler (kube's API server does) */
  templateGenerationAdmission: boolean;
  /** creations and deletions per sync (kube: 250) */
  burstReplicas: number;
}

/** BackoffGCInterval */
const BACKOFF_GC_MS = 60_000;

export function daemonSetReconciler(c: ControllerRuntime<DaemonSetControllerConfig>): Reconcile {
  const daemonSets = c.informer<DaemonSet>(DAEMON_SETS);
  const pods = c.informer<Pod>(PODS);
  pods.addIndexers({ [CONTROLLER_INDEX]: controllerIndexKey, [ORPHAN_INDEX]: orphanIndexKey });
  const nodes = c.informer<Node>(NODES);
  const revisions = c.informer<ControllerRevision>(CONTROLLER_REVISIONS);
  revisions.addIndexers({ [CONTROLLER_INDEX]: controllerIndexKey });
  const unwatch = watchDependents(c, { daemonSets, pods, nodes, revisions });
  const backoff = new Backoff();
  const gc = setInterval(() => backoff.gc(), BACKOFF_GC_MS);
  gc.unref();
  c.signal.addEventListener('abort', () => {
    unwatch();
    clearInterval(gc);
  });

  /** getDaemonPods: the pods the DaemonSet controls (or may adopt), after adoption and release. */
  const daemonPods = (ds: DaemonSet) => {
    const ns = ds.metadata.namespace!;
    const candidates = [...pods.indexer.byIndex(CONTROLLER_INDEX, ds.metadata.uid!), ...pods.indexer.byIndex(ORPHAN_INDEX, ns)];
    return new ControllerRefManager<Pod>({
      kernel: c.kernel, ref: PODS, owner: ds, controllerRef: newControllerRef(ds, 'apps/v1', 'DaemonSet'),
      match: (p) => selectorMatches(ds.spec?.selector ?? {}, p.metadata.labels ?? {}),
      canAdopt: recheckDeletionTimestamp(c.kernel, DAEMON_SETS, ds),
    }).claim(candidates);
  };

  const updateStatus = async (ds: DaemonSet, nodeList: Node[], hash: string, observe: boolean) => {
    const counts = computeCounts(ds, nodeList, nodesToDaemonPods(await daemonPods(ds)), hash, Date.now());
    await storeStatus(c.kernel, ds, counts, observe);
    // a last look once pods ready now are available
    const minReady = ds.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && counts.numberReady !== counts.numberAvailable) c.enqueueAfter(ds, minReady * 1000);
  };

  return async (key) => {
    const { namespace, name } = splitKey(key);
    const ds = daemonSets.lister.get(namespace, name);
    if (!ds) {
      c.expectations.forget(key);
      return;
    }
    if (isEmptySelector(ds.spec?.selector)) {
      c.recorder.record(ds, { type: 'Warning', reason: 'SelectingAll', message: 'This daemon set is selecting all pods. A non-empty selector is required.' });
      return;
    }
    // its pods and revisions may be going: its status cannot be known
    if (ds.metadata.deletionTimestamp) return;
    const nodeList = nodes.lister.list();
    const controllerRef = newControllerRef(ds, 'apps/v1', 'DaemonSet');
    const history = await constructHistory({
      kernel: c.kernel, ds, controllerRef,
      revisions: revisions.lister.list(namespace),
      pods: () => daemonPods(ds),
    });
    const hash = history.hash;
    if (!c.expectations.satisfied(key)) {
      // creations or deletions in flight: status only, without observing the generation
      await updateStatus(ds, nodeList, hash, false);
      return;
    }
    let err: unknown;
    try {
      const sync = { kernel: c.kernel, recorder: c.recorder, expectations: c.expectations, key, ds, controllerRef, hash, burstReplicas: c.config.burstReplicas };
      const plan = planManage({
        ds, nodes: nodeList, byNode: nodesToDaemonPods(await daemonPods(ds)), hash, now: Date.now(), backoff,
        deletePodsOfMissingNodes: c.config.deletePodsOfMissingNodes,
      });
      for (const e of plan.events) c.recorder.record(ds, e);
      if (plan.requeueAfterMs !== undefined) c.enqueueAfter(key, plan.requeueAfterMs);
      await syncNodes(sync, plan.deletes, plan.nodesNeedingPods);
      if (c.expectations.satisfied(key) && isRollingUpdate(ds)) {
        const rolling = planRollingUpdate({ ds, nodes: nodeList, byNode: nodesToDaemonPods(await daemonPods(ds)), hash, now: Date.now() });
        await syncNodes(sync, rolling.deletes.map((pod) => ({ pod })), rolling.nodesToCreate);
      }
      try {
        await cleanupHistory(c.kernel, ds, history.old, await daemonPods(ds));
      } catch (e) {
        throw new Error(`failed to clean up revisions of DaemonSet: ${e instanceof Error ? e.message : String(e)}`);
      }
    } catch (e) {
      err = e;
    }
    try {
      await updateStatus(ds, nodeList, hash, true);
    } catch (e) {
      if (!err) throw e;
      c.logger.warn('failed to update status', { daemonSet: key, error: e instanceof Error ? e.message : String(e) });
    }
    if (err) throw err;
  };
}
