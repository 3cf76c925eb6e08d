import { describe, expect, test } from 'vitest';
import { getPodQOS, podQOSClass } from './qos.ts';
import type { Container, PodSpec } from './types/core-pod.ts';

const spec = (...resources: Container['resources'][]): PodSpec => ({ containers: resources.map((r, i) => ({ name: `c${i}`, resources: r })) });

describe('podQOSClass', () => {
  test('BestEffort: nothing requested or limited (zero quantities do not count)', () => {
    expect(podQOSClass(spec({}))).toBe('BestEffort');
    expect(podQOSClass(spec({ requests: { cpu: '0' } }))).toBe('BestEffort');
    expect(podQOSClass(spec({ requests: { 'nvidia.com/gpu': '1' } }))).toBe('BestEffort');
    expect(podQOSClass(undefined)).toBe('BestEffort');
  });
  test('Guaranteed: cpu and memory limited everywhere, requests equal to limits (missing requests default to limits)', () => {
    expect(podQOSClass(spec({ limits: { cpu: '1', memory: '1Gi' } }))).toBe('Guaranteed');
    expect(podQOSClass(spec({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1000m', memory: '1Gi' } }))).toBe('Guaranteed');
    expect(podQOSClass(spec({ limits: { cpu: '1', memory: '1Gi' } }, { limits: { cpu: '500m', memory: '1G' } }))).toBe('Guaranteed');
  });
  test('Burstable otherwise', () => {
    expect(podQOSClass(spec({ requests: { cpu: '100m' } }))).toBe('Burstable');
    expect(podQOSClass(spec({ requests: { cpu: '100m' }, limits: { cpu: '1', memory: '1G' } }))).toBe('Burstable');
    expect(podQOSClass(spec({ limits: { cpu: '1' } }))).toBe('Burstable');
    expect(podQOSClass(spec({ limits: { cpu: '1', memory: '1Gi' } }, {}))).toBe('Burstable');
    const init: PodSpec = { ...spec({ limits: { cpu: '1', memory: '1Gi' } }), initContainers: [{ name: 'i', resources: { requests: { memory: '1Mi' } } }] };
    expect(podQOSClass(init)).toBe('Burstable');
  });
  test('malformed specs do not throw', () => {
    expect(podQOSClass({ containers: 'x' } as unknown as PodSpec)).toBe('BestEffort');
    expect(podQOSClass(spec({ limits: { cpu: 'lots', memory: '1Gi' } }))).toBe('Burstable');
  });
  test('getPodQOS prefers status.qosClass', () => {
    expect(getPodQOS({ spec: spec({}), status: { qosClass: 'Guaranteed' } })).toBe('Guaranteed');
    expect(getPodQOS({ spec: spec({}) })).toBe('BestEffort');
  });
});
