import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { CONTROLLER_LEASE, followLeadership, kitConfigSchema } from './leadership.ts';

let t: TestKernel;
beforeAll(async () => {
  t = await startTestKernel();
  await t.kernel.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } });
});
afterAll(() => t?.stop());

describe('kitConfigSchema', () => {
  it('adds workers, leaderElection and leaseDurationSeconds to the controller\'s own properties', () => {
    const s = kitConfigSchema({ type: 'object', properties: { resyncSeconds: { type: 'number', default: 5 } } }, 4) as {
      additionalProperties: boolean;
      properties: Record<string, { default?: unknown }>;
    };
    expect(Object.keys(s.properties)).toEqual(['workers', 'leaderElection', 'leaseDurationSeconds', 'resyncSeconds']);
    expect(s.properties.workers.default).toBe(4);
    expect(s.properties.leaderElection.default).toBe(true);
    expect(s.additionalProperties).toBe(false);
    expect((kitConfigSchema(undefined, 1) as { properties: object }).properties).toHaveProperty('leaseDurationSeconds');
  });
});

describe('followLeadership', () => {
  it('leads at once without leader election', async () => {
    const seen: boolean[] = [];
    const l = followLeadership(t.kernel, { leaderElection: false, leaseDurationSeconds: 10 }, silentLogger, (v) => seen.push(v));
    expect(seen).toEqual([true]);
    await l.release();
  });

  it('follows the shared controller Lease, and gives it up with its last follower', async () => {
    const a: boolean[] = [];
    const b: boolean[] = [];
    const cfg = { leaderElection: true, leaseDurationSeconds: 3 };
    const la = followLeadership(t.kernel, cfg, silentLogger, (v) => a.push(v));
    const lb = followLeadership(t.kernel, cfg, silentLogger, (v) => b.push(v));
    await eventually(() => a.length > 0 && b.length > 0, 5000);
    expect(a).toEqual([true]);
    expect(b).toEqual([true]); // one elector per process: both follow the same one
    const lease = await t.kernel.get({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases' }, 'kube-system', CONTROLLER_LEASE);
    const holder = (lease.spec as { holderIdentity?: string }).holderIdentity;
    expect(holder).toBeTruthy();
    await la.release();
    await lb.release();
    const after = await t.kernel.get({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases' }, 'kube-system', CONTROLLER_LEASE);
    expect((after.spec as { holderIdentity?: string }).holderIdentity).toBeUndefined();
  });
});
