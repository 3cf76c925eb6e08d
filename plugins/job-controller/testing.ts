// Test helpers for Job controllers: no kubelet runs in unit tests, so these play its part — make a
// pod Running / Ready, or end it Succeeded / Failed with container exit codes, by writing its status.
import { JOBS, PODS, rfc3339, type Job, type JobSpec, type Pod } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';

export const NS = 'default';

/** A Job with one container `main` (restartPolicy Never unless the spec says otherwise). */
export function newJob(name: string, spec: Partial<JobSpec> = {}, meta: Partial<Job['metadata']> = {}): Job {
  const { template, ...rest } = spec;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: NS, ...meta },
    spec: {
      ...rest,
      template: template ?? { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } },
    },
  };
}

export async function getJob(kernel: Kernel, name: string): Promise<Job> {
  return (await kernel.get(JOBS, NS, name)) as Job;
}

/** The Job's pods (controller reference to it), oldest first. */
export async function jobPods(kernel: Kernel, job: Job | string): Promise<Pod[]> {
  const uid = typeof job === 'string' ? (await getJob(kernel, job)).metadata.uid : job.metadata.uid;
  const pods = (await kernel.list(PODS, { namespace: NS })).items as Pod[];
  return pods
    .filter((p) => p.metadata.ownerReferences?.some((r) => r.controller && r.uid === uid))
    .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
}

const active = (p: Pod) => !p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';
export const activePods = async (kernel: Kernel, job: Job | string) => (await jobPods(kernel, job)).filter(active);

async function writeStatus(kernel: Kernel, pod: Pod, status: Pod['status']): Promise<Pod> {
  for (let attempt = 0; ; attempt++) {
    const cur = (await kernel.get(PODS, pod.metadata.namespace, pod.metadata.name!)) as Pod;
    try {
      return (await kernel.update(PODS, { ...cur, status: { ...cur.status, ...status } }, { subresource: 'status' })) as Pod;
    } catch (e) {
      if ((e as { code?: number }).code !== 409 || attempt > 5) throw e;
    }
  }
}

/** Running, Ready when `ready`. */
export async function runPod(kernel: Kernel, pod: Pod, ready = true): Promise<Pod> {
  const t = rfc3339(Date.now());
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  return writeStatus(kernel, pod, {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: t }],
    containerStatuses: names.map((name) => ({ name, ready, restartCount: 0, image: 'busybox', imageID: '', state: { running: { startedAt: t } } })),
  });
}

/**
 * End the pod as the kubelet would: every container terminated (exit code 0, or `exitCode` for
 * `container`, default the first), phase Succeeded when all exited 0 else Failed, Ready False.
 */
export async function finishPod(kernel: Kernel, pod: Pod, opts: { exitCode?: number; container?: string; conditions?: { type: string; status: 'True' | 'False' }[] } = {}): Promise<Pod> {
  const t = rfc3339(Date.now());
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  const failing = opts.container ?? names[0];
  const code = (name: string) => (name === failing ? (opts.exitCode ?? 0) : 0);
  const failed = names.some((n) => code(n) !== 0);
  return writeStatus(kernel, pod, {
    phase: failed ? 'Failed' : 'Succeeded',
    conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: t, reason: 'PodCompleted' }, ...(opts.conditions ?? []).map((c) => ({ ...c, lastTransitionTime: t }))],
    containerStatuses: names.map((name) => ({
      name,
      ready: false,
      restartCount: 0,
      image: 'busybox',
      imageID: '',
      state: { terminated: { exitCode: code(name), reason: code(name) === 0 ? 'Completed' : 'Error', startedAt: t, finishedAt: t } },
    })),
  });
}

/** Events about an object, by reason. */
export async function eventsFor(kernel: Kernel, name: string): Promise<{ reason: string; message: string; type: string; count: number }[]> {
  const evs = (await kernel.list({ group: '', version: 'v1', resource: 'events' }, { namespace: NS })).items as unknown as {
    involvedObject: { name: string };
    reason: string;
    message: string;
    type: string;
    count: number;
  }[];
  return evs.filter((e) => e.involvedObject.name === name).map(({ reason, message, type, count }) => ({ reason, message, type, count }));
}

export const conditionOf = (job: Job, type: string) => job.status?.conditions?.find((c) => c.type === type);
