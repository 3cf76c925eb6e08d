import { describe, expect, it } from 'vitest';
import { computePodQOS, effectiveRequests, getPodQOS } from './qos.ts';
import { mkPod } from './testing.ts';
import type { Container, ResourceList } from './types.ts';

const c = (name: string, requests?: ResourceList, limits?: ResourceList, extra: Partial<Container> = {}): Container => ({
  name,
  resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) },
  ...extra,
});
const qos = (containers: Container[], initContainers?: Container[]) => computePodQOS(mkPod({ containers, initContainers }));

describe('QoS class (kube ComputePodQOS)', () => {
  it('BestEffort without any cpu/memory request or limit', () => {
    expect(qos([c('a')])).toBe('BestEffort');
    expect(qos([c('a'), c('b', {}, {})])).toBe('BestEffort');
    // other resources and zero quantities do not count
    expect(qos([c('a', { 'ephemeral-storage': '1Gi' }, { 'nvidia.com/gpu': '1' })])).toBe('BestEffort');
    expect(qos([c('a', { cpu: '0', memory: '0' })])).toBe('BestEffort');
  });

  it('Guaranteed when every container has cpu and memory limits equal to its requests', () => {
    expect(qos([c('a', { cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })])).toBe('Guaranteed');
    // requests default to limits when only limits are given
    expect(qos([c('a', undefined, { cpu: '500m', memory: '128Mi' })])).toBe('Guaranteed');
    expect(qos([c('a', { cpu: '500m' }, { cpu: '500m', memory: '128Mi' })])).toBe('Guaranteed');
    // same quantity, different spelling
    expect(qos([c('a', { cpu: '0.5', memory: '134217728' }, { cpu: '500m', memory: '128Mi' })])).toBe('Guaranteed');
    expect(qos([c('a', undefined, { cpu: '1', memory: '1Gi' }), c('b', undefined, { cpu: '2', memory: '2Gi' })])).toBe('Guaranteed');
  });

  it('Burstable otherwise', () => {
    expect(qos([c('a', { cpu: '100m' })])).toBe('Burstable');
    expect(qos([c('a', { cpu: '500m', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })])).toBe('Burstable');
    expect(qos([c('a', undefined, { cpu: '1' })])).toBe('Burstable'); // no memory limit
    expect(qos([c('a', undefined, { cpu: '1', memory: '1Gi' }), c('b')])).toBe('Burstable'); // one container without limits
    expect(qos([c('a', { memory: '1Gi' }, { memory: '1Gi' })])).toBe('Burstable');
  });

  it('counts init containers', () => {
    const g = c('a', undefined, { cpu: '1', memory: '1Gi' });
    expect(qos([g], [c('init')])).toBe('Burstable'); // the init container has no limits
    expect(qos([g], [c('init', undefined, { cpu: '200m', memory: '10Mi' })])).toBe('Guaranteed');
    expect(qos([c('a')], [c('init', { cpu: '100m' })])).toBe('Burstable'); // only the init container asks
    expect(qos([g], [c('init', { cpu: '100m', memory: '10Mi' }, { cpu: '200m', memory: '10Mi' })])).toBe('Burstable');
  });

  it('compares the pod totals, not each container (as kube does)', () => {
    // requests 300m + 700m = limits 500m + 500m: Guaranteed although no container has request == limit
    expect(qos([c('a', { cpu: '300m', memory: '1Gi' }, { cpu: '500m', memory: '1Gi' }), c('b', { cpu: '700m', memory: '1Gi' }, { cpu: '500m', memory: '1Gi' })])).toBe('Guaranteed');
  });

  it('prefers status.qosClass', () => {
    const pod = mkPod({ containers: [c('a')] }, {}, { qosClass: 'Burstable' });
    expect(getPodQOS(pod)).toBe('Burstable');
    expect(getPodQOS(mkPod({ containers: [c('a')] }))).toBe('BestEffort');
  });

  it('effectiveRequests fills requests from limits', () => {
    expect(effectiveRequests(c('a', { cpu: '1' }, { cpu: '2', memory: '1Gi' }))).toEqual({ cpu: '1', memory: '1Gi' });
  });
});
