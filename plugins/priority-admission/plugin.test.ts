// The Priority admission plugin on a real kernel, in a plugin host: system classes, priorities from
// classes and the global default, and kube's refusals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PODS, PRIORITY_CLASSES } from '@skiff/api';
import { StatusError, type KObject } from '@skiff/kernel';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import descriptor, { defaultClass, ensureSystemPriorityClasses } from './plugin.ts';

let t: TestKernel;
let host: PluginHost;
beforeAll(async () => {
  t = await startTestKernel();
  host = new PluginHost({ kernel: t.kernel, logger: createConsoleLogger({ level: 'error' }) });
  await host.load([{ descriptor }]);
});
afterAll(async () => {
  await host?.stopAll();
  await t?.stop();
});

const k = () => t.kernel;
const pod = (name: string, spec: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
});
const priorityClass = (name: string, value: number, more: Record<string, unknown> = {}): KObject => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, ...more });
async function failure(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error('expected a StatusError');
}
/** Create a class and wait until the plugin's informer has it (the default-class lookup reads it). */
async function createClass(o: KObject): Promise<void> {
  await k().create(PRIORITY_CLASSES, o);
  await eventually(async () => {
    const p = await k().create(PODS, pod(`probe-${o.metadata.name}-${Date.now()}`), { dryRun: true });
    return o.globalDefault ? (p.spec as any).priorityClassName === o.metadata.name : true;
  }, 5000, `the informer to see ${o.metadata.name}`);
}

describe('priority-admission', () => {
  it('creates the system priority classes', async () => {
    const { items } = await k().list(PRIORITY_CLASSES);
    expect(items.map((c) => [c.metadata.name, c.value, c.preemptionPolicy])).toEqual([
      ['system-cluster-critical', 2_000_000_000, 'PreemptLowerPriority'],
      ['system-node-critical', 2_000_001_000, 'PreemptLowerPriority'],
    ]);
  });

  it('without a class and without a default: priority 0, PreemptLowerPriority', async () => {
    const p = await k().create(PODS, pod('plain'));
    expect(p.spec).toMatchObject({ priority: 0, preemptionPolicy: 'PreemptLowerPriority' });
    expect((p.spec as any).priorityClassName).toBeUndefined();
  });

  it('a named class gives its value and preemption policy', async () => {
    await createClass(priorityClass('batch-low', 100, { preemptionPolicy: 'Never' }));
    const p = await k().create(PODS, pod('low', { priorityClassName: 'batch-low' }));
    expect(p.spec).toMatchObject({ priorityClassName: 'batch-low', priority: 100, preemptionPolicy: 'Never' });
    const crit = await k().create(PODS, pod('crit', { priorityClassName: 'system-node-critical' }));
    expect((crit.spec as any).priority).toBe(2_000_001_000);
    // the same value given explicitly is fine
    expect((await k().create(PODS, pod('explicit', { priorityClassName: 'batch-low', priority: 100 }))).spec).toMatchObject({ priority: 100 });
  });

  it('refuses unknown classes and priorities or policies that differ from the class', async () => {
    const unknown = await failure(k().create(PODS, pod('lost', { priorityClassName: 'nope' })));
    expect(unknown.status).toMatchObject({ code: 403, reason: 'Forbidden', message: 'pods "lost" is forbidden: no PriorityClass with name nope was found', details: { name: 'lost', kind: 'pods' } });
    const prio = await failure(k().create(PODS, pod('greedy', { priorityClassName: 'batch-low', priority: 5 })));
    expect(prio.message).toBe(
      'pods "greedy" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 100 from the given PriorityClass name',
    );
    const policy = await failure(k().create(PODS, pod('pushy', { priorityClassName: 'batch-low', preemptionPolicy: 'PreemptLowerPriority' })));
    expect(policy.message).toContain('the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never');
    expect(await failure(k().create(PODS, pod('sneaky', { priority: 1_000_000 })))).toMatchObject({ code: 403 });
  });

  it('keeps the priority on updates that leave it out', async () => {
    const p = await k().create(PODS, pod('kept', { priorityClassName: 'batch-low' }));
    const { priority: _p, preemptionPolicy: _pp, ...spec } = p.spec as Record<string, unknown>;
    const u = await k().update(PODS, { ...p, metadata: { ...p.metadata, labels: { touched: 'yes' } }, spec });
    expect(u.spec).toMatchObject({ priority: 100, preemptionPolicy: 'Never' });
    expect(u.metadata.labels).toEqual({ touched: 'yes' });
  });

  it('uses the global default class, and allows only one', async () => {
    await createClass(priorityClass('everyday', 1000, { globalDefault: true }));
    const p = await k().create(PODS, pod('defaulted'));
    expect(p.spec).toMatchObject({ priorityClassName: 'everyday', priority: 1000, preemptionPolicy: 'PreemptLowerPriority' });
    const second = await failure(k().create(PRIORITY_CLASSES, priorityClass('another', 5, { globalDefault: true })));
    expect(second.status).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message: 'priorityclasses.scheduling.k8s.io "another" is forbidden: PriorityClass everyday is already marked as default. Only one default can exist',
    });
    const low = await k().get(PRIORITY_CLASSES, undefined, 'batch-low');
    expect((await failure(k().update(PRIORITY_CLASSES, { ...low, globalDefault: true }))).code).toBe(403);
    // the default itself may be updated
    const d = await k().get(PRIORITY_CLASSES, undefined, 'everyday');
    expect((await k().update(PRIORITY_CLASSES, { ...d, description: 'most pods' })).description).toBe('most pods');
  });

  it('leaves the system classes alone when they exist; recreates a missing one', async () => {
    const before = await k().get(PRIORITY_CLASSES, undefined, 'system-node-critical');
    await k().delete(PRIORITY_CLASSES, undefined, 'system-cluster-critical');
    expect(await ensureSystemPriorityClasses(k())).toEqual(['system-cluster-critical']);
    expect(await ensureSystemPriorityClasses(k())).toEqual([]);
    expect((await k().get(PRIORITY_CLASSES, undefined, 'system-node-critical')).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });
});

it('with two global defaults (a race), the one with the lowest value wins', () => {
  const pc = (name: string, value: number, globalDefault: boolean) => ({ ...priorityClass(name, value, { globalDefault }), value }) as any;
  expect(defaultClass([pc('a', 10, true), pc('b', 5, true), pc('c', 1, false)])?.metadata.name).toBe('b');
  expect(defaultClass([pc('c', 1, false)])).toBeUndefined();
});
