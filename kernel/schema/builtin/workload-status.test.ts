// Every status field the workload controllers write is accepted; counters are checked as Kubernetes does.
import { describe, expect, test } from 'vitest';
import type { KObject } from '../../types.ts';
import type { KindDefinition } from '../kind-definition.ts';
import { daemonSetKind, deploymentKind, replicaSetKind, statefulSetKind } from './apps.ts';
import { cronJobKind, jobKind } from './batch.ts';
import { controllerRevisionKind } from './controller-revision.ts';

const f = (cs: { field?: string; reason: string }[]) => cs.map((c) => `${c.field}:${c.reason}`);
const T = '2024-05-01T10:00:00Z';
const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };
const cond = { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'ok', lastUpdateTime: T, lastTransitionTime: T };
const withStatus = (def: KindDefinition, spec: unknown, status: unknown): KObject => {
  const o = { apiVersion: `${def.group}/${def.version}`, kind: def.kind, metadata: { name: 'web', namespace: 'default', uid: 'u1' }, spec, status } as KObject;
  def.default!(o);
  return o;
};
const appsSpec = () => ({ selector: { matchLabels: { app: 'web' } }, template: structuredClone(template) });

describe('workload status', () => {
  test('Deployment', () => {
    const status = { replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 2, unavailableReplicas: 1, terminatingReplicas: 0, observedGeneration: 2, collisionCount: 1, conditions: [cond] };
    expect(deploymentKind.validate!(withStatus(deploymentKind, appsSpec(), status))).toEqual([]);
    expect(f(deploymentKind.validate!(withStatus(deploymentKind, appsSpec(), { ...status, updatedReplicas: 4 })))).toEqual(['status.updatedReplicas:FieldValueInvalid']);
    expect(f(deploymentKind.validate!(withStatus(deploymentKind, appsSpec(), { ...status, conditions: [{ ...cond, lastUpdateTime: 5 }] })))).toEqual(['status.conditions[0].lastUpdateTime:FieldValueTypeInvalid']);
  });
  test('ReplicaSet', () => {
    const status = { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 1, availableReplicas: 1, observedGeneration: 1, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'quota', lastTransitionTime: T }] };
    expect(replicaSetKind.validate!(withStatus(replicaSetKind, appsSpec(), status))).toEqual([]);
    expect(f(replicaSetKind.validate!(withStatus(replicaSetKind, appsSpec(), { ...status, replicas: -1 })))).toEqual(['status.replicas:FieldValueInvalid']);
  });
  test('StatefulSet', () => {
    const status = { replicas: 3, readyReplicas: 3, currentReplicas: 2, updatedReplicas: 1, availableReplicas: 3, currentRevision: 'web-7d9f', updateRevision: 'web-5c8b', observedGeneration: 4, collisionCount: 0 };
    expect(statefulSetKind.validate!(withStatus(statefulSetKind, { ...appsSpec(), serviceName: 'web' }, status))).toEqual([]);
    expect(f(statefulSetKind.validate!(withStatus(statefulSetKind, { ...appsSpec(), serviceName: 'web' }, { ...status, currentRevision: 3 })))).toEqual(['status.currentRevision:FieldValueTypeInvalid']);
  });
  test('DaemonSet', () => {
    const status = { currentNumberScheduled: 2, numberMisscheduled: 0, desiredNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 1, numberUnavailable: 1, observedGeneration: 1, collisionCount: 0 };
    expect(daemonSetKind.validate!(withStatus(daemonSetKind, appsSpec(), status))).toEqual([]);
    expect(f(daemonSetKind.validate!(withStatus(daemonSetKind, appsSpec(), { ...status, numberMisscheduled: -1 })))).toEqual(['status.numberMisscheduled:FieldValueInvalid']);
  });
  test('Job', () => {
    const spec = { completions: 3, completionMode: 'Indexed', template: { ...structuredClone(template), spec: { ...template.spec, restartPolicy: 'Never' } } };
    const status = {
      active: 1,
      succeeded: 1,
      failed: 1,
      ready: 1,
      terminating: 0,
      startTime: T,
      completionTime: T,
      completedIndexes: '0,2',
      failedIndexes: '1',
      uncountedTerminatedPods: { succeeded: ['uid-a'], failed: [] },
      conditions: [{ type: 'Complete', status: 'True', lastProbeTime: T, lastTransitionTime: T, reason: 'CompletionsReached', message: 'done' }],
    };
    expect(jobKind.validate!(withStatus(jobKind, spec, status))).toEqual([]);
    expect(f(jobKind.validate!(withStatus(jobKind, spec, { ...status, uncountedTerminatedPods: { succeeded: 'uid-a' } })))).toEqual(['status.uncountedTerminatedPods.succeeded:FieldValueTypeInvalid']);
    expect(f(jobKind.validate!(withStatus(jobKind, spec, { ...status, ready: -1 })))).toEqual(['status.ready:FieldValueInvalid']);
  });
  test('CronJob', () => {
    const spec = { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { ...structuredClone(template), spec: { ...template.spec, restartPolicy: 'OnFailure' } } } } };
    const status = { active: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'web-123', namespace: 'default', uid: 'u2', resourceVersion: '9' }], lastScheduleTime: T, lastSuccessfulTime: T };
    expect(cronJobKind.validate!(withStatus(cronJobKind, spec, status))).toEqual([]);
  });
});

describe('ControllerRevision', () => {
  const cr = (fields: Record<string, unknown>): KObject => ({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'web-5c8b', namespace: 'default' }, ...fields }) as KObject;
  test('data is required and immutable; revision defaults to 0 and is non-negative', () => {
    const o = cr({ data: { spec: { template: {} } } });
    controllerRevisionKind.default!(o);
    expect(o.revision).toBe(0);
    expect(controllerRevisionKind.validate!(o)).toEqual([]);
    expect(controllerRevisionKind.validate!(cr({ revision: 1 }))).toEqual([{ reason: 'FieldValueRequired', field: 'data', message: 'Required value: data is mandatory' }]);
    expect(f(controllerRevisionKind.validate!(cr({ data: {}, revision: -2 })))).toEqual(['revision:FieldValueInvalid']);
    expect(f(controllerRevisionKind.validate!(cr({ data: { a: 2 }, revision: 2 }), cr({ data: { a: 1 }, revision: 1 })))).toEqual(['data:FieldValueInvalid']);
    expect(controllerRevisionKind.validate!(cr({ data: { a: 1 }, revision: 2 }), cr({ data: { a: 1 }, revision: 1 }))).toEqual([]);
  });
});
