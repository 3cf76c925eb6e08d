import { afterAll, beforeAll, expect, it } from 'vitest';
import { Informer } from './informer.ts';
import { eventually, startTestKernel, type TestKernel } from './testing.ts';
import type { KObject } from './types.ts';

const CM = { group: '', version: 'v1', resource: 'configmaps' };
const cm = (name: string, labels: Record<string, string> = {}): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels }, data: {} });

let t: TestKernel;
beforeAll(async () => {
  t = await startTestKernel();
});
afterAll(async () => {
  await t?.stop();
});

it('hands over the list, then the changes, filtered by its selector', async () => {
  await t.kernel.create(CM, cm('inf-a', { team: 'x' }));
  await t.kernel.create(CM, cm('inf-b', { team: 'y' }));
  const resets: string[][] = [];
  const events: string[] = [];
  const inf = new Informer(
    t.kernel,
    CM,
    { reset: (items) => resets.push(items.map((o) => o.metadata.name!)), event: (type, o) => events.push(`${type} ${o.metadata.name}`) },
    { namespace: 'default', labelSelector: 'team=x' },
  );
  await inf.start();
  expect(resets).toEqual([['inf-a']]);
  await t.kernel.create(CM, cm('inf-c', { team: 'x' }));
  await t.kernel.create(CM, cm('inf-d', { team: 'y' }));
  await t.kernel.delete(CM, 'default', 'inf-a');
  await eventually(() => (events.length >= 2 ? events : undefined), 5_000, 'the events');
  expect(events).toEqual(['ADDED inf-c', 'DELETED inf-a']);
  inf.stop();
  await inf.done;
});

it('rejects synced when stopped before its first list', async () => {
  const inf = new Informer(t.kernel, CM, { reset() {}, event() {} });
  inf.stop();
  await expect(inf.start()).rejects.toThrow(/stopped before it synced/);
});
