import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernel, KObject } from '@skiff/kernel';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { SUCCESS, type SchedulerPolicy } from './framework.ts';
import { podInfoOf } from './pod-info.ts';
import { ScheduledEvents } from './scheduled-events.ts';
import { Scheduler } from './scheduler.ts';
import { createNode, createPod, EVENTS, eventually, NODES, PODS, sleep } from './test-helpers.ts';

const any: SchedulerPolicy = { name: 'Any', filter: () => SUCCESS };

let tk: TestKernel;
let ns = 0;
beforeAll(async () => {
  tk = await startTestKernel();
});
afterAll(async () => {
  await tk?.stop();
});

async function namespace(): Promise<string> {
  const name = `se${++ns}`;
  await tk.kernel.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

async function freshNode(name: string): Promise<void> {
  const { items } = await tk.kernel.list(NODES);
  await Promise.all(items.map((n) => tk.kernel.delete(NODES, undefined, n.metadata.name!).catch(() => {})));
  await createNode(tk.kernel, name);
}

const nodeOf = (p: KObject) => (p.spec as { nodeName?: string }).nodeName;

describe('Scheduled events', () => {
  it('records Normal Scheduled "Successfully assigned <ns>/<pod> to <node>" from the pod\'s profile after each bind', async () => {
    const n = await namespace();
    await freshNode('se-node-a');
    const s = new Scheduler({ kernel: tk.kernel, profiles: ['default-scheduler', 'my-scheduler'] });
    s.registry.register({ policy: any, profiles: ['default-scheduler', 'my-scheduler'] });
    await s.start();
    try {
      const p1 = await createPod(tk.kernel, 'one', { namespace: n });
      const p2 = await createPod(tk.kernel, 'two', { namespace: n, schedulerName: 'my-scheduler' });
      await eventually(async () => (await tk.kernel.list(PODS, { namespace: n })).items.every(nodeOf) || undefined, 10_000, 'both bound');
      await s.settled();
      const events = (await tk.kernel.list(EVENTS, { namespace: n })).items.filter((e) => e.reason === 'Scheduled');
      expect(events).toHaveLength(2);
      const one = events.find((e) => (e.involvedObject as { name: string }).name === 'one')!;
      expect(one).toMatchObject({
        type: 'Normal',
        message: `Successfully assigned ${n}/one to se-node-a`,
        source: { component: 'default-scheduler' },
        reportingComponent: 'default-scheduler',
        count: 1,
        involvedObject: { kind: 'Pod', apiVersion: 'v1', name: 'one', namespace: n, uid: p1.metadata.uid },
      });
      const two = events.find((e) => (e.involvedObject as { name: string }).name === 'two')!;
      expect(two).toMatchObject({ message: `Successfully assigned ${n}/two to se-node-a`, source: { component: 'my-scheduler' }, involvedObject: { uid: p2.metadata.uid } });
    } finally {
      s.stop();
    }
  });

  it('never holds a binding back: with every Event write stuck, all pods still bind; the Events follow once writes go through', async () => {
    const n = await namespace();
    await freshNode('se-node-b');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let held = 0;
    // the real kernel, with Event creates held until the test lets them through
    const kernel = new Proxy(tk.kernel, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (prop !== 'create') return typeof v === 'function' ? v.bind(target) : v;
        return async (ref: { resource: string }, ...rest: unknown[]) => {
          if (ref.resource === 'events') {
            held++;
            await gate;
          }
          return (v as (...a: unknown[]) => unknown).call(target, ref, ...rest);
        };
      },
    }) as Kernel;
    const s = new Scheduler({ kernel });
    s.registry.register({ policy: any });
    await s.start();
    try {
      for (let i = 0; i < 20; i++) await createPod(tk.kernel, `p${i}`, { namespace: n });
      await eventually(async () => {
        const { items } = await tk.kernel.list(PODS, { namespace: n });
        return items.length === 20 && items.every(nodeOf) ? true : undefined;
      }, 10_000, 'all 20 bound while Event writes are stuck');
      expect(held).toBe(1); // one write at a time: the rest wait in the recorder
      expect((await tk.kernel.list(EVENTS, { namespace: n })).items.filter((e) => e.reason === 'Scheduled')).toHaveLength(0);
      release();
      await s.settled();
      const events = (await tk.kernel.list(EVENTS, { namespace: n })).items.filter((e) => e.reason === 'Scheduled');
      expect(events.map((e) => (e.involvedObject as { name: string }).name).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `p${i}`).sort());
    } finally {
      s.stop();
    }
  });
});

describe('ScheduledEvents', () => {
  const scheduledIn = async (n: string) => (await tk.kernel.list(EVENTS, { namespace: n })).items.filter((e) => e.reason === 'Scheduled');

  it('while the scheduler is busy, hands Events to the recorder at a low rate; once idle, writes the rest', async () => {
    const n = await namespace();
    let busy = true;
    const ev = new ScheduledEvents(tk.kernel, undefined, { busy: () => busy, busyRate: 10 });
    try {
      const pods = [];
      for (let i = 0; i < 30; i++) pods.push(podInfoOf(await createPod(tk.kernel, `b${i}`, { namespace: n })));
      const t0 = performance.now();
      for (const p of pods) ev.bound(p, 'node-x');
      await eventually(async () => ((await scheduledIn(n)).length >= 2 ? true : undefined), 10_000, 'the first Events');
      await sleep(300);
      const written = (await scheduledIn(n)).length;
      const seconds = (performance.now() - t0) / 1000;
      expect(written).toBeLessThanOrEqual(Math.ceil(seconds * 10) + 1); // 10/s
      expect(ev.waiting).toBeGreaterThanOrEqual(30 - written - 1);
      busy = false;
      await eventually(async () => ((await scheduledIn(n)).length === 30 ? true : undefined), 10_000, 'all 30 written once idle');
    } finally {
      await ev.stop();
    }
  });

  it('keeps at most maxPending Events waiting (drops the rest); stop() drops what waits', async () => {
    const n = await namespace();
    const ev = new ScheduledEvents(tk.kernel, undefined, { busy: () => true, busyRate: 1, maxPending: 5 });
    const pods = [];
    for (let i = 0; i < 8; i++) pods.push(podInfoOf(await createPod(tk.kernel, `d${i}`, { namespace: n })));
    for (const p of pods) ev.bound(p, 'node-x'); // at once: nothing handed on meanwhile
    expect(ev.waiting).toBe(5);
    expect(ev.dropped).toBe(3);
    await ev.stop();
    await sleep(200);
    expect((await scheduledIn(n)).length).toBeLessThanOrEqual(1);
    ev.bound(podInfoOf(await createPod(tk.kernel, 'late', { namespace: n })), 'node-x');
    expect(ev.waiting).toBe(0);
  });

  it('flush() writes everything waiting even while busy (a draining scheduler)', async () => {
    const n = await namespace();
    const ev = new ScheduledEvents(tk.kernel, undefined, { busy: () => true, busyRate: 1 });
    try {
      for (let i = 0; i < 10; i++) ev.bound(podInfoOf(await createPod(tk.kernel, `f${i}`, { namespace: n })), 'node-x');
      await ev.flush();
      expect((await scheduledIn(n)).map((e) => e.message).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `Successfully assigned ${n}/f${i} to node-x`).sort());
    } finally {
      await ev.stop();
    }
  });
});
