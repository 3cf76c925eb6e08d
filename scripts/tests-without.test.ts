import { describe, expect, it } from 'vitest';
import { nodeParts } from './test-global-setup.ts';
import { excludedParts } from './tests-without.ts';

describe('SKIFF_TESTS_WITHOUT', () => {
  it('names the parts left out, and refuses a name it does not know', () => {
    expect(excludedParts('')).toEqual(new Set());
    expect(excludedParts('docker, cni')).toEqual(new Set(['docker', 'cni']));
    expect(() => excludedParts('dokcer')).toThrow(/unknown part\(s\) dokcer \(known: root, containerd, docker, cni, registry\)/);
  });

  it('keeps the test setup from installing or starting what is left out', () => {
    expect(nodeParts(new Set())).toEqual(['nats', 'images', 'storage', 'cni', 'containerd', 'docker', 'registry']);
    expect(nodeParts(new Set(['docker']))).toEqual(['nats', 'images', 'storage', 'cni', 'containerd', 'registry']);
    expect(nodeParts(new Set(['containerd']))).toEqual(['nats', 'images', 'storage', 'cni', 'docker']);
    expect(nodeParts(new Set(['root']))).toEqual(['nats', 'images']);
  });
});
