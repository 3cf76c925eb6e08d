// The ReplicaSet controller (kube's pkg/controller/replicaset), and the ReplicationController one
// on the same core, as kube-controller-manager runs both: keeps spec.replicas pods matching the
// selector, adopting orphans and releasing pods it no longer selects; ranks pods for deletion on
// a scale-down; tracks creates and deletes in flight with expectations; writes the status
// (replicas, fullyLabeled, ready, available, the ReplicaFailure condition).
import { PODS } from '@skiff/api';
import { defineController } from '@skiff/client';
import { REPLICA_SET_KIND, REPLICATION_CONTROLLER_KIND, type ReplicaKind } from './kinds.ts';
import { setupReplicaSync, type ReplicaControllerConfig } from './sync.ts';

export function replicaController(kind: ReplicaKind) {
  return defineController<ReplicaControllerConfig>({
    name: kind.name,
    version: '0.1.0',
    for: kind.ref,
    owns: [{ ref: PODS }],
    workers: 5, // kube's --concurrent-replicaset-syncs
    component: kind.component,
    configSchema: {
      type: 'object',
      properties: {
        burstReplicas: { type: 'integer', minimum: 1, default: 500 },
      },
    },
    setup: (c) => setupReplicaSync(kind, c),
  });
}

/** replicaset-controller: apps/v1 ReplicaSets. */
export default replicaController(REPLICA_SET_KIND);

/** replicationcontroller-controller: core/v1 ReplicationControllers (plain-map selectors). */
export const replicationControllerController = replicaController(REPLICATION_CONTROLLER_KIND);
