// pods/eviction on a real kernel: budgets that allow, refuse, are stale or ambiguous; pods that
// disrupt nothing; dry runs; and two evictions racing for the last disruption.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evictPod } from './eviction.ts';
import { StatusError } from './status.ts';
import { startTestKernel, type TestKernel } from './testing.ts';
import type { KObject } from './types.ts';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const PDBS = { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets' };
const NSS = { group: '', version: 'v1', resource: 'namespaces' };

async function failure(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error('expected a StatusError');
}

describe('pods/eviction', () => {
  let t: TestKernel;
  let n = 0;
  let ns: string;
  beforeAll(async () => {
    t = await startTestKernel();
  });
  afterAll(async () => t?.stop());

  /** Each test in its own namespace: budgets of one test never select pods of another. */
  async function freshNamespace(): Promise<string> {
    ns = `ev-${++n}`;
    await t.kernel.create(NSS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    return ns;
  }
  async function pod(name: string, opts: { phase?: string; ready?: boolean; labels?: Record<string, string>; nodeName?: string } = {}): Promise<KObject> {
    const p = await t.kernel.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels: opts.labels ?? { app: 'db' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }], ...(opts.nodeName ? { nodeName: opts.nodeName } : {}) },
    });
    const conditions = [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }];
    return t.kernel.update(PODS, { ...p, status: { phase: opts.phase ?? 'Running', conditions } }, { subresource: 'status' });
  }
  async function budget(name: string, status: Record<string, unknown>, spec: Record<string, unknown> = {}): Promise<KObject> {
    const b = await t.kernel.create(PDBS, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: ns }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'db' } }, ...spec } });
    return t.kernel.update(PDBS, { ...b, status: { observedGeneration: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2, ...status } }, { subresource: 'status' });
  }
  const eviction = (name: string, deleteOptions?: Record<string, unknown>) => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: ns }, ...(deleteOptions ? { deleteOptions } : {}) });
  const exists = async (name: string) => (await t.kernel.list(PODS, { namespace: ns })).items.some((p) => p.metadata.name === name);

  it('deletes a pod no budget covers, answering Success', async () => {
    await freshNamespace();
    await pod('free');
    expect(await evictPod(t.kernel, ns, 'free', eviction('free'))).toMatchObject({ kind: 'Status', status: 'Success', code: 201 });
    expect(await exists('free')).toBe(false);
  });

  it('takes one disruption from the budget and records the pod in disruptedPods', async () => {
    await freshNamespace();
    await pod('db-0');
    await budget('db', { disruptionsAllowed: 1 });
    const before = Date.now() - 1000;
    await evictPod(t.kernel, ns, 'db-0', eviction('db-0'));
    expect(await exists('db-0')).toBe(false);
    const st = (await t.kernel.get(PDBS, ns, 'db')).status as any;
    expect(st.disruptionsAllowed).toBe(0);
    expect(Object.keys(st.disruptedPods)).toEqual(['db-0']);
    expect(Date.parse(st.disruptedPods['db-0'])).toBeGreaterThanOrEqual(before);
    expect(st.conditions).toEqual([expect.objectContaining({ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', observedGeneration: 1 })]);
  });

  it('refuses with 429 and a DisruptionBudget cause when no disruption is allowed or the budget is stale', async () => {
    await freshNamespace();
    await pod('db-0');
    const b = await budget('db', { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1 });
    const e = await failure(evictPod(t.kernel, ns, 'db-0', eviction('db-0')));
    expect(e.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      reason: 'TooManyRequests',
      code: 429,
      message: "Cannot evict pod as it would violate the pod's disruption budget.",
      details: { causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget db needs 1 healthy pods and has 1 currently' }] },
    });
    expect(await exists('db-0')).toBe(true);
    // a spec change the budget's controller has not seen yet (observedGeneration < generation)
    await t.kernel.update(PDBS, { ...b, status: { ...(b.status as object), disruptionsAllowed: 1 } }, { subresource: 'status' });
    await t.kernel.patch(PDBS, ns, 'db', 'merge', { spec: { minAvailable: 0 } });
    const stale = await failure(evictPod(t.kernel, ns, 'db-0', eviction('db-0')));
    expect(stale.code).toBe(429);
    expect(stale.status.details).toEqual({ retryAfterSeconds: 10, causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget db is still being processed by the server.' }] });
    expect(await exists('db-0')).toBe(true);
  });

  it('answers 500 when two budgets select the pod; budgets with an empty selector select nothing', async () => {
    await freshNamespace();
    await pod('db-0');
    await budget('everything', { disruptionsAllowed: 0 }, { selector: {} });
    await budget('one', { disruptionsAllowed: 5 });
    await budget('two', { disruptionsAllowed: 5 }, { selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] } });
    const e = await failure(evictPod(t.kernel, ns, 'db-0', eviction('db-0')));
    expect(e.status).toMatchObject({ code: 500, status: 'Failure', message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.' });
    await t.kernel.delete(PDBS, ns, 'two');
    await evictPod(t.kernel, ns, 'db-0', eviction('db-0'));
    expect(await exists('db-0')).toBe(false);
  });

  it('deletes pending, terminal and unhealthy pods without taking from the budget, as the policy says', async () => {
    await freshNamespace();
    await budget('db', { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 1 });
    await pod('pending', { phase: 'Pending' });
    await pod('done', { phase: 'Succeeded' });
    await evictPod(t.kernel, ns, 'pending', eviction('pending'));
    await evictPod(t.kernel, ns, 'done', eviction('done'));
    expect(await exists('pending')).toBe(false);
    expect(await exists('done')).toBe(false);
    // unready and the budget is met (IfHealthyBudget): goes, the budget untouched
    await pod('unready', { ready: false });
    await evictPod(t.kernel, ns, 'unready', eviction('unready'));
    expect(await exists('unready')).toBe(false);
    expect(((await t.kernel.get(PDBS, ns, 'db')).status as any).disruptedPods).toBeUndefined();
    // unready while the budget is not met: the budget decides
    await t.kernel.patch(PDBS, ns, 'db', 'merge', { status: { currentHealthy: 0 } }, { subresource: 'status' });
    await pod('unready2', { ready: false });
    expect((await failure(evictPod(t.kernel, ns, 'unready2', eviction('unready2')))).code).toBe(429);
    // ... unless the budget always allows evicting unhealthy pods
    await t.kernel.patch(PDBS, ns, 'db', 'merge', { spec: { unhealthyPodEvictionPolicy: 'AlwaysAllow' } });
    await evictPod(t.kernel, ns, 'unready2', eviction('unready2'));
    expect(await exists('unready2')).toBe(false);
  });

  it('honours dry run: nothing is deleted and the budget is unchanged', async () => {
    await freshNamespace();
    await pod('db-0');
    const b = await budget('db', { disruptionsAllowed: 1 });
    expect(await evictPod(t.kernel, ns, 'db-0', eviction('db-0'), { dryRun: true })).toMatchObject({ status: 'Success' });
    expect(await evictPod(t.kernel, ns, 'db-0', eviction('db-0', { dryRun: ['All'] }))).toMatchObject({ status: 'Success' });
    expect(await exists('db-0')).toBe(true);
    expect((await t.kernel.get(PDBS, ns, 'db')).metadata.resourceVersion).toBe(b.metadata.resourceVersion);
  });

  it('two evictions racing for the last disruption: exactly one wins', async () => {
    await freshNamespace();
    await pod('db-0');
    await pod('db-1');
    await budget('db', { disruptionsAllowed: 1 });
    const results = await Promise.allSettled([evictPod(t.kernel, ns, 'db-0', eviction('db-0')), evictPod(t.kernel, ns, 'db-1', eviction('db-1'))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect((lost.reason as StatusError).code).toBe(429);
    const st = (await t.kernel.get(PDBS, ns, 'db')).status as any;
    expect(st.disruptionsAllowed).toBe(0);
    expect(Object.keys(st.disruptedPods)).toHaveLength(1);
    expect((await t.kernel.list(PODS, { namespace: ns })).items).toHaveLength(1);
  });

  it('uses the deleteOptions of the Eviction and checks what the body names', async () => {
    await freshNamespace();
    const p = await pod('on-node', { nodeName: 'n1' });
    const uid = await failure(evictPod(t.kernel, ns, 'on-node', eviction('on-node', { preconditions: { uid: 'other' } })));
    expect(uid.code).toBe(409);
    // a pod on a node ends gracefully: marked for deletion with the Eviction's grace period
    await evictPod(t.kernel, ns, 'on-node', eviction('on-node', { gracePeriodSeconds: 7, preconditions: { uid: p.metadata.uid } }));
    expect((await t.kernel.get(PODS, ns, 'on-node')).metadata).toMatchObject({ deletionGracePeriodSeconds: 7 });
    expect((await failure(evictPod(t.kernel, ns, 'on-node', eviction('other')))).status).toMatchObject({ code: 400, message: 'name in URL does not match name in Eviction object' });
    expect((await failure(evictPod(t.kernel, ns, 'on-node', { ...eviction('on-node'), kind: 'Pod' }))).code).toBe(400);
    expect((await failure(evictPod(t.kernel, ns, 'nope', eviction('nope')))).code).toBe(404);
  });
});
