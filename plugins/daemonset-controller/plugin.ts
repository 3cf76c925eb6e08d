// kube's DaemonSet controller (pkg/controller/daemon): one pod per eligible node, pinned to it by a
// required node affinity for the scheduler to bind; history as ControllerRevisions; RollingUpdate
// (maxUnavailable, maxSurge) and OnDelete; status; expectations so a node never gets two pods from
// one sync racing the informer.
import { CONTROLLER_REVISIONS, DAEMON_SETS, PODS } from '@skiff/api';
import { defineController } from '@skiff/client';
import { daemonSetReconciler, type DaemonSetControllerConfig } from './sync.ts';
import { templateGenerationAdmission } from './template-generation.ts';

export type { DaemonSetControllerConfig };

export default defineController<DaemonSetControllerConfig>({
  name: 'daemonset-controller',
  version: '0.1.0',
  for: DAEMON_SETS,
  // pods and revisions it controls wake it (adoption, expectations and nodes: handlers.ts)
  owns: [{ ref: PODS }, { ref: CONTROLLER_REVISIONS }],
  // kube's --concurrent-daemonset-syncs
  workers: 2,
  configSchema: {
    type: 'object',
    properties: {
      deletePodsOfMissingNodes: { type: 'boolean', default: true },
      templateGenerationAdmission: { type: 'boolean', default: true },
      burstReplicas: { type: 'integer', minimum: 1, default: 250 },
    },
  },
  setup(c) {
    if (c.config.templateGenerationAdmission) {
      const reg = c.kernel.registerAdmission(templateGenerationAdmission);
      c.signal.addEventListener('abort', () => reg.dispose());
    }
    return daemonSetReconciler(c);
  },
});
