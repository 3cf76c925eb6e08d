import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { startTestKernel, eventually, sleep, type TestKernel } from '@skiff/kernel/testing';
import { defineController } from './controller.ts';
import { SharedInformerFactory } from './informer-factory.ts';
import { splitKey } from './store.ts';

const CM = { group: '', version: 'v1', resource: 'configmaps' };
const SECRETS = { group: '', version: 'v1', resource: 'secrets' };

/** A tiny controller: every ConfigMap gets a Secret of the same name that it controls. */
function secretMaker(reconciled: string[]) {
  return defineController({
    name: 'secret-maker',
    version: '0.1.0',
    for: CM,
    owns: [{ ref: SECRETS }],
    setup(c) {
      const cms = c.informer(CM);
      const secrets = c.informer(SECRETS);
      return async (key) => {
        reconciled.push(key);
        const { namespace, name } = splitKey(key);
        const cm = cms.lister.get(namespace, name);
        if (!cm || secrets.lister.get(namespace, name)) return;
        await c.kernel.create(SECRETS, {
          apiVersion: 'v1', kind: 'Secret',
          metadata: { name, namespace, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name, uid: cm.metadata.uid!, controller: true }] },
          data: {},
        });
        c.recorder.record(cm, { type: 'Normal', reason: 'SecretCreated', message: `Created secret ${name}` });
      };
    },
  });
}

let t: TestKernel;
beforeAll(async () => {
  t = await startTestKernel();
  await t.kernel.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } });
});
afterAll(() => t?.stop());

const cm = (name: string): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: {} });
const exists = async (ref: typeof CM, name: string) => t.kernel.get(ref, 'default', name).then(() => true, () => false);

describe('defineController', () => {
  it('reconciles its kind and is woken by the objects it owns', async () => {
    const seen: string[] = [];
    const host = new PluginHost({ kernel: t.kernel, logger: createConsoleLogger({ level: 'silent' }) });
    await host.load([{ descriptor: secretMaker(seen), config: { leaderElection: false } }]);
    await t.kernel.create(CM, cm('one'));
    await eventually(() => exists(SECRETS, 'one'));
    await t.kernel.delete(SECRETS, 'default', 'one');
    await eventually(() => exists(SECRETS, 'one'), 5000, 'the deleted secret is made again');
    expect(seen.filter((k) => k === 'default/one').length).toBeGreaterThanOrEqual(2);
    await host.stopAll();
  });

  it('shares one informer per kind between controllers, and frees it when they stop', async () => {
    const base = SharedInformerFactory.for(t.kernel).size;
    const host = new PluginHost({ kernel: t.kernel, logger: createConsoleLogger({ level: 'silent' }) });
    await host.load([
      { descriptor: secretMaker([]), name: 'a', config: { leaderElection: false } },
      { descriptor: secretMaker([]), name: 'b', config: { leaderElection: false } },
    ]);
    expect(SharedInformerFactory.for(t.kernel).size - base).toBe(2); // configmaps and secrets, once each
    await host.stopAll();
    expect(SharedInformerFactory.for(t.kernel).size).toBe(base);
  });

  it('runs only in the leader of two processes, and the other takes over when the leader stops', async () => {
    const k2 = await t.restart();
    const seenA: string[] = [];
    const seenB: string[] = [];
    const hostA = new PluginHost({ kernel: t.kernel, logger: createConsoleLogger({ level: 'silent' }) });
    const hostB = new PluginHost({ kernel: k2, logger: createConsoleLogger({ level: 'silent' }) });
    await hostA.load([{ descriptor: secretMaker(seenA), config: { leaseDurationSeconds: 3 } }]);
    await hostB.load([{ descriptor: secretMaker(seenB), config: { leaseDurationSeconds: 3 } }]);
    await eventually(() => seenA.length + seenB.length > 0, 8000);
    for (let i = 0; i < 20; i++) await t.kernel.create(CM, cm(`le-${i}`));
    await eventually(async () => (await t.kernel.list(SECRETS, { namespace: 'default' })).items.filter((s) => s.metadata.name!.startsWith('le-')).length === 20, 8000);
    const [leaderSeen, otherSeen, leaderHost] = seenA.length ? [seenA, seenB, hostA] : [seenB, seenA, hostB];
    expect(otherSeen.length).toBe(0);
    expect(leaderSeen.length).toBeGreaterThan(0);
    await leaderHost.stopAll();
    await t.kernel.create(CM, cm('after-handover'));
    await eventually(() => exists(SECRETS, 'after-handover'), 8000, 'the follower takes over');
    expect(otherSeen).toContain('default/after-handover');
    await hostA.stopAll();
    await hostB.stopAll();
    k2.stop();
    await sleep(10);
  });

  it('runs onLeading hooks (retried until they succeed) before any reconcile, and merges reportRuntime figures', async () => {
    await t.kernel.create(CM, cm('hook-1'));
    const log: string[] = [];
    let attempts = 0;
    const descriptor = defineController({
      name: 'lead-hooks',
      version: '0.1.0',
      for: CM,
      setup(c) {
        c.onLeading(async () => {
          attempts++;
          await sleep(100);
          if (attempts === 1) throw new Error('store not reachable');
          log.push('lead');
          c.reportRuntime({ rebuilt: attempts });
        });
        return async (key) => void log.push(key);
      },
    });
    const logs: string[] = [];
    const host = new PluginHost({ kernel: t.kernel, logger: createConsoleLogger({ level: 'warn', write: (l) => void logs.push(l) }) });
    await host.load([{ descriptor, config: { leaderElection: false } }]);
    await eventually(() => log.includes('default/hook-1'), 8000);
    expect(log[0]).toBe('lead');
    expect(log.filter((l) => l === 'lead')).toHaveLength(1);
    expect(attempts).toBe(2);
    expect(logs.some((l) => l.includes('starting to lead failed') && l.includes('store not reachable'))).toBe(true);
    expect(host.runtime('lead-hooks')).toMatchObject({ rebuilt: 2, leading: true });
    await host.stopAll();
  });

  it('a new leader runs its onLeading hooks again before reconciling', async () => {
    const k2 = await t.restart();
    const logs: Record<string, string[]> = { a: [], b: [] };
    const make = (who: string) =>
      defineController({
        name: 'lead-again',
        version: '0.1.0',
        for: CM,
        setup(c) {
          c.onLeading(() => void logs[who].push('lead'));
          return async (key) => void logs[who].push(key);
        },
      });
    const hostA = new PluginHost({ kernel: t.kernel, logger: createConsoleLogger({ level: 'silent' }) });
    const hostB = new PluginHost({ kernel: k2, logger: createConsoleLogger({ level: 'silent' }) });
    await hostA.load([{ descriptor: make('a'), config: { leaseDurationSeconds: 3 } }]);
    await eventually(() => logs.a.includes('lead'), 8000);
    await hostB.load([{ descriptor: make('b'), config: { leaseDurationSeconds: 3 } }]);
    await sleep(300);
    expect(logs.b).toEqual([]); // a follower neither rebuilds nor reconciles
    await hostA.stopAll();
    await eventually(() => logs.b.length > 1, 8000, 'b takes over');
    expect(logs.b[0]).toBe('lead');
    expect(logs.b.filter((l) => l === 'lead')).toHaveLength(1);
    await hostB.stopAll();
    k2.stop();
    await sleep(10);
  });
});
