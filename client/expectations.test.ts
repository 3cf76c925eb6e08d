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
    e.deletionObserved('k', 'ns/c'); // not one it asked for
    expect(e.satisfied('k')).toBe(false);
    e.deletionObserved('k', 'ns/b');
    expect(e.satisfied('k')).toBe(true);
  });

  it('expects creations by key: each object once, and others not at all', () => {
    const e = new Expectations();
    e.expectCreations('ns/web', ['ns/web-0', 'ns/web-1']);
    e.creationObserved('ns/web', 'ns/web-0');
    e.creationObserved('ns/web', 'ns/web-0');
    e.creationObserved('ns/web', 'ns/stranger');
    expect(e.pending('ns/web')).toMatchObject({ creating: ['ns/web-1'], adds: 0 });
    expect(e.satisfied('ns/web')).toBe(false);
    e.creationObserved('ns/web', 'ns/web-1');
    expect(e.satisfied('ns/web')).toBe(true);
  });

  it('replaces with expect*, adds with raise (what was over-observed does not cancel new writes)', () => {
    const e = new Expectations();
    e.expectCreations('k', 1);
    e.creationObserved('k');
    e.creationObserved('k'); // a pod someone else made: the count is now -1
    e.raise('k', { creating: 1 });
    expect(e.satisfied('k')).toBe(false);
    e.raise('k', { creating: ['ns/p-0'], deleting: ['ns/p-9'] });
    e.creationObserved('k');
    expect(e.satisfied('k')).toBe(false);
    e.creationObserved('k', 'ns/p-0');
    e.deletionObserved('k', 'ns/p-9');
    expect(e.satisfied('k')).toBe(true);
    e.raise('k', { deleting: ['ns/p-8'] });
    e.expectCreations('k', 0); // replaces: the deletion is no longer expected
    expect(e.satisfied('k')).toBe(true);
  });

  it('lowers expected creations for creates never made, and forgets', () => {
    const e = new Expectations();
    e.expectCreations('k', 5);
    e.creationObserved('k');
    e.lowerCreations('k', 4);
    expect(e.satisfied('k')).toBe(true);
    e.expectCreations('k', 1);
    e.forget('k');
    expect(e.satisfied('k')).toBe(true);
    expect(e.pending('k')).toBeUndefined();
  });

  it('expires after its TTL; a raise starts the TTL again', async () => {
    const e = new Expectations(40);
    e.expectCreations('k', 5);
    expect(e.satisfied('k')).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    expect(e.satisfied('k')).toBe(true);
    e.raise('k', { creating: ['ns/a'] }); // an expired record is not carried over
    expect(e.pending('k')).toMatchObject({ adds: 0, creating: ['ns/a'] });
    expect(e.satisfied('k')).toBe(false);
  });
});
