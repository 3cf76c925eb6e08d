import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKernel, eventually, sleep, type TestKernel } from '@skiff/kernel/testing';
import { LeaderElector } from './leader-elector.ts';

let t: TestKernel;
beforeAll(async () => {
  t = await startTestKernel();
  await t.kernel.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } });
});
afterAll(() => t?.stop());

const opts = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 };

describe('LeaderElector', () => {
  it('elects exactly one of several candidates and hands over when the leader gives up', async () => {
    const a = new LeaderElector(t.kernel, { name: 'one', identity: 'a', ...opts });
    const b = new LeaderElector(t.kernel, { name: 'one', identity: 'b', ...opts });
    const flips: string[] = [];
    a.onChange((l) => flips.push(`a:${l}`));
    b.onChange((l) => flips.push(`b:${l}`));
    a.start();
    b.start();
    await eventually(() => a.isLeader || b.isLeader, 5000);
    await sleep(800);
    expect(a.isLeader !== b.isLeader).toBe(true);
    const [leader, other] = a.isLeader ? [a, b] : [b, a];
    const lease = await t.kernel.get({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases' }, 'kube-system', 'one');
    expect((lease.spec as { holderIdentity: string }).holderIdentity).toBe(leader.identity);
    const t0 = Date.now();
    await leader.stop(); // gives the lease up: no wait for expiry
    await eventually(() => other.isLeader, 5000);
    expect(Date.now() - t0).toBeLessThan(1500);
    await other.stop();
    expect(flips.filter((f) => f.endsWith('true')).length).toBe(2);
  });

  it('takes over from a leader that died, once the lease has not been renewed for its duration', async () => {
    const k2 = await t.restart(); // a second process' kernel on the same store
    const dying = new LeaderElector(k2, { name: 'two', identity: 'dying', ...opts });
    dying.start();
    await eventually(() => dying.isLeader, 5000);
    const heir = new LeaderElector(t.kernel, { name: 'two', identity: 'heir', ...opts });
    heir.start();
    await sleep(600);
    expect(heir.isLeader).toBe(false);
    k2.stop(); // the leader's process loses its store: no more renewals, no release
    const t0 = Date.now();
    await eventually(() => heir.isLeader, 6000);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThan(700);
    expect(took).toBeLessThan(4000);
    // the dead leader stops acting within its renew deadline
    await eventually(() => !dying.isLeader, 3000);
    await heir.stop();
    await dying.stop();
  });
});
