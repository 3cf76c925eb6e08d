// Hollow nodes: a rolling update of 100 replicas end to end. `skiff server` (the default
// distribution's controllers and scheduler) and `skiff sim --nodes 20` in its own process; a
// Deployment of 100 replicas with maxUnavailable 10% and maxSurge 10% is rolled to a new template
// with `kubectl set env`, then back with `kubectl rollout undo`. A watch on the namespace's pods
// checks, at every event, that no fewer than 90 pods are ready and no more than 110 are alive (not
// being deleted). Hollow pods turn Ready at once, so the controllers alone pace the rollout: the
// bounds are exact, not softened for slow kubelets.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { natsUrlOf, startSim, type Sim } from './hollow-cluster.ts';
import { defaultDistribution } from './distribution-file.ts';
import { isAlive, isReady, kubectlAsync, PodWatch, type WatchedPod } from './pod-watch.ts';
import { kubectlFor, until, type Kubectl } from './kubectl-client.ts';
import { startSkiff, type SkiffProcess } from './skiff-process.ts';

const NS = 'rollout';
const REPLICAS = 100;
const MIN_READY = 90; // 100 - 10% (maxUnavailable rounds down)
const MAX_ALIVE = 110; // 100 + 10% (maxSurge rounds up)

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
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 10%, maxSurge: 10%}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: registry.local/web:1}
`;

let home: string;
let skiff: SkiffProcess | undefined;
let sim: Sim | undefined;
let k: Kubectl;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'skiff-rollout-hollow-'));
  skiff = await startSkiff(home, ['--distribution', defaultDistribution(home)]);
  k = kubectlFor(skiff.kubeconfig, home);
  sim = await startSim(await natsUrlOf(home), 20);
}, 120_000);

afterAll(async () => {
  await sim?.kill('SIGTERM');
  await skiff?.kill('SIGTERM');
  if (home) rmSync(home, { recursive: true, force: true });
}, 60_000);

/** The extremes a watch saw while a rollout ran, checked at every event. */
class Bounds {
  minReady = Infinity;
  maxAlive = 0;
  events = 0;
  /** the first events breaking a bound (to show what happened) */
  readonly breaches: string[] = [];
  armed = false;

  check(w: PodWatch, e: { type: string; pod: WatchedPod }): void {
    if (!this.armed) return;
    const ready = w.count(isReady);
    const alive = w.count(isAlive);
    this.events++;
    this.minReady = Math.min(this.minReady, ready);
    this.maxAlive = Math.max(this.maxAlive, alive);
    if ((ready < MIN_READY || alive > MAX_ALIVE) && this.breaches.length < 5) {
      this.breaches.push(`${e.type} ${e.pod.metadata.name}: ready ${ready}, alive ${alive}`);
    }
  }
}

const templateHash = (p: WatchedPod) => p.metadata.labels?.['pod-template-hash'];

/** Rolls with `change`, waits for `kubectl rollout status` to say done, and returns what the watch saw. */
async function roll(w: PodWatch, bounds: Bounds, change: string[], what: string) {
  const before = new Set([...w.pods.values()].map(templateHash));
  expect(before.size).toBe(1);
  bounds.armed = true;
  const t0 = Date.now();
  const changed = await kubectlAsync(skiff!.kubeconfig, home, ...change);
  expect(changed.code, changed.err).toBe(0);
  const status = await kubectlAsync(skiff!.kubeconfig, home, 'rollout', 'status', 'deployment/web', '-n', NS, '--timeout=90s');
  const statusMs = Date.now() - t0;
  expect(status.code, status.err).toBe(0);
  expect(status.out.trimEnd().split('\n').pop()).toBe('deployment "web" successfully rolled out');
  // the watch catches up with what rollout status saw: 100 ready pods of one new template, no other
  await until(() => {
    const pods = [...w.pods.values()];
    const hashes = new Set(pods.map(templateHash));
    return pods.length === REPLICAS && w.count(isReady) === REPLICAS && hashes.size === 1 && !before.has([...hashes][0]);
  }, `the watch to see 100 ready pods of the new template after ${what}`, 30_000);
  bounds.armed = false;
  const figures = { rollout: what, ms: Date.now() - t0, rolloutStatusMs: statusMs, events: bounds.events, minReady: bounds.minReady, maxAlive: bounds.maxAlive };
  console.log(`[rollout-hollow] ${JSON.stringify(figures)}`);
  expect(bounds.breaches).toEqual([]);
  expect(bounds.minReady).toBeGreaterThanOrEqual(MIN_READY);
  expect(bounds.maxAlive).toBeLessThanOrEqual(MAX_ALIVE);
  // the rollout did use its room (pods were replaced, not left alone)
  expect(bounds.events).toBeGreaterThan(2 * REPLICAS);
  return figures;
}

it('a Deployment of 100 rolls out and back with never fewer than 90 ready nor more than 110 alive', async () => {
  await until(() => k.json('get', 'nodes').items.length === 20, '20 hollow nodes');
  let bounds = new Bounds();
  const w = new PodWatch(skiff!, NS, (e, watch) => bounds.check(watch, e));
  try {
    const file = join(home, 'web.yaml');
    writeFileSync(file, MANIFEST);
    const applied = k('apply', '-f', file);
    expect(applied.code, applied.err).toBe(0);
    const t0 = Date.now();
    await until(() => w.count(isReady) === REPLICAS, '100 ready pods', 60_000);
    console.log(`[rollout-hollow] ${JSON.stringify({ created: REPLICAS, readyMs: Date.now() - t0 })}`);
    await until(() => k.json('get', 'deployment', 'web', '-n', NS).status?.availableReplicas === REPLICAS, 'the Deployment to report 100 available');
    const v1 = k.json('get', 'rs', '-n', NS, '-l', 'app=web').items;
    expect(v1).toHaveLength(1);

    await roll(w, bounds, ['set', 'env', 'deployment/web', '-n', NS, 'VERSION=2'], 'set env');
    const rolled = k.json('get', 'deployment', 'web', '-n', NS);
    expect(rolled.spec.template.spec.containers[0].env).toEqual([{ name: 'VERSION', value: '2' }]);
    expect(rolled.status).toMatchObject({ replicas: REPLICAS, updatedReplicas: REPLICAS, availableReplicas: REPLICAS });

    bounds = new Bounds();
    await roll(w, bounds, ['rollout', 'undo', 'deployment/web', '-n', NS], 'rollout undo');
    const back = k.json('get', 'deployment', 'web', '-n', NS);
    expect(back.spec.template.spec.containers[0].env).toBeUndefined();
    // back on the first ReplicaSet's template (kube reuses it: same pod-template-hash)
    const hash = v1[0].metadata.labels['pod-template-hash'];
    expect([...w.pods.values()].every((p) => templateHash(p) === hash)).toBe(true);
    expect(back.metadata.annotations['deployment.kubernetes.io/revision']).toBe('3');
    expect(w.errors).toEqual([]);
  } finally {
    await w.stop();
  }
}, 180_000);
