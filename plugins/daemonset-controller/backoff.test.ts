import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';

describe('Backoff', () => {
  it('starts at the initial delay, doubles up to the max, and is in back-off only within the delay', () => {
    const b = new Backoff(1000, 8000);
    expect(b.inBackoffSinceUpdate('k', 0)).toBe(false);
    b.next('k', 0);
    expect(b.get('k')).toBe(1000);
    expect(b.inBackoffSinceUpdate('k', 999)).toBe(true);
    expect(b.inBackoffSinceUpdate('k', 1000)).toBe(false);
    for (const [at, want] of [[1000, 2000], [3000, 4000], [7000, 8000], [15000, 8000]]) {
      b.next('k', at);
      expect(b.get('k')).toBe(want);
    }
  });

  it('starts over after twice the max of quiet, and forgets such entries on gc', () => {
    const b = new Backoff(1000, 8000);
    b.next('k', 0);
    b.next('k', 1000);
    b.next('k', 1000 + 16_001);
    expect(b.get('k')).toBe(1000);
    b.next('other', 0);
    b.gc(16_001 + 1000 + 1);
    expect(b.size).toBe(1);
    expect(b.get('other')).toBe(0);
  });
});
