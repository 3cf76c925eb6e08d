import { describe, expect, it } from 'vitest';
import { prioritySort } from './priority-sort.ts';
import { pod } from './testing.ts';

describe('PrioritySort', () => {
  const less = prioritySort().less!;
  it('puts higher priority first', () => {
    const hi = pod('hi', { priority: 100, creationTimestamp: '2024-01-02T00:00:00Z' });
    const lo = pod('lo', { priority: 1, creationTimestamp: '2024-01-01T00:00:00Z' });
    expect(less(hi, lo)).toBe(true);
    expect(less(lo, hi)).toBe(false);
  });
  it('on equal priority puts the earlier-created pod first', () => {
    const older = pod('older', { priority: 5, creationTimestamp: '2024-01-01T00:00:00Z' });
    const newer = pod('newer', { priority: 5, creationTimestamp: '2024-01-01T00:00:01Z' });
    expect(less(older, newer)).toBe(true);
    expect(less(newer, older)).toBe(false);
    expect(less(older, older)).toBe(false);
  });
  it('orders a list like kube-scheduler', () => {
    const pods = [
      pod('a', { priority: 0, creationTimestamp: '2024-01-01T00:00:03Z' }),
      pod('b', { priority: 10, creationTimestamp: '2024-01-01T00:00:05Z' }),
      pod('c', { priority: 0, creationTimestamp: '2024-01-01T00:00:01Z' }),
      pod('d', { priority: 10, creationTimestamp: '2024-01-01T00:00:02Z' }),
    ];
    pods.sort((x, y) => (less(x, y) ? -1 : less(y, x) ? 1 : 0));
    expect(pods.map((p) => p.name)).toEqual(['d', 'b', 'c', 'a']);
  });
});
