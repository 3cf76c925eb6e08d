// Kinds served from memory by a plugin (KindDefinition.served): reads through the kernel like any
// kind, with selectors; writes and watches refused with 405; discovery verbs get and list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusError } from './status.ts';
import { startTestKernel, type TestKernel } from './testing.ts';
import type { KObject } from './types.ts';

const WIDGETS = { group: 'example.skiff.io', version: 'v1', resource: 'widgets' };

const widget = (ns: string, name: string, labels: Record<string, string>): KObject => ({
  apiVersion: 'example.skiff.io/v1',
  kind: 'Widget',
  metadata: { name, namespace: ns, labels },
  value: name.length,
});

async function codeOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StatusError) return e.code;
    throw e;
  }
  throw new Error('expected a StatusError');
}

describe('kinds served from memory', () => {
  let t: TestKernel;
  const objects = [widget('a', 'one', { app: 'x' }), widget('b', 'two', { app: 'y' }), widget('a', 'three', { app: 'y' })];
  let lists = 0;
  beforeAll(async () => {
    t = await startTestKernel();
    t.kernel.registerKind({
      group: WIDGETS.group,
      version: WIDGETS.version,
      kind: 'Widget',
      resource: 'widgets',
      namespaced: true,
      served: {
        get: (ns, name) => objects.find((o) => o.metadata.namespace === ns && o.metadata.name === name),
        list(ns) {
          lists++;
          return objects.filter((o) => ns === undefined || o.metadata.namespace === ns);
        },
      },
    });
  });
  afterAll(() => t?.stop());

  it('answers get and list with selectors, sorted', async () => {
    expect((await t.kernel.get(WIDGETS, 'a', 'three')).value).toBe(5);
    expect(await codeOf(t.kernel.get(WIDGETS, 'a', 'two'))).toBe(404);
    expect(await codeOf(t.kernel.get(WIDGETS, undefined, 'two'))).toBe(400);
    const all = await t.kernel.list(WIDGETS);
    expect(all.kind).toBe('WidgetList');
    expect(all.apiVersion).toBe('example.skiff.io/v1');
    expect(all.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['a/one', 'a/three', 'b/two']);
    expect((await t.kernel.list(WIDGETS, { namespace: 'a', labelSelector: 'app=y' })).items.map((o) => o.metadata.name)).toEqual(['three']);
    expect((await t.kernel.list(WIDGETS, { fieldSelector: 'metadata.name=two' })).items.map((o) => o.metadata.name)).toEqual(['two']);
    expect(await codeOf(t.kernel.list(WIDGETS, { labelSelector: 'app in (' }))).toBe(400);
    expect(lists).toBeGreaterThan(0);
  });

  it('refuses writes and watches with 405 and says so in discovery', async () => {
    const w = widget('a', 'four', {});
    expect(await codeOf(t.kernel.create(WIDGETS, w))).toBe(405);
    expect(await codeOf(t.kernel.update(WIDGETS, objects[0]!))).toBe(405);
    expect(await codeOf(t.kernel.patch(WIDGETS, 'a', 'one', 'merge', { value: 1 }))).toBe(405);
    expect(await codeOf(t.kernel.delete(WIDGETS, 'a', 'one'))).toBe(405);
    expect(() => t.kernel.watch(WIDGETS)).toThrow(/does not allow this method/);
    const info = t.kernel.kinds().find((k) => k.resource === 'widgets')!;
    expect(info.verbs).toEqual(['get', 'list']);
    expect(t.kernel.kinds().find((k) => k.resource === 'pods')!.verbs).toContain('watch');
  });
});
