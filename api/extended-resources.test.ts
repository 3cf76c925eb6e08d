import { describe, expect, it } from 'vitest';
import { isExtendedResourceName } from './extended-resources.ts';

describe('isExtendedResourceName', () => {
  it('takes domain-prefixed names outside kubernetes.io', () => {
    for (const n of ['example.com/widget', 'nvidia.com/gpu', 'gpu.intel.com/i915', 'a.b/c-d_e.f']) expect(isExtendedResourceName(n), n).toBe(true);
  });
  it('refuses native, kubernetes.io/, requests.-prefixed and malformed names', () => {
    for (const n of ['cpu', 'widget', 'kubernetes.io/widget', 'node.kubernetes.io/x', 'requests.example.com/widget', 'example.com/', '/widget', 'Example_com/widget', 'example.com/-widget', 'a/b/c', `example.com/${'x'.repeat(64)}`])
      expect(isExtendedResourceName(n), n).toBe(false);
  });
});
