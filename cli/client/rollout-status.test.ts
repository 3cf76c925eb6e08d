import { describe, expect, it } from 'vitest';
import { daemonSetStatus, deploymentStatus, statefulSetStatus, statusViewerFor } from './rollout-status.ts';

const deploy = (spec: object, status: object, meta: object = {}) => ({ metadata: { name: 'web', generation: 2, ...meta }, spec: { replicas: 3, ...spec }, status: { observedGeneration: 2, ...status } });

describe('deployment rollout status', () => {
  it('waits for the controller to observe the spec first', () => {
    expect(deploymentStatus(deploy({}, { observedGeneration: 1, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }), 0)).toEqual({
      message: 'Waiting for deployment spec update to be observed...\n',
      done: false,
    });
  });

  it('then for updated replicas, old replicas to go, and updated ones to be available, in that order', () => {
    expect(deploymentStatus(deploy({}, { updatedReplicas: 1, replicas: 4, availableReplicas: 3 }), 0).message).toBe(
      'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...\n',
    );
    expect(deploymentStatus(deploy({}, { updatedReplicas: 3, replicas: 5, availableReplicas: 3 }), 0).message).toBe(
      'Waiting for deployment "web" rollout to finish: 2 old replicas are pending termination...\n',
    );
    expect(deploymentStatus(deploy({}, { updatedReplicas: 3, replicas: 3, availableReplicas: 1 }), 0)).toEqual({
      message: 'Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...\n',
      done: false,
    });
    expect(deploymentStatus(deploy({}, { updatedReplicas: 3, replicas: 3, availableReplicas: 3 }), 0)).toEqual({ message: 'deployment "web" successfully rolled out\n', done: true });
  });

  it('a Deployment scaled to zero with nothing left is rolled out (absent counters are 0)', () => {
    expect(deploymentStatus(deploy({ replicas: 0 }, {}), 0).done).toBe(true);
  });

  it('fails on ProgressDeadlineExceeded, but only once the generation is observed', () => {
    const cond = { conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] };
    expect(() => deploymentStatus(deploy({}, { ...cond, updatedReplicas: 1 }), 0)).toThrow('deployment "web" exceeded its progress deadline');
    expect(deploymentStatus(deploy({}, { ...cond, observedGeneration: 1 }), 0).done).toBe(false);
    const progressing = { conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }], updatedReplicas: 3, replicas: 3, availableReplicas: 3 };
    expect(deploymentStatus(deploy({}, progressing), 0).done).toBe(true);
  });

  it('--revision pins the rollout: another revision is an error', () => {
    const d = deploy({}, { updatedReplicas: 3, replicas: 3, availableReplicas: 3 }, { annotations: { 'deployment.kubernetes.io/revision': '3' } });
    expect(deploymentStatus(d, 3).done).toBe(true);
    expect(() => deploymentStatus(d, 2)).toThrow('desired revision (2) is different from the running revision (3)');
    expect(() => deploymentStatus(deploy({}, {}, { annotations: { 'deployment.kubernetes.io/revision': 'x' } }), 1)).toThrow(/^cannot get the revision of deployment "web": /);
    expect(() => deploymentStatus(deploy({}, {}), 1)).toThrow('desired revision (1) is different from the running revision (0)');
  });
});

describe('daemon set rollout status', () => {
  const ds = (status: object, type = 'RollingUpdate') => ({ metadata: { name: 'agent', generation: 1 }, spec: { updateStrategy: { type } }, status: { observedGeneration: 1, ...status } });
  it('needs RollingUpdate', () => {
    expect(() => daemonSetStatus(ds({}, 'OnDelete'))).toThrow('rollout status is only available for RollingUpdate strategy type');
  });
  it('waits for updated, then available pods', () => {
    expect(daemonSetStatus(ds({ observedGeneration: 0 })).message).toBe('Waiting for daemon set spec update to be observed...\n');
    expect(daemonSetStatus(ds({ desiredNumberScheduled: 3, updatedNumberScheduled: 1 })).message).toBe('Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...\n');
    expect(daemonSetStatus(ds({ desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2 })).message).toBe('Waiting for daemon set "agent" rollout to finish: 2 of 3 updated pods are available...\n');
    expect(daemonSetStatus(ds({ desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 }))).toEqual({ message: 'daemon set "agent" successfully rolled out\n', done: true });
  });
});

describe('stateful set rollout status', () => {
  const sts = (spec: object, status: object) => ({ metadata: { name: 'db', generation: 1 }, spec: { replicas: 3, updateStrategy: { type: 'RollingUpdate' }, ...spec }, status: { observedGeneration: 1, ...status } });
  it('an unobserved set (observedGeneration 0 too) waits', () => {
    expect(statefulSetStatus(sts({}, { observedGeneration: 0, readyReplicas: 3 })).message).toBe('Waiting for statefulset spec update to be observed...\n');
  });
  it('waits for ready pods, then for the partition', () => {
    const partitioned = { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } };
    expect(statefulSetStatus(sts(partitioned, { readyReplicas: 1 })).message).toBe('Waiting for 2 pods to be ready...\n');
    expect(statefulSetStatus(sts(partitioned, { readyReplicas: 3, updatedReplicas: 1 })).message).toBe('Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...\n');
    expect(statefulSetStatus(sts(partitioned, { readyReplicas: 3, updatedReplicas: 2 }))).toEqual({ message: 'partitioned roll out complete: 2 new pods have been updated...\n', done: true });
  });
  it('without rollingUpdate, compares the update and current revisions', () => {
    expect(statefulSetStatus(sts({}, { readyReplicas: 3, updatedReplicas: 1, updateRevision: 'db-2', currentRevision: 'db-1' })).message).toBe(
      'waiting for statefulset rolling update to complete 1 pods at revision db-2...\n',
    );
    expect(statefulSetStatus(sts({}, { readyReplicas: 3, currentReplicas: 3, updateRevision: 'db-2', currentRevision: 'db-2' }))).toEqual({
      message: 'statefulset rolling update complete 3 pods at revision db-2...\n',
      done: true,
    });
  });
  it('needs RollingUpdate', () => {
    expect(() => statefulSetStatus(sts({ updateStrategy: { type: 'OnDelete' } }, {}))).toThrow('rollout status is only available for RollingUpdate strategy type');
  });
});

describe('statusViewerFor', () => {
  it('knows the three workload kinds; others fail as kubectl', () => {
    expect(statusViewerFor({ group: 'apps', kind: 'Deployment' })).toBe(deploymentStatus);
    expect(() => statusViewerFor({ group: 'apps', kind: 'ReplicaSet' })).toThrow('no status viewer has been implemented for ReplicaSet.apps');
    expect(() => statusViewerFor({ group: '', kind: 'Pod' })).toThrow('no status viewer has been implemented for Pod');
  });
});
