import { describe, expect, it } from 'vitest';
import type { ContainerStatus, Pod, PodFailurePolicy } from '@skiff/api';
import { failJobMessage, matchPodFailurePolicy } from './pod-failure-policy.ts';
import { compareActivePods, pastBackoffLimitOnFailure } from './pods.ts';
import { newJob } from './testing.ts';

const exited = (name: string, exitCode: number): ContainerStatus => ({ name, ready: false, restartCount: 0, image: '', imageID: '', state: { terminated: { exitCode } } });
const failedPod = (statuses: ContainerStatus[], extra: Partial<NonNullable<Pod['status']>> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'ns' },
  status: { phase: 'Failed', containerStatuses: statuses, ...extra },
});

describe('podFailurePolicy', () => {
  const policy: PodFailurePolicy = {
    rules: [
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42, 43] } },
      { action: 'Count', onExitCodes: { operator: 'NotIn', values: [1] } },
      { action: 'FailJob', onPodConditions: [{ type: 'ConfigIssue' }] },
    ],
  };

  it('takes the first rule that matches', () => {
    expect(matchPodFailurePolicy(policy, failedPod([exited('main', 42)]))).toEqual({
      message: 'Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 1',
      countFailed: true,
      action: 'FailJob',
    });
    // the DisruptionTarget rule comes first
    expect(matchPodFailurePolicy(policy, failedPod([exited('main', 42)], { conditions: [{ type: 'DisruptionTarget', status: 'True' }] }))).toEqual({ countFailed: false, action: 'Ignore' });
    // another container's 42 is no match for a rule about "main"; NotIn [1] matches it
    expect(matchPodFailurePolicy(policy, failedPod([exited('side', 42), exited('main', 0)]))).toEqual({ countFailed: true, action: 'Count' });
    // exit code 1 matches no exit-code rule; a condition of status True matches a pattern without status
    expect(matchPodFailurePolicy(policy, failedPod([exited('main', 1)], { conditions: [{ type: 'ConfigIssue', status: 'True' }] }))).toEqual({
      message: 'Pod ns/p has condition ConfigIssue matching FailJob rule at index 3',
      countFailed: true,
      action: 'FailJob',
    });
    // init containers count too; exit code 0 never matches
    expect(matchPodFailurePolicy(policy, failedPod([exited('main', 0)], { initContainerStatuses: [exited('main', 43)] })).action).toBe('FailJob');
    expect(matchPodFailurePolicy(policy, failedPod([exited('main', 1)]))).toEqual({ countFailed: true });
    expect(matchPodFailurePolicy(undefined, failedPod([exited('main', 42)]))).toEqual({ countFailed: true });
  });

  it('fails the Job only for a failed pod', () => {
    const job = newJob('j', { podFailurePolicy: policy });
    const running: Pod = { ...failedPod([exited('main', 42)]), status: { phase: 'Running', containerStatuses: [exited('main', 42)] } };
    expect(failJobMessage(job, [running])).toBeUndefined();
    expect(failJobMessage(job, [running, failedPod([exited('main', 43)])])).toBe('Container main for pod ns/p failed with exit code 43 matching FailJob rule at index 1');
  });
});

describe('pods', () => {
  const pod = (name: string, o: { node?: string; phase?: string; ready?: boolean; restarts?: number; created?: string }): Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, creationTimestamp: o.created ?? '2024-01-01T00:00:00Z' },
    spec: { nodeName: o.node, containers: [] },
    status: {
      phase: (o.phase ?? 'Running') as 'Running',
      conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False' }],
      containerStatuses: [{ name: 'c', ready: !!o.ready, restartCount: o.restarts ?? 0, image: '', imageID: '' }],
    },
  });

  it('order active pods for deletion as kube does', () => {
    const pods = [
      pod('ready-old', { node: 'n', ready: true }),
      pod('running', { node: 'n' }),
      pod('unscheduled', { phase: 'Pending' }),
      pod('pending', { node: 'n', phase: 'Pending' }),
      pod('crashy', { node: 'n', restarts: 5 }),
      pod('running-new', { node: 'n', created: '2024-01-02T00:00:00Z' }),
    ];
    expect(pods.sort(compareActivePods).map((p) => p.metadata.name)).toEqual(['unscheduled', 'pending', 'crashy', 'running-new', 'running', 'ready-old']);
  });

  it('sum container restarts against backoffLimit for restartPolicy OnFailure', () => {
    const job = newJob('j', { backoffLimit: 3, template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'x' }] } } });
    expect(pastBackoffLimitOnFailure(job, [pod('a', { restarts: 1 }), pod('b', { restarts: 1 })])).toBe(false);
    expect(pastBackoffLimitOnFailure(job, [pod('a', { restarts: 2 }), pod('b', { restarts: 1 })])).toBe(true);
    expect(pastBackoffLimitOnFailure({ ...job, spec: { ...job.spec!, backoffLimit: 0 } }, [pod('a', { restarts: 1 })])).toBe(true);
    expect(pastBackoffLimitOnFailure(newJob('n', { backoffLimit: 0 }), [pod('a', { restarts: 9 })])).toBe(false); // Never: pods fail instead
  });
});
