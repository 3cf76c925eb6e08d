// Node failure end to end: `skiff server` whose node lifecycle controller watches closely (grace
// period 5 s, monitor period 1 s, eviction rate 10 nodes/s), and two `skiff sim` processes of 5
// hollow nodes each (prefixes a and b, leases renewed every second). A Deployment of 20 replicas
// whose pods tolerate node.kubernetes.io/unreachable:NoExecute for 10 s spreads over both. Sim `a`
// is SIGKILLed: its nodes turn Ready=Unknown and get the unreachable taints, their pods are evicted
// once their 10 s toleration runs out (not before), replacements land on b's nodes, and the
// Deployment is back to 20 available.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { natsUrlOf, startSim, type Sim } from './hollow-cluster.ts';
import { defaultDistribution } from './distribution-file.ts';
import { isReady, PodWatch, type WatchedPod } from './pod-watch.ts';
import { kubectlFor, until, type Kubectl } from './kubectl-client.ts';
import { startSkiff, type SkiffProcess } from './skiff-process.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NS = 'failure';
const REPLICAS = 20;
const TOLERATION_S = 10;
const GRACE_S = 5;
const UNREACHABLE = 'node.kubernetes.io/unreachable';

const MANIFEST = `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${NS}}
spec:
  replicas: ${REPLICAS}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      tolerations:
      - {key: ${UNREACHABLE}, operator: Exists, effect: NoExecute, tolerationSeconds: ${TOLERATION_S}}
      containers:
      - {name: web, image: registry.local/web:1}
`;

let home: string;
let skiff: SkiffProcess | undefined;
const sims: Record<'a' | 'b', Sim | undefined> = { a: undefined, b: undefined };
let k: Kubectl;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'skiff-node-failure-'));
  const dist = defaultDistribution(home, {
    config: { 'node-lifecycle-controller': { nodeMonitorGracePeriodSeconds: GRACE_S, nodeMonitorPeriodSeconds: 1, nodeEvictionRate: 10 } },
  });
  skiff = await startSkiff(home, ['--distribution', dist]);
  k = kubectlFor(skiff.kubeconfig, home);
  const nats = await natsUrlOf(home);
  // leases every second: well inside the 5 s grace period
  for (const prefix of ['a', 'b'] as const) sims[prefix] = await startSim(nats, 5, ['--prefix', prefix, '--lease-interval', '1']);
}, 120_000);

afterAll(async () => {
  for (const s of Object.values(sims)) await s?.kill('SIGTERM');
  await skiff?.kill('SIGTERM');
  if (home) rmSync(home, { recursive: true, force: true });
}, 60_000);

const onA = (p: WatchedPod) => !!p.spec?.nodeName?.startsWith('a-');
const onB = (p: WatchedPod) => !!p.spec?.nodeName?.startsWith('b-');
const readyCondition = (n: Obj) => n.status?.conditions?.find((c: Obj) => c.type === 'Ready');
const nodesOf = (prefix: string) => (k.json('get', 'nodes').items as Obj[]).filter((n) => n.metadata.name.startsWith(`${prefix}-`));

it("a dead sim's nodes turn Unknown and tainted, their pods go after their toleration and come back on the others", async () => {
  await until(() => nodesOf('a').length === 5 && nodesOf('b').length === 5 && k.json('get', 'nodes').items.every((n: Obj) => readyCondition(n)?.status === 'True'), '10 Ready nodes');
  // when each pod of a was first seen being deleted, and when b had 20 ready pods again
  const evictedAt = new Map<string, number>();
  const notReadyAt = new Map<string, number>();
  let killedAt = 0;
  let wholeAt = 0;
  const w = new PodWatch(skiff!, NS, (e, watch) => {
    if (!killedAt) return;
    const name = e.pod.metadata.name;
    const readyFalse = e.pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False');
    if (onA(e.pod) && readyFalse && !e.pod.metadata.deletionTimestamp && !notReadyAt.has(name)) notReadyAt.set(name, e.at);
    if (onA(e.pod) && e.pod.metadata.deletionTimestamp && !evictedAt.has(name)) evictedAt.set(name, e.at);
    if (!wholeAt && watch.count((p) => isReady(p) && onB(p)) === REPLICAS) wholeAt = e.at;
  });
  try {
    const file = join(home, 'web.yaml');
    writeFileSync(file, MANIFEST);
    const applied = k('apply', '-f', file);
    expect(applied.code, applied.err).toBe(0);
    await until(() => w.count(isReady) === REPLICAS, '20 ready pods', 60_000);
    const victims = [...w.pods.values()].filter(onA).map((p) => p.metadata.name);
    // spread over both sims (else killing a proves nothing)
    expect(victims.length).toBeGreaterThan(0);
    expect(victims.length).toBeLessThan(REPLICAS);
    // the admission gave them kube's 300 s not-ready toleration; theirs for unreachable stayed
    const tol = [...w.pods.values()][0].spec!.tolerations!;
    expect(tol).toContainEqual({ key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: TOLERATION_S });
    expect(tol).toContainEqual({ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });

    killedAt = Date.now();
    await sims.a!.kill('SIGKILL');

    // a's nodes: Unknown after the grace period, then tainted NoSchedule and NoExecute
    await until(() => nodesOf('a').every((n) => readyCondition(n)?.status === 'Unknown'), "a's nodes Ready=Unknown", 30_000, 250);
    const unknownMs = Date.now() - killedAt;
    expect(unknownMs).toBeGreaterThanOrEqual(GRACE_S * 1000 - 1000); // the last lease was at most 1 s before the kill
    for (const n of nodesOf('a')) expect(readyCondition(n).reason).toBe('NodeStatusUnknown');
    const tainted = await until(() => {
      const ns = nodesOf('a');
      return ns.every((n) => (n.spec.taints ?? []).some((t: Obj) => t.key === UNREACHABLE && t.effect === 'NoExecute')) && ns;
    }, "the unreachable NoExecute taint on a's nodes", 30_000, 250);
    const taintedAt = new Map<string, number>();
    for (const n of tainted) {
      const taints = n.spec.taints as Obj[];
      expect(taints).toContainEqual({ key: UNREACHABLE, effect: 'NoSchedule' });
      taintedAt.set(n.metadata.name, Date.parse(taints.find((t) => t.key === UNREACHABLE && t.effect === 'NoExecute')!.timeAdded));
    }
    expect(nodesOf('b').every((n) => readyCondition(n)?.status === 'True' && !(n.spec.taints ?? []).length)).toBe(true);

    await until(() => wholeAt && evictedAt.size === victims.length, "20 ready pods on b's nodes and every pod of a evicted", 60_000);
    const total = wholeAt - killedAt;
    await until(() => k.json('get', 'deployment', 'web', '-n', NS).status?.availableReplicas === REPLICAS, 'the Deployment to report 20 available', 30_000);
    const doneMs = Date.now() - killedAt;

    // each pod of a went once its toleration ran out (counted from its node's taint), not before
    const lateness: number[] = [];
    for (const name of victims) {
      const pod = w.pods.get(name)!;
      expect(pod.metadata.deletionTimestamp).toBeTruthy(); // evicted, still terminating: its node is gone
      // marked not Ready (by the controller, its kubelet being silent) before it was evicted
      expect(notReadyAt.get(name)).toBeLessThan(evictedAt.get(name)!);
      expect(pod.status!.conditions!.find((c) => c.type === 'Ready')!.status).toBe('False');
      const due = taintedAt.get(pod.spec!.nodeName!)! + TOLERATION_S * 1000;
      lateness.push(evictedAt.get(name)! - due);
    }
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(-1000); // the taint's timeAdded has second precision
    expect(Math.max(...lateness)).toBeLessThan(5000);
    // replacements on b only; the Deployment whole
    expect(w.count((p) => isReady(p) && onB(p))).toBe(REPLICAS);
    expect(w.count((p) => !p.metadata.deletionTimestamp && onA(p))).toBe(0);
    const d = k.json('get', 'deployment', 'web', '-n', NS);
    expect(d.status).toMatchObject({ replicas: REPLICAS, readyReplicas: REPLICAS, availableReplicas: REPLICAS });
    expect(w.errors).toEqual([]);
    console.log(
      `[node-failure] ${JSON.stringify({
        podsOnKilledSim: victims.length,
        nodesUnknownMs: unknownMs,
        killToAllAvailableMs: total,
        killToDeploymentStatusAvailableMs: doneMs,
        evictionAfterTolerationMs: { min: Math.min(...lateness), max: Math.max(...lateness) },
      })}`,
    );
  } finally {
    await w.stop();
  }
}, 150_000);
