// kube's disruption controller: keeps every policy/v1 PodDisruptionBudget's status (expectedPods,
// desiredHealthy, currentHealthy, disruptionsAllowed, disruptedPods, the DisruptionAllowed condition)
// in step with its pods and their controllers' scale, for the pods/eviction subresource to read;
// and resets DisruptionTarget conditions an eviction left on pods it never deleted.
import { defineController, splitKey, type ControllerRuntime, type EventHandlers, type Reconcile, type ReconcileResult, type SharedInformer } from '@skiff/client';
import {
  DEPLOYMENTS,
  isConflict,
  isNotFound,
  PODS,
  POD_DISRUPTION_BUDGETS,
  REPLICA_SETS,
  REPLICATION_CONTROLLERS,
  selectorMatches,
  STATEFUL_SETS,
  type KObject,
  type Pod,
  type PodDisruptionBudget,
  type PodDisruptionBudgetStatus,
} from '@skiff/api';
import { now } from '@skiff/kernel';
import { calculateFailedMessage, noPodsMessage, notDeletedMessage, unmanagedPodsMessage } from './events.ts';
import { expectedPodCount, type ScaleSources } from './expected.ts';
import { POD_KEY_PREFIX, podKey, resetDisruptionTarget, staleDisruption } from './stale-disruption.ts';
import { buildDisruptedPodMap, countHealthyPods, failSafeStatus, nextStatus } from './status.ts';

export interface DisruptionControllerConfig {
  /** how long an eviction's DisruptionTarget condition may stay on a pod that was not deleted */
  stalePodDisruptionTimeoutSeconds: number;
}

/** Workload kinds whose scale is a PDB's expected pod count. */
const SCALED = [DEPLOYMENTS, REPLICA_SETS, STATEFUL_SETS, REPLICATION_CONTROLLERS];

export default defineController<DisruptionControllerConfig>({
  name: 'disruption-controller',
  version: '0.1.0',
  for: POD_DISRUPTION_BUDGETS,
  workers: 2,
  configSchema: {
    type: 'object',
    properties: {
      stalePodDisruptionTimeoutSeconds: { type: 'number', minimum: 0, default: 120 },
    },
  },
  setup(c): Reconcile {
    const pdbs = c.informer<PodDisruptionBudget>(POD_DISRUPTION_BUDGETS);
    const pods = c.informer<Pod>(PODS);
    const [deployments, replicaSets, statefulSets, replicationControllers] = SCALED.map((r) => c.informer(r));
    const sources = {
      deployments: deployments!.lister,
      replicaSets: replicaSets!.lister,
      statefulSets: statefulSets!.lister,
      replicationControllers: replicationControllers!.lister,
    } as ScaleSources;
    const staleTimeoutMs = c.config.stalePodDisruptionTimeoutSeconds * 1000;

    /** The PDBs in a namespace whose selector selects these labels (GetPodPodDisruptionBudgets). */
    const pdbKeysFor = (namespace: string | undefined, labels: Record<string, string> | undefined): string[] =>
      namespace === undefined
        ? []
        : pdbs.lister
            .list(namespace)
            .filter((p) => p.spec?.selector != null && selectorMatches(p.spec.selector, labels ?? {}))
            .map((p) => `${namespace}/${p.metadata.name}`);

    const onPod = (pod: Pod, old?: Pod) => {
      const keys = new Set(pdbKeysFor(pod.metadata.namespace, pod.metadata.labels));
      if (old && !sameLabels(old.metadata.labels, pod.metadata.labels)) for (const k of pdbKeysFor(old.metadata.namespace, old.metadata.labels)) keys.add(k);
      for (const k of keys) c.enqueue(k);
      if (staleDisruption(pod, Date.now(), staleTimeoutMs).has) c.enqueue(podKey(pod));
    };
    // a scale change moves the expected count of the PDBs selecting the workload's pods
    const onScaled = (o: KObject, old?: KObject) => {
      const spec = o.spec as { replicas?: number; template?: { metadata?: { labels?: Record<string, string> } } } | undefined;
      const oldSpec = old?.spec as typeof spec;
      if (old && oldSpec?.replicas === spec?.replicas && sameLabels(oldSpec?.template?.metadata?.labels, spec?.template?.metadata?.labels)) return;
      for (const k of pdbKeysFor(o.metadata.namespace, spec?.template?.metadata?.labels)) c.enqueue(k);
    };
    listen(c, pods as SharedInformer<KObject>, { onAdd: (p) => onPod(p as Pod), onUpdate: (o, p) => onPod(p as Pod, o as Pod), onDelete: (p) => onPod(p as Pod) });
    for (const inf of [deployments, replicaSets, statefulSets, replicationControllers]) {
      listen(c, inf!, { onAdd: (o) => onScaled(o), onUpdate: (old, o) => onScaled(o, old), onDelete: (o) => onScaled(o) });
    }
    // pods whose stale condition was seen while another process led (or before this one did)
    const sweep = setInterval(() => {
      if (!c.leading) return;
      const t = Date.now();
      for (const p of pods.lister.list()) if (staleDisruption(p, t, staleTimeoutMs).has) c.enqueue(podKey(p));
    }, 30_000);
    sweep.unref();
    c.signal.addEventListener('abort', () => clearInterval(sweep));

    const writeStatus = async (pdb: PodDisruptionBudget, status: PodDisruptionBudgetStatus) => {
      try {
        await c.kernel.update(POD_DISRUPTION_BUDGETS, { ...pdb, status } as KObject, { subresource: 'status' });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    };

    const trySync = async (pdb: PodDisruptionBudget): Promise<ReconcileResult | void> => {
      const selector = pdb.spec?.selector;
      // a PDB without a selector selects nothing (metav1.LabelSelectorAsSelector(nil))
      const selected = selector == null ? [] : pods.lister.list(pdb.metadata.namespace, selector);
      if (selected.length === 0) c.recorder.record(pdb, { type: 'Normal', reason: 'NoPods', message: noPodsMessage });
      let counts;
      try {
        counts = expectedPodCount(sources, pdb, selected);
      } catch (e) {
        c.recorder.record(pdb, { type: 'Warning', reason: 'CalculateExpectedPodCountFailed', message: calculateFailedMessage(msgOf(e)) });
        throw e;
      }
      if (counts.unmanagedPods.length > 0) c.recorder.record(pdb, { type: 'Warning', reason: 'UnmanagedPods', message: unmanagedPodsMessage(selector) });
      const t = Date.now();
      const disrupted = buildDisruptedPodMap(selected, pdb, t);
      for (const p of disrupted.notDeleted) {
        c.recorder.record(p, { type: 'Warning', reason: 'NotDeleted', message: notDeletedMessage(pdb.metadata.namespace!, pdb.metadata.name!) });
      }
      const status = nextStatus(
        pdb,
        {
          currentHealthy: countHealthyPods(selected, disrupted.disruptedPods, t),
          desiredHealthy: counts.desiredHealthy,
          expectedCount: counts.expectedCount,
          disruptedPods: disrupted.disruptedPods,
        },
        now(),
      );
      if (status) await writeStatus(pdb, status);
      // look again when the earliest disruption runs out (second-precision stamps: a little after)
      if (disrupted.recheckAt !== undefined) return { requeueAfterMs: Math.max(0, disrupted.recheckAt - t) + 100 };
    };

    const syncPdb = async (key: string): Promise<ReconcileResult | void> => {
      const { namespace, name } = splitKey(key);
      const pdb = pdbs.lister.get(namespace, name);
      if (!pdb) return;
      try {
        return await trySync(pdb);
      } catch (e) {
        // a conflict only means the informer lags: retry without failing safe
        if (isConflict(e)) throw e;
        c.logger.warn('failed to sync PDB', { podDisruptionBudget: key, error: msgOf(e) });
        await writeStatus(pdb, failSafeStatus(pdb, msgOf(e), now()));
      }
    };

    const syncStalePod = async (key: string): Promise<ReconcileResult | void> => {
      const { namespace, name } = splitKey(key.slice(POD_KEY_PREFIX.length));
      const pod = pods.lister.get(namespace, name);
      if (!pod) return;
      const { has, inMs } = staleDisruption(pod, Date.now(), staleTimeoutMs);
      if (!has) return;
      if (inMs > 0) return { requeueAfterMs: inMs };
      try {
        await c.kernel.update(PODS, resetDisruptionTarget(pod, now()) as KObject, { subresource: 'status' });
        c.logger.debug('reset stale DisruptionTarget condition to False', { pod: `${namespace}/${name}` });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    };

    return (key) => (key.startsWith(POD_KEY_PREFIX) ? syncStalePod(key) : syncPdb(key));
  },
});

/** An event handler on a shared informer for as long as the controller runs. */
function listen(c: ControllerRuntime<DisruptionControllerConfig>, inf: SharedInformer<KObject>, h: EventHandlers<KObject>): void {
  const remove = inf.addEventHandler(h);
  c.signal.addEventListener('abort', remove);
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b ?? {}).length && ka.every((k) => a![k] === b?.[k]);
}

const msgOf = (e: unknown) => (e instanceof Error ? e.message : String(e));
