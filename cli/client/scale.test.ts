import { describe, expect, it } from 'vitest';
import { preconditionFailure, scaleOptions, scaleSynced } from './scale.ts';

describe('scaleOptions', () => {
  it('--replicas is required and not negative; --current-replicas is -1 or more', () => {
    expect(() => scaleOptions({})).toThrow('required flag(s) "replicas" not set');
    expect(() => scaleOptions({ replicas: '-2' })).toThrow('The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
    expect(() => scaleOptions({ replicas: '2', currentReplicas: '-3' })).toThrow('The --current-replicas must specify an integer of -1 or greater');
    expect(scaleOptions({ replicas: '0' })).toEqual({ replicas: 0, currentReplicas: -1, resourceVersion: '', timeoutMs: 0, dryRun: 'none' });
    expect(scaleOptions({ replicas: '5', currentReplicas: '3', resourceVersion: '42', timeout: '1m', dryRun: 'server' })).toEqual({
      replicas: 5,
      currentReplicas: 3,
      resourceVersion: '42',
      timeoutMs: 60_000,
      dryRun: 'server',
    });
  });
});

describe('preconditions', () => {
  const scale = { metadata: { resourceVersion: '17' }, spec: { replicas: 2 }, status: { replicas: 2 } };
  it('checks the size, then the resource version, with kubectl’s messages', () => {
    expect(preconditionFailure(scale, { size: 2, resourceVersion: '' })).toBeUndefined();
    expect(preconditionFailure(scale, { size: 3, resourceVersion: '' })).toBe('Expected replicas to be 3, was 2');
    expect(preconditionFailure(scale, { size: -1, resourceVersion: '16' })).toBe('Expected resource version to be 16, was 17');
    expect(preconditionFailure({ metadata: {}, spec: {} }, { size: 0, resourceVersion: '' })).toBeUndefined(); // spec.replicas 0 is omitted
  });
});

describe('scaleSynced', () => {
  it('done when the status reaches the size, or someone else changed the size', () => {
    expect(scaleSynced({ spec: { replicas: 3 }, status: { replicas: 1 } }, 3)).toBe(false);
    expect(scaleSynced({ spec: { replicas: 3 }, status: { replicas: 3 } }, 3)).toBe(true);
    expect(scaleSynced({ spec: { replicas: 4 }, status: { replicas: 1 } }, 3)).toBe(true);
    expect(scaleSynced({ spec: {}, status: {} }, 0)).toBe(true);
  });
});
