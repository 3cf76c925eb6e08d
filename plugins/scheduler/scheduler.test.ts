import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KObject, ResourceRef, Watch, WatchOptions } from '@skiff/kernel';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { SUCCESS, type CycleState, type PolicyStatus, type SchedulerPolicy } from './framework.ts';
import { Scheduler, type SchedulerOptions } from './scheduler.ts';
import { BindingRecorder, createNode, createPod, EVENTS, eventually, NODES, PODS, sleep } from './test-helpers.ts';

// ---- tiny in-test policies

const unschedulable = (reason: string): PolicyStatus => Object.freeze({ code: 'Unschedulable', reasons: [reason] }) as PolicyStatus;

/** Rejects nodes labelled bad=true. */
const rejectBad: SchedulerPolicy = {
  name: 'RejectBad',
  events: ['NodeAdd', 'NodeUpdate'],
  filter: (_s, _p, node) => (node.labels.bad === 'true' ? BAD : SUCCESS),
};
const BAD = unschedulable('node(s) were labelled bad');

/** Prefers nodes labelled fast=true. */
const preferFast: SchedulerPolicy = {
  name: 'PreferFast',
  score: (_s, _p, node) => (node.labels.fast === 'true' ? 100 : 0),
};

const NO_CPU = unschedulable('Insufficient cpu');
const TOO_MANY = unschedulable('Too many pods');
/** Resource fit on cpu and pod count. */
const fit: SchedulerPolicy = {
  name: 'Fit',
  events: ['NodeAdd', 'NodeUpdate', 'PodDelete'],
  filter(_s, pod, node) {
    if ((node.requested.pods ?? 0) + 1 > (node.allocatable.pods ?? 0)) return TOO_MANY;
    if ((pod.requests.cpu ?? 0) + (node.requested.cpu ?? 0) > (node.allocatable.cpu ?? 0)) return NO_CPU;
    return SUCCESS;
  },
};

const GPU_TAINT = unschedulable('node(s) had untolerated taint {dedicated: gpu}');
/** Rejects nodes with any NoSchedule taint (no tolerations in these tests). */
const taints: SchedulerPolicy = {
  name: 'Taints',
  events: ['NodeAdd', 'NodeUpdate'],
  filter: (_s, _p, node) => (node.taints.some((t) => t.effect === 'NoSchedule') ? GPU_TAINT : SUCCESS),
};

const condition = (pod: KObject) =>
  ((pod.status as { conditions?: { type: string; status: string; reason?: string; message?: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === 'PodScheduled');

let tk: TestKernel;
let ns = 0;
let schedulers: Scheduler[] = [];
let recorders: BindingRecorder[] = [];

beforeAll(async () => {
  tk = await startTestKernel();
});
afterAll(async () => {
  await tk?.stop();
});
afterEach(async () => {
  for (const s of schedulers) {
    s.stop();
  }
  for (const r of recorders) r.stop();
  schedulers = [];
  recorders = [];
  // every test gets fresh nodes: delete the previous ones
  const { items } = await tk.kernel.list(NODES);
  await Promise.all(items.map((n) => tk.kernel.delete(NODES, undefined, n.metadata.name!).catch(() => {})));
});

/** A fresh namespace per test, so pods of earlier tests do not interfere. */
async function namespace(): Promise<string> {
  const name = `t${++ns}`;
  await tk.kernel.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

async function scheduler(policies: SchedulerPolicy[], opts: Partial<SchedulerOptions> = {}): Promise<Scheduler> {
  const s = new Scheduler({ kernel: tk.kernel, initialBackoffMs: 50, maxBackoffMs: 200, ...opts });
  for (const p of policies) s.registry.register({ policy: p });
  schedulers.push(s);
  await s.start();
  return s;
}

function recorder(): BindingRecorder {
  const r = new BindingRecorder(tk.kernel);
  recorders.push(r);
  return r;
}

/** Delete every pod of earlier tests (they are bound to nodes that no longer exist). */
async function clearPods(): Promise<void> {
  const { items } = await tk.kernel.list(PODS);
  await Promise.all(items.map((p) => tk.kernel.delete(PODS, p.metadata.namespace, p.metadata.name!, { gracePeriodSeconds: 0 }).catch(() => {})));
}

describe('scheduler', () => {
  it('binds pods to the node the policies choose: spec.nodeName and PodScheduled=True', async () => {
    await clearPods();
    const n = await namespace();
    await createNode(tk.kernel, 'n-bad-fast', { labels: { bad: 'true', fast: 'true' } });
    await createNode(tk.kernel, 'n-plain', {});
    await createNode(tk.kernel, 'n-fast', { labels: { fast: 'true' } });
    await scheduler([rejectBad, preferFast]);
    for (let i = 0; i < 5; i++) await createPod(tk.kernel, `p${i}`, { namespace: n, cpu: '100m' });
    const pods = await eventually(async () => {
      const { items } = await tk.kernel.list(PODS, { namespace: n });
      return items.every((p) => (p.spec as { nodeName?: string }).nodeName) ? items : undefined;
    }, 15_000, 'all pods bound');
    for (const p of pods) {
      expect((p.spec as { nodeName: string }).nodeName).toBe('n-fast');
      expect(condition(p)).toMatchObject({ status: 'True' });
    }
  });

  it('ignores pods for other scheduler names', async () => {
    await clearPods();
    const n = await namespace();
    await createNode(tk.kernel, 'n1');
    const s = await scheduler([fit]);
    await createPod(tk.kernel, 'other', { namespace: n, schedulerName: 'someone-else' });
    await createPod(tk.kernel, 'mine', { namespace: n });
    await eventually(async () => (await tk.kernel.get(PODS, n, 'mine')).spec!.hasOwnProperty('nodeName'), 10_000, 'mine bound');
    await sleep(200);
    expect((await tk.kernel.get(PODS, n, 'other')).spec).not.toHaveProperty('nodeName');
    expect(s.queue.get((await tk.kernel.get(PODS, n, 'other')).metadata.uid!)).toBeUndefined();
  });

  it('reports an unschedulable pod (condition, aggregated message, one Event with a count) and binds it after a node is added', async () => {
    await clearPods();
    const n = await namespace();
    for (let i = 0; i < 3; i++) await createNode(tk.kernel, `small-${i}`, { allocatable: { cpu: '1', memory: '4Gi', pods: '110' } });
    for (let i = 0; i < 2; i++) await createNode(tk.kernel, `gpu-${i}`, { allocatable: { cpu: '16', memory: '4Gi', pods: '110' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    // no timer-driven retries in this test: only the cluster event may bring the pod back
    const s = await scheduler([taints, fit], { maxUnschedulableMs: 600_000, initialBackoffMs: 100 });
    const pod = await createPod(tk.kernel, 'big', { namespace: n, cpu: '2' });

    const expected = '0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}, 3 Insufficient cpu.';
    const cond = await eventually(async () => {
      const c = condition(await tk.kernel.get(PODS, n, 'big'));
      return c?.status === 'False' ? c : undefined;
    }, 10_000, 'PodScheduled=False');
    expect(cond).toMatchObject({ status: 'False', reason: 'Unschedulable', message: expected });
    const ev = await eventually(async () => (await tk.kernel.list(EVENTS, { namespace: n })).items.find((e) => e.reason === 'FailedScheduling'), 10_000, 'an Event');
    expect(ev).toMatchObject({
      type: 'Warning',
      reason: 'FailedScheduling',
      message: expected,
      involvedObject: { kind: 'Pod', name: 'big', namespace: n, uid: pod.metadata.uid },
      source: { component: 'default-scheduler' },
    });
    expect(s.queue.location(pod.metadata.uid!)).toBe('unschedulable');

    // an unrelated event (a pod deleted elsewhere) does not help a pod Fit and Taints rejected... but
    // Fit lists PodDelete: so use an event neither lists to check it stays put
    s.queue.onClusterEvent('PodUpdate');
    await sleep(50);
    expect(s.queue.location(pod.metadata.uid!)).toBe('unschedulable');

    await createNode(tk.kernel, 'big-node', { allocatable: { cpu: '8', memory: '16Gi', pods: '110' } });
    const bound = await eventually(async () => {
      const p = await tk.kernel.get(PODS, n, 'big');
      return (p.spec as { nodeName?: string }).nodeName ? p : undefined;
    }, 10_000, 'bound after NodeAdd');
    expect((bound.spec as { nodeName: string }).nodeName).toBe('big-node');
    expect(condition(bound)).toMatchObject({ status: 'True' });
    // one event per pod and message, however often it failed with it (the pod may also have failed
    // once more, with another message, against big-node before its status gave it allocatable cpu:
    // createNode writes the Node, then its status)
    const events = (await tk.kernel.list(EVENTS, { namespace: n })).items.filter((e) => e.reason === 'FailedScheduling' && e.message === expected);
    expect(events).toHaveLength(1);
    expect(events[0].count).toBeGreaterThanOrEqual(1);
  });

  it('counts repeated failures on the one Event and writes the condition only when it changes', async () => {
    await clearPods();
    const n = await namespace();
    await createNode(tk.kernel, 'tiny', { allocatable: { cpu: '1', memory: '1Gi', pods: '110' } });
    // every node event (the status writes below) retries the pod
    const s = await scheduler([fit], { initialBackoffMs: 10, maxBackoffMs: 20 });
    await createPod(tk.kernel, 'huge', { namespace: n, cpu: '4' });
    await eventually(async () => condition(await tk.kernel.get(PODS, n, 'huge'))?.status === 'False', 10_000, 'condition');
    const rv0 = (await tk.kernel.get(PODS, n, 'huge')).metadata.resourceVersion;
    for (let i = 0; i < 3; i++) {
      s.queue.moveAllUnschedulable();
      await sleep(100);
    }
    await s.settled();
    const ev = await eventually(async () => {
      const e = (await tk.kernel.list(EVENTS, { namespace: n })).items.filter((x) => x.reason === 'FailedScheduling');
      return e.length === 1 && (e[0].count as number) >= 3 ? e : undefined;
    }, 10_000, 'event count >= 3');
    expect(ev).toHaveLength(1);
    // same message every time: the pod was not written again
    expect((await tk.kernel.get(PODS, n, 'huge')).metadata.resourceVersion).toBe(rv0);
  });

  it('schedules higher priority first', async () => {
    await clearPods();
    const n = await namespace();
    await createNode(tk.kernel, 'one-slot', { allocatable: { cpu: '4', memory: '4Gi', pods: '1' } });
    for (let i = 0; i < 3; i++) await createPod(tk.kernel, `low-${i}`, { namespace: n, priority: 0 });
    await createPod(tk.kernel, 'mid', { namespace: n, priority: 10 });
    await createPod(tk.kernel, 'high', { namespace: n, priority: 1000 });
    const rec = recorder();
    await scheduler([fit], { parallelBindings: 1 });
    await rec.waitFor(1);
    await sleep(200);
    expect([...rec.bindings.keys()]).toEqual(['high']);
    const low = await tk.kernel.get(PODS, n, 'low-0');
    await eventually(async () => condition(await tk.kernel.get(PODS, n, 'mid'))?.message?.includes('1 Too many pods'), 10_000, 'mid unschedulable');
    expect((low.spec as { nodeName?: string }).nodeName).toBeUndefined();
  });

  it('handles a binding that lost the race (409): unreserve, forget, no duplicate binding', async () => {
    await clearPods();
    const n = await namespace();
    await createNode(tk.kernel, 'ours', {});
    await createNode(tk.kernel, 'theirs', { labels: { bad: 'true' } });
    const unreserved: string[] = [];
    let stole = 0;
    // someone else binds the pod to "theirs" while our binding cycle runs
    const thief: SchedulerPolicy = {
      name: 'Thief',
      async preBind(_s, pod) {
        stole++;
        await tk.kernel.create(PODS, { apiVersion: 'v1', kind: 'Binding', metadata: { name: pod.name, namespace: pod.namespace }, target: { kind: 'Node', name: 'theirs' } }, { subresource: 'binding' });
      },
      unreserve: (_s, pod, node) => void unreserved.push(`${pod.name}@${node}`),
    };
    const rec = recorder();
    const s = await scheduler([rejectBad, fit, thief]);
    const pod = await createPod(tk.kernel, 'contested', { namespace: n, cpu: '500m' });
    await rec.waitFor(1);
    await eventually(() => s.stats.bindFailures === 1, 5000, 'the bind failure');
    await eventually(() => s.cache.nodeOf(pod.metadata.uid!) === 'theirs' && !s.cache.isAssumed(pod.metadata.uid!), 5000, 'cache follows the watch');
    await sleep(300);
    expect(stole).toBe(1);
    expect(unreserved).toEqual(['contested@ours']);
    expect(rec.bindings.get('contested')).toEqual(['theirs']);
    expect(s.cache.node('ours')!.requested.cpu ?? 0).toBe(0);
    expect(s.cache.node('theirs')!.requested.cpu).toBe(500);
    expect(s.queue.get(pod.metadata.uid!)).toBeUndefined();
    expect(s.stats.bound).toBe(0);
  });

  it('keeps every pod, bound once, while policies are registered, replaced and removed during scheduling (500 pods)', async () => {
    await clearPods();
    const n = await namespace();
    for (let i = 0; i < 20; i++) await createNode(tk.kernel, `c-${i}`, { labels: { idx: String(i), ...(i % 4 === 0 ? { fast: 'true' } : {}) }, allocatable: { cpu: '64', memory: '64Gi', pods: '110' } });
    const rec = recorder();
    const s = await scheduler([fit], { parallelBindings: 32 });
    let mixed = 0;
    // a policy whose extension points check that one cycle sees one version of it
    // mode 'odd': rejects odd nodes; 'none': rejects every node (pods go unschedulable until the
    // next registry change); 'async': a batched filter that awaits, so changes land mid-cycle
    const versioned = (v: number, mode: 'odd' | 'none' | 'async' | 'plain'): SchedulerPolicy => {
      const check = (st: CycleState) => {
        if (st.read('churn') !== v) mixed++;
      };
      const p: SchedulerPolicy = {
        name: 'Churn',
        events: ['NodeAdd'],
        preFilter: (st) => void st.write('churn', v),
        score: (st, _p, node) => {
          check(st);
          return (Number(node.labels.idx) * (v + 1)) % 100;
        },
        reserve: (st) => check(st),
      };
      if (mode === 'async') {
        p.filterBatch = async (st, _p, nodes) => {
          await sleep(1);
          check(st);
          return nodes.map(() => SUCCESS);
        };
      } else {
        p.filter = (st, _p, node) => {
          check(st);
          if (mode === 'none') return unschedulable('churn says no');
          return mode === 'odd' && Number(node.labels.idx) % 2 === 1 ? unschedulable('odd') : SUCCESS;
        };
      }
      return p;
    };
    const total = 500;
    const creating = (async () => {
      for (let i = 0; i < total; i += 10) {
        await Promise.all(Array.from({ length: 10 }, (_, j) => createPod(tk.kernel, `churn-${i + j}`, { namespace: n, cpu: '10m' })));
        await sleep(1);
      }
    })();
    let v = 0;
    let disposable: { dispose(): void } | undefined;
    let scorer: { dispose(): void } | undefined;
    while (rec.bindings.size < total * 0.9) {
      v++;
      const r = v % 6;
      if (r === 0) {
        disposable?.dispose();
        disposable = undefined;
      } else {
        const mode = r === 3 ? 'odd' : r === 4 ? 'none' : r === 2 || r === 5 ? 'async' : 'plain';
        disposable = s.registry.register({ policy: versioned(v, mode), weight: v % 3 });
      }
      if (v % 7 === 0) {
        scorer?.dispose();
        scorer = v % 2 ? s.registry.register({ policy: preferFast, weight: 2 }) : undefined;
      }
      await sleep(2);
      if (v > 20_000) break;
    }
    disposable?.dispose();
    scorer?.dispose();
    await creating;
    await rec.waitFor(total, 30_000);
    await s.settled();
    await sleep(200);
    expect(v).toBeGreaterThan(10);
    expect(s.stats.unschedulable).toBeGreaterThan(0); // the 'none' versions did reject pods
    expect(mixed).toBe(0);
    expect(rec.bindings.size).toBe(total);
    for (const [, nodes] of rec.bindings) expect(nodes).toHaveLength(1);
    const { items } = await tk.kernel.list(PODS, { namespace: n });
    expect(items.filter((p) => !(p.spec as { nodeName?: string }).nodeName)).toHaveLength(0);
    expect(s.cache.podCount().assumed).toBe(0);
    expect(s.stats.bound).toBe(total);
  });

  it('re-lists after a watch error (410) and sees what the broken watch missed', async () => {
    await clearPods();
    const n = await namespace();
    await createNode(tk.kernel, 'w1', {});
    // the first pods watch swallows every event, then fails with 410 Gone after 400 ms
    let podWatches = 0;
    const flaky = new Proxy(tk.kernel, {
      get(target, prop) {
        if (prop === 'watch') {
          return (ref: ResourceRef, opts: WatchOptions) => {
            const w = target.watch(ref, opts);
            if (ref.resource !== 'pods' || podWatches++ > 0) return w;
            return swallowThenFail(w, 400);
          };
        }
        const v = (target as unknown as Record<string | symbol, unknown>)[prop];
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const s = new Scheduler({ kernel: flaky, initialBackoffMs: 50 });
    s.registry.register({ policy: fit });
    schedulers.push(s);
    await s.start();
    await createPod(tk.kernel, 'missed', { namespace: n });
    await eventually(async () => (await tk.kernel.get(PODS, n, 'missed')).spec!.hasOwnProperty('nodeName'), 10_000, 'bound after the re-list');
    expect(podWatches).toBeGreaterThanOrEqual(2);
  });
});

function swallowThenFail(w: Watch, ms: number): Watch {
  let stopped = false;
  return {
    stop() {
      stopped = true;
      w.stop();
    },
    async *[Symbol.asyncIterator]() {
      await sleep(ms);
      if (stopped) return;
      w.stop();
      yield { type: 'ERROR', object: { apiVersion: 'v1', kind: 'Status', metadata: {}, code: 410, reason: 'Expired', message: 'too old resource version' } as unknown as KObject };
    },
  } as Watch;
}
