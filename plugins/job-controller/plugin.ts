// job-controller: kube's Job controller (pkg/controller/job) with the ttl-after-finished controller.
// Runs a Job's pods to completion — completions and parallelism, Indexed completion mode, the pod
// failure back-off and backoffLimit / backoffLimitPerIndex, podFailurePolicy, activeDeadlineSeconds,
// suspend — tracks finished pods with the batch.kubernetes.io/job-tracking finalizer, writes the
// status and conditions kube writes, and deletes finished Jobs after ttlSecondsAfterFinished.
import { JOBS, PODS } from '@skiff/api';
import { defineController } from '@skiff/client';
import type { JobControllerConfig } from './context.ts';
import { orphanJobKeys, setupJobController, type JobControllerOptions } from './controller.ts';

export type { JobControllerConfig };

export function jobController(opts: JobControllerOptions = {}) {
  return defineController<JobControllerConfig>({
    name: 'job-controller',
    version: '0.1.0',
    for: JOBS,
    owns: [{ ref: PODS, orphanKeys: orphanJobKeys }],
    workers: 5, // kube's --concurrent-job-syncs
    configSchema: {
      type: 'object',
      properties: {
        podFailureBackoffMs: { type: 'integer', minimum: 1, default: 10_000 },
        maxPodFailureBackoffMs: { type: 'integer', minimum: 1, default: 600_000 },
      },
    },
    setup: (c) => setupJobController(c, opts),
  });
}

export default jobController();
