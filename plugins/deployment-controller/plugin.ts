// The Deployment controller (kube's pkg/controller/deployment): rolls a Deployment's pod template
// out through ReplicaSets named <deployment>-<pod-template-hash> — RollingUpdate within maxSurge /
// maxUnavailable, or Recreate — keeping revisions, history, conditions and status as kube does.
// Pods are the ReplicaSet controller's; this one only creates, scales, annotates and deletes RSs.
import {
  DEPLOYMENTS, PODS, REPLICA_SETS, getControllerOf, isEmptySelector, selectorMatches,
  type Deployment, type KObject, type Pod, type ReplicaSet,
} from '@skiff/api';
import { CONTROLLER_INDEX, controllerIndexKey, defineController, objectKey, ORPHAN_INDEX, orphanIndexKey, WriteTracker } from '@skiff/client';
import { syncDeployment, type ControllerEnv } from './controller.ts';

const terminal = (p: Pod) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export default defineController({
  name: 'deployment-controller',
  version: '0.1.0',
  for: DEPLOYMENTS,
  owns: [{ ref: REPLICA_SETS }],
  workers: 5, // kube's --concurrent-deployment-syncs
  setup(c) {
    const deployments = c.informer<Deployment>(DEPLOYMENTS);
    const replicaSets = c.informer<ReplicaSet>(REPLICA_SETS);
    const pods = c.informer<Pod>(PODS);
    replicaSets.addIndexers({
      [CONTROLLER_INDEX]: controllerIndexKey,
      [ORPHAN_INDEX]: orphanIndexKey,
    });
    pods.addIndexers({ [CONTROLLER_INDEX]: controllerIndexKey });
    const tracker = new WriteTracker();

    /** Deployments that select an orphan RS (they may adopt it). */
    const selecting = (rs: ReplicaSet) =>
      deployments.lister.list(rs.metadata.namespace).filter((d) => !isEmptySelector(d.spec?.selector) && selectorMatches(d.spec?.selector, rs.metadata.labels ?? {}));

    const podsOf = (rs: ReplicaSet) => pods.indexer.byIndex(CONTROLLER_INDEX, rs.metadata.uid!);

    const removers = [
      deployments.addEventHandler({
        onAdd: (d) => tracker.observe(d),
        onUpdate: (_, d) => tracker.observe(d),
        onDelete: (d) => tracker.observe(d, true),
      }),
      replicaSets.addEventHandler({
        onAdd: (rs) => {
          tracker.observe(rs);
          if (!getControllerOf(rs) && !rs.metadata.deletionTimestamp) selecting(rs).forEach((d) => c.enqueue(d));
        },
        onUpdate: (old, rs) => {
          tracker.observe(rs);
          if (getControllerOf(rs) || rs.metadata.deletionTimestamp) return; // the kit routes owned ones
          const labelsChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(rs.metadata.labels ?? {});
          if (labelsChanged || getControllerOf(old)) selecting(rs).forEach((d) => c.enqueue(d));
        },
        onDelete: (rs) => tracker.observe(rs, true),
      }),
      // Recreate waits for the old pods to be gone: look again when the last one goes (or ends)
      pods.addEventHandler({
        onUpdate: (old, pod) => !terminal(old) && terminal(pod) && recreateWake(pod),
        onDelete: (pod) => recreateWake(pod),
      }),
    ];
    c.signal.addEventListener('abort', () => removers.forEach((r) => r()), { once: true });

    function recreateWake(pod: KObject): void {
      const ns = pod.metadata.namespace ?? '';
      const ref = getControllerOf(pod);
      if (ref?.kind !== 'ReplicaSet') return;
      const rs = replicaSets.lister.get(ns, ref.name);
      if (!rs || rs.metadata.uid !== ref.uid) return;
      const dref = getControllerOf(rs);
      if (dref?.kind !== 'Deployment') return;
      const d = deployments.lister.get(ns, dref.name);
      if (!d || d.metadata.uid !== dref.uid || d.spec?.strategy?.type !== 'Recreate') return;
      // kube waits for no pod at all; a finished pod does not block the rollout (oldPodsRunning)
      // and must not block the wake-up either
      const running = (p: Pod) => !terminal(p) && selectorMatches(d.spec?.selector, p.metadata.labels ?? {});
      for (const owned of replicaSets.indexer.byIndex(CONTROLLER_INDEX, d.metadata.uid!)) {
        if (podsOf(owned).some(running)) return;
      }
      c.enqueue(objectKey(d));
    }

    const env: ControllerEnv = {
      kernel: c.kernel,
      recorder: c.recorder,
      logger: c.logger,
      tracker,
      cachedReplicaSet: (ns, name) => replicaSets.lister.get(ns, name),
      cachedDeployment: (ns, name) => deployments.lister.get(ns, name),
      podsOf,
      now: () => Date.now(),
      controlledBy: (uid) => replicaSets.indexer.byIndex(CONTROLLER_INDEX, uid),
      orphansIn: (ns) => replicaSets.indexer.byIndex(ORPHAN_INDEX, ns),
    };
    return (key) => syncDeployment(env, key);
  },
});
