import { describe, expect, it } from 'vitest';
import type { Kernel, KObject, Watch, WatchEvent } from '@skiff/kernel';
import { silentLogger } from '@skiff/kernel/plugins';
import { CollectionWatcher } from './watcher.ts';

const cm = (name: string, rv: string): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, uid: name, resourceVersion: rv } });

/** A kernel whose list answers from `lists` in turn and whose watches play `watches` in turn. */
function scriptedKernel(lists: KObject[][], watches: WatchEvent[][]) {
  const calls: string[] = [];
  let l = 0;
  let w = 0;
  const kernel = {
    async list() {
      const items = lists[Math.min(l++, lists.length - 1)];
      calls.push(`list ${items.map((o) => o.metadata.name).join(',')}`);
      return { apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: String(10 * l) }, items };
    },
    watch(_ref: unknown, opts: { resourceVersion?: string }): Watch {
      calls.push(`watch from ${opts.resourceVersion}`);
      const events = watches[w++] ?? [];
      let stopped = false;
      let wake = () => {};
      return {
        stop() {
          stopped = true;
          wake();
        },
        async *[Symbol.asyncIterator]() {
          for (const ev of events) yield ev;
          while (!stopped) await new Promise<void>((r) => (wake = r)); // then stays open
        },
      };
    },
  } as unknown as Kernel;
  return { kernel, calls };
}

describe('CollectionWatcher', () => {
  it('lists, watches from the list revision, and re-lists after a 410', async () => {
    const gone = { type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old' } } as unknown as WatchEvent;
    const { kernel, calls } = scriptedKernel(
      [[cm('a', '5')], [cm('b', '15')]],
      [[{ type: 'ADDED', object: cm('c', '11') }, gone], []],
    );
    const synced: string[][] = [];
    const events: string[] = [];
    const cw = new CollectionWatcher(kernel, { group: '', version: 'v1', resource: 'configmaps' }, {
      synced: (items) => synced.push(items.map((o) => o.metadata.name!)),
      event: (ev) => events.push(`${ev.type} ${ev.object.metadata.name}`),
    }, silentLogger, 10);
    await new Promise((r) => setTimeout(r, 100));
    cw.stop();
    await cw.done;
    expect(synced).toEqual([['a'], ['b']]);
    expect(events).toEqual(['ADDED c']);
    expect(calls).toEqual(['list a', 'watch from 10', 'list b', 'watch from 20']);
  });
});
