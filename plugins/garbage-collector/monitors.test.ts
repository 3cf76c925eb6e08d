import { describe, expect, it } from 'vitest';
import type { Kernel, KindInfo, KObject, Watch, WatchEvent } from '@skiff/kernel';
import { deletable, Monitors } from './monitors.ts';

const kind = (group: string, resource: string, kindName: string, verbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'], version = 'v1'): KindInfo => ({
  group, version, kind: kindName, resource, singular: resource, listKind: `${kindName}List`, namespaced: true, shortNames: [], categories: [], subresources: [], verbs,
});
const cm = (name: string, uid: string, rv: string): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', uid, resourceVersion: rv } });
const gone410 = { type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old' } } as unknown as WatchEvent;

/** A kernel serving `kinds` (changeable), whose configmaps lists answer from `lists` in turn and watches play `watches` in turn. */
function scriptedKernel(kinds: KindInfo[], lists: KObject[][], watches: WatchEvent[][]) {
  let l = 0;
  let w = 0;
  const listed: string[] = [];
  const kernel = {
    kinds: () => kinds,
    async list(ref: { resource: string }) {
      listed.push(ref.resource);
      const items = ref.resource === 'configmaps' ? lists[Math.min(l++, lists.length - 1)] : [];
      return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: String(10 * (l + 1)) }, items };
    },
    watch(ref: { resource: string }): Watch {
      const events = ref.resource === 'configmaps' ? (watches[w++] ?? []) : [];
      let stopped = false;
      let wake = () => {};
      return {
        stop() {
          stopped = true;
          wake();
        },
        async *[Symbol.asyncIterator]() {
          for (const ev of events) yield ev;
          while (!stopped) await new Promise<void>((r) => (wake = r));
        },
      };
    },
  } as unknown as Kernel;
  return { kernel, listed };
}

describe('deletable', () => {
  it('takes kinds that can be listed, watched and deleted, and never Events', () => {
    expect(deletable(kind('', 'configmaps', 'ConfigMap'))).toBe(true);
    expect(deletable(kind('', 'events', 'Event'))).toBe(false);
    expect(deletable(kind('events.k8s.io', 'events', 'Event'))).toBe(false);
    expect(deletable(kind('metrics.k8s.io', 'pods', 'PodMetrics', ['get', 'list', 'watch']))).toBe(false);
    expect(deletable(kind('x', 'things', 'Thing', ['get', 'list', 'delete']))).toBe(false);
  });
});

describe('Monitors', () => {
  it('follows every deletable kind once per resource, and kinds registered later on sync()', async () => {
    const kinds = [kind('', 'configmaps', 'ConfigMap'), kind('', 'events', 'Event'), kind('apps', 'deployments', 'Deployment'), kind('apps', 'deployments', 'Deployment', undefined, 'v1beta1')];
    const { kernel } = scriptedKernel(kinds, [[]], []);
    const m = new Monitors(kernel, { seen() {}, gone() {} });
    m.sync();
    expect(m.resources.sort()).toEqual(['/configmaps', 'apps/deployments']);
    kinds.push(kind('example.com', 'widgets', 'Widget'));
    m.sync();
    expect(m.resources).toContain('example.com/widgets');
    kinds.splice(kinds.findIndex((k) => k.resource === 'widgets'), 1);
    m.sync();
    expect(m.resources).not.toContain('example.com/widgets');
    m.stop();
    expect(m.resources).toEqual([]);
  });

  it('feeds the graph: adds and updates as seen, deletes and re-list misses as gone, a re-created name as both', async () => {
    const { kernel } = scriptedKernel(
      [kind('', 'configmaps', 'ConfigMap')],
      // first list a(uid-1), b; after the 410, a is another object (uid-2) and b is gone
      [[cm('a', 'uid-1', '1'), cm('b', 'uid-b', '2')], [cm('a', 'uid-2', '25')]],
      [[{ type: 'MODIFIED', object: cm('b', 'uid-b', '12') }, gone410]],
    );
    const log: string[] = [];
    const m = new Monitors(kernel, { seen: (k, o) => log.push(`seen ${k.kind} ${o.metadata.uid}@${o.metadata.resourceVersion}`), gone: (uid) => log.push(`gone ${uid}`) });
    m.sync();
    expect(await m.synced(2000)).toBe(true);
    await new Promise((r) => setTimeout(r, 800)); // the re-list after the 410
    m.stop();
    expect(log).toEqual(['seen ConfigMap uid-1@1', 'seen ConfigMap uid-b@2', 'seen ConfigMap uid-b@12', 'gone uid-1', 'seen ConfigMap uid-2@25', 'gone uid-b']);
  });
});
