// Status on a real kernel: ready and available replicas with minReadySeconds (noticed without any
// further change), fully labeled replicas, the ReplicaFailure condition and FailedCreate Events
// while creates fail, and no status write when nothing changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, PODS, REPLICA_SETS, type ReplicaSet } from '@skiff/api';
import { errors, type AdmissionRequest } from '@skiff/kernel';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { eventually, sleep, startControllers, type ControllerTestEnv } from '../../client/testing.ts';
import controller from './plugin.ts';
import { createPod, createRS, makeReady, NS, podsOf } from './testing.ts';

let env: ControllerTestEnv;
beforeAll(async () => {
  env = await startControllers([{ descriptor: controller }]);
});
afterAll(() => env?.stop());

const k = () => env.t.kernel;
const getRS = async (name: string) => (await k().get(REPLICA_SETS, NS, name)) as ReplicaSet;

describe('replicaset-controller: status', () => {
  it('counts ready pods at once and available ones after minReadySeconds, without another event', async () => {
    const rs = await createRS(k(), 'avail', { replicas: 3, minReadySeconds: 2 });
    await eventually(async () => (await podsOf(k(), rs)).length === 3);
    await makeReady(k(), rs);
    const readyAt = Date.now();
    const st = await eventually(async () => ((await getRS('avail')).status?.readyReplicas === 3 ? (await getRS('avail')).status : undefined));
    expect(st!.availableReplicas).toBe(0);
    await eventually(async () => (await getRS('avail')).status?.availableReplicas === 3, 6000, 'available after minReadySeconds');
    // the Ready transition is stamped to the second: available between 1 and 3.x s after readiness
    const took = Date.now() - readyAt;
    expect(took).toBeGreaterThan(900);
    expect(took).toBeLessThan(3500);
  });

  it('counts pods with every template label as fully labeled', async () => {
    // an adopted orphan carries the selector's label but not the template's other one
    await createPod(k(), 'partial', { app: 'labels' });
    const rs = await createRS(k(), 'labels', { replicas: 2, selector: { app: 'labels' }, labels: { app: 'labels', tier: 'web' } });
    await eventually(async () => (await podsOf(k(), rs)).length === 2);
    const st = await eventually(async () => ((await getRS('labels')).status?.replicas === 2 ? (await getRS('labels')).status : undefined));
    expect(st).toMatchObject({ replicas: 2, fullyLabeledReplicas: 1 });
  });

  it('sets ReplicaFailure (FailedCreate) and Warning Events while creates fail, and clears it after', async () => {
    let attempts = 0;
    const deny = k().registerAdmission({
      name: 'deny-quota-pods',
      phase: 'validating',
      match: (r: AdmissionRequest) => r.kind.kind === 'Pod' && r.operation === 'CREATE' && r.object.metadata.labels?.app === 'quota',
      handle: () => {
        attempts++;
        throw errors.forbidden('exceeded quota: compute, requested: pods=1, used: pods=0, limited: pods=0');
      },
    });
    const rs = await createRS(k(), 'quota', { replicas: 20 });
    const cond = await eventually(async () => (await getRS('quota')).status?.conditions?.find((c) => c.type === 'ReplicaFailure'));
    expect(cond).toMatchObject({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate' });
    expect(cond.message).toContain('exceeded quota');
    expect(cond.lastTransitionTime).toMatch(/Z$/);
    const warning = await eventually(async () =>
      (await k().list(EVENTS, { namespace: NS })).items.find((e) => (e.involvedObject as { name: string }).name === 'quota' && e.reason === 'FailedCreate'),
    );
    expect(warning).toMatchObject({ type: 'Warning' });
    expect(String(warning.message)).toMatch(/^Error creating: .*exceeded quota/);
    // slow start: each failing sync tries one create, not twenty
    expect(attempts).toBeLessThan(20);
    deny.dispose();
    await eventually(async () => (await podsOf(k(), rs)).length === 20, 15_000, 'created once allowed');
    await eventually(async () => !(await getRS('quota')).status?.conditions?.length, 5000, 'ReplicaFailure removed');
  });

  it('writes nothing when a sync changes nothing', async () => {
    // the same kernel, with its status updates counted (the kernel itself answers a no-op write
    // without storing anything, so only the calls show whether the controller skipped them)
    await env.host.stopAll();
    const real = k();
    const writes: string[] = [];
    const spy = new Proxy(real, {
      get(target, prop) {
        if (prop === 'update')
          return (ref: typeof REPLICA_SETS, obj: ReplicaSet, opts?: { subresource?: string }) => {
            if (opts?.subresource === 'status') writes.push(obj.metadata.name!);
            return target.update(ref, obj, opts);
          };
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const host = new PluginHost({ kernel: spy, logger: createConsoleLogger({ level: 'silent' }) });
    await host.load([{ descriptor: controller, config: { leaderElection: false } }]);
    try {
      const rs = await createRS(real, 'quiet', { replicas: 2 });
      const [p] = await eventually(async () => ((await podsOf(real, rs)).length === 2 ? podsOf(real, rs) : undefined));
      await eventually(async () => (await getRS('quiet')).status?.replicas === 2);
      await sleep(300);
      const before = writes.filter((n) => n === 'quiet').length;
      expect(before).toBeGreaterThan(0);
      // pod changes wake the controller; the status it computes is the one stored
      for (let i = 0; i < 5; i++) await real.patch(PODS, NS, p.metadata.name!, 'merge', { metadata: { annotations: { poke: String(i) } } });
      await sleep(300);
      expect(writes.filter((n) => n === 'quiet').length).toBe(before);
      // and a change that matters is written
      await real.patch(REPLICA_SETS, NS, 'quiet', 'merge', { spec: { replicas: 3 } });
      await eventually(async () => (await getRS('quiet')).status?.replicas === 3);
      expect(writes.filter((n) => n === 'quiet').length).toBeGreaterThan(before);
    } finally {
      await host.stopAll();
    }
  });

  it('warned about nothing', () => {
    expect(env.warnings.filter((w) => !/reconcile failed/.test(w))).toEqual([]);
  });
});
