import { describe, expect, it } from 'vitest';
import { Expectations } from './expectations.ts';

describe('Expectations', () => {
  it('is satisfied once every expected creation and deletion was observed', () => {
    const e = new Expectations();
    expect(e.satisfied('ns/rs')).toBe(true);
    e.expectCreations('ns/rs', 2);
    expect(e.satisfied('ns/rs')).toBe(false);
    e.creationObserved('ns/rs');
    expect(e.satisfied('ns/rs')).toBe(false);
    e.creationObserved('ns/rs');
    expect(e.satisfied('ns/rs')).toBe(true);
  });

  it('counts the deletion of one object once however often it is observed', () => {
    const e = new Expectations();
    e.expectDeletions('k', ['ns/a', 'ns/b']);
    e.deletionObserved('k', 'ns/a');
    e.deletionObserved('k', 'ns/a');
    expect(e.satisfied('k')).toBe(false);
    e.deletionObserved('k', 'ns/b');
    expect(e.satisfied('k')).toBe(true);
  });

  it('expires after its TTL', async () => {
    const e = new Expectations(20);
    e.expectCreations('k', 5);
    expect(e.satisfied('k')).toBe(false);
    await new Promise((r) => setTimeout(r, 30));
    expect(e.satisfied('k')).toBe(true);
  });
});
