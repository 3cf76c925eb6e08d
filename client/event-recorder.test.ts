import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@skiff/kernel/plugins';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import type { KObject } from '@skiff/kernel';
import { EventRecorder } from './event-recorder.ts';

let t: TestKernel;
beforeAll(async () => (t = await startTestKernel()));
afterAll(() => t?.stop());

const EVENTS = { group: '', version: 'v1', resource: 'events' };
const rs = (name: string): KObject => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, namespace: 'default', uid: `uid-${name}` } });
const eventsOf = async (name: string) => (await t.kernel.list(EVENTS, { namespace: 'default' })).items.filter((e) => (e.involvedObject as { name: string }).name === name) as any[];

describe('EventRecorder', () => {
  it('bumps the count of one Event for repeats', async () => {
    const r = new EventRecorder(t.kernel, 'test', silentLogger);
    for (let i = 0; i < 5; i++) r.record(rs('a'), { type: 'Warning', reason: 'FailedCreate', message: 'quota' });
    await r.flush();
    const ev = await eventsOf('a');
    expect(ev.length).toBe(1);
    expect(ev[0].count).toBe(5);
    expect(ev[0].source.component).toBe('test');
    r.record(rs('a'), { type: 'Warning', reason: 'FailedCreate', message: 'quota' });
    await r.flush();
    expect((await eventsOf('a'))[0].count).toBe(6);
  });

  it('aggregates similar events beyond 10 and drops spam beyond the burst', async () => {
    const r = new EventRecorder(t.kernel, 'test', silentLogger, { spamBurst: 20 });
    for (let i = 0; i < 30; i++) r.record(rs('b'), { type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: b-${i}` });
    await r.flush();
    const ev = await eventsOf('b');
    // 10 distinct, then one aggregate counting the next 10 recorded; the last 10 are dropped by the spam filter
    expect(ev.length).toBe(11);
    const agg = ev.find((e) => e.message.startsWith('(combined from similar events): '));
    expect(agg.count).toBe(10);
    expect(agg.message).toBe('(combined from similar events): Created pod: b-19');
  });
});
