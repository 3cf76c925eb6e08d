// spec.podFailurePolicy: the first rule that matches a failed pod decides what its failure means —
// FailJob (the Job fails at once), FailIndex (its index fails), Ignore (not counted against the
// backoff limits), Count (counted, the default).
import type { ContainerStatus, Job, Pod, PodFailurePolicy, PodFailurePolicyOnExitCodesRequirement, PodFailurePolicyRule } from '@skiff/api';
import { isPodFailed } from './pods.ts';

export type PolicyAction = PodFailurePolicyRule['action'];

export interface PolicyMatch {
  /** the Job's failure message when a FailJob rule matched */
  message?: string;
  /** whether the failure counts toward backoffLimit (and backoffLimitPerIndex) */
  countFailed: boolean;
  action?: PolicyAction;
}

function matchingContainer(statuses: ContainerStatus[] | undefined, req: PodFailurePolicyOnExitCodesRequirement): ContainerStatus | undefined {
  for (const cs of statuses ?? []) {
    const term = cs.state?.terminated;
    if (!term) continue; // still running or terminating: no exit code to match
    if (req.containerName !== undefined && req.containerName !== cs.name) continue;
    if (term.exitCode === 0) continue;
    const listed = req.values.includes(term.exitCode);
    if (req.operator === 'In' ? listed : req.operator === 'NotIn' ? !listed : false) return cs;
  }
  return undefined;
}

/** Match a failed pod against the rules (kube's matchPodFailurePolicy). */
export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: Pod): PolicyMatch {
  if (!policy) return { countFailed: true };
  const ns = pod.metadata.namespace;
  const name = pod.metadata.name;
  for (const [index, rule] of (policy.rules ?? []).entries()) {
    let message: string | undefined;
    if (rule.onExitCodes) {
      const cs = matchingContainer(pod.status?.containerStatuses, rule.onExitCodes) ?? matchingContainer(pod.status?.initContainerStatuses, rule.onExitCodes);
      if (!cs) continue;
      message = `Container ${cs.name} for pod ${ns}/${name} failed with exit code ${cs.state!.terminated!.exitCode} matching ${rule.action} rule at index ${index}`;
    } else if (rule.onPodConditions) {
      const cond = (pod.status?.conditions ?? []).find((c) => rule.onPodConditions!.some((p) => p.type === c.type && (p.status ?? 'True') === c.status));
      if (!cond) continue;
      message = `Pod ${ns}/${name} has condition ${cond.type} matching ${rule.action} rule at index ${index}`;
    } else continue;
    switch (rule.action) {
      case 'Ignore':
        return { countFailed: false, action: 'Ignore' };
      case 'FailIndex':
        return { countFailed: true, action: 'FailIndex' };
      case 'Count':
        return { countFailed: true, action: 'Count' };
      case 'FailJob':
        return { message, countFailed: true, action: 'FailJob' };
    }
  }
  return { countFailed: true };
}

/** The failure message of the first failed pod that matches a FailJob rule (kube's getFailJobMessage). */
export function failJobMessage(job: Job, pods: Pod[]): string | undefined {
  const policy = job.spec?.podFailurePolicy;
  if (!policy) return undefined;
  for (const p of pods) {
    if (!isPodFailed(p, job)) continue;
    const m = matchPodFailurePolicy(policy, p).message;
    if (m) return m;
  }
  return undefined;
}

/** How many of the newly failed pods count (those not matched by an Ignore rule). */
export function countedFailures(job: Job, failed: Pod[]): number {
  const policy = job.spec?.podFailurePolicy;
  if (!policy) return failed.length;
  return failed.filter((p) => matchPodFailurePolicy(policy, p).countFailed).length;
}
