// Protobuf bodies of kubectl 1.32's `autoscale` (autoscaling/v1 HorizontalPodAutoscaler) and
// `drain` (policy/v1 Eviction with DeleteOptions), encoded as client-go would.
import { describe, expect, it } from 'vitest';
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf } from './mod.ts';

describe('autoscaling/v1 HorizontalPodAutoscaler', () => {
  it('decodes what kubectl autoscale sends (zero status counters written, as gogo does)', () => {
    const body = encodeKubernetesProtobuf('autoscaling/v1', 'HorizontalPodAutoscaler', {
      metadata: { name: 'web' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' }, maxReplicas: 5, targetCPUUtilizationPercentage: 60 },
      status: { currentReplicas: 0, desiredReplicas: 0 },
    });
    expect(decodeKubernetesProtobuf(body)).toEqual({
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' }, maxReplicas: 5, targetCPUUtilizationPercentage: 60 },
      status: { currentReplicas: 0, desiredReplicas: 0 },
    });
  });
});

describe('policy/v1 Eviction', () => {
  it('decodes the eviction kubectl drain posts, with its delete options', () => {
    const body = encodeKubernetesProtobuf('policy/v1', 'Eviction', {
      metadata: { name: 'db-0', namespace: 'x' },
      deleteOptions: { gracePeriodSeconds: 0, preconditions: { uid: 'u-1' }, dryRun: ['All'] },
    });
    expect(decodeKubernetesProtobuf(body)).toEqual({
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'db-0', namespace: 'x' },
      deleteOptions: { gracePeriodSeconds: 0, preconditions: { uid: 'u-1' }, dryRun: ['All'] },
    });
    const bare = encodeKubernetesProtobuf('policy/v1', 'Eviction', { metadata: { name: 'db-0' } });
    expect(decodeKubernetesProtobuf(bare)).toEqual({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'db-0' } });
  });
});

describe('v1 DeleteOptions', () => {
  it('decodes the body of a DELETE as client-go sends it (kubectl drain --disable-eviction)', () => {
    const body = encodeKubernetesProtobuf('v1', 'DeleteOptions', { gracePeriodSeconds: 5, propagationPolicy: 'Background' });
    expect(decodeKubernetesProtobuf(body)).toEqual({ apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 5, propagationPolicy: 'Background' });
  });
});
