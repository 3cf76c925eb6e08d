// Draining nodes end to end: the real `skiff server` (the default distribution), `skiff sim` hollow
// nodes in their own process, a ReplicaSet of 3 pods behind a PodDisruptionBudget of
// minAvailable 2. `kubectl drain`, then `skiff drain`, move the pods off their nodes one at a time:
// a watch on the pods never sees more than one of them missing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { natsUrlOf, startSim, type Sim } from './hollow-cluster.ts';
import { isReady, PodWatch, kubectlAsync, type WatchedPod } from './pod-watch.ts';
import { kubectlFor, until, type Kubectl } from './kubectl-client.ts';
import { runSkiff, startSkiff, type SkiffProcess } from './skiff-process.ts';

const NS = 'drain';
const REPLICAS = 3;
const MANIFEST = `apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web, namespace: ${NS}}
spec:
  replicas: ${REPLICAS}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: c, image: busybox, command: [sleep, "3600"]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: ${NS}}
spec:
  minAvailable: ${REPLICAS - 1}
  selector: {matchLabels: {app: web}}
`;


let home: string;
let skiff: SkiffProcess | undefined;
let sim: Sim | undefined;
let k: Kubectl;

const podsOn = (node: string) =>
  k.json('get', 'pods', '-n', NS, '--field-selector', `spec.nodeName=${node}`).items as WatchedPod[];

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'skiff-drain-'));
  skiff = await startSkiff(home);
  k = kubectlFor(skiff.kubeconfig, home);
  sim = await startSim(await natsUrlOf(home), 3);
}, 120_000);

afterAll(async () => {
  await sim?.kill('SIGTERM');
  await skiff?.kill('SIGTERM');
  if (home) rmSync(home, { recursive: true, force: true });
}, 60_000);

it('kubectl drain, then skiff drain, evict a budgeted ReplicaSet one pod at a time', async () => {
  // every pod on hollow-0: the other nodes are cordoned while the ReplicaSet starts
  for (const n of ['hollow-1', 'hollow-2']) expect(k('cordon', n).out).toBe(`node/${n} cordoned\n`);
  const file = join(home, 'web.yaml');
  writeFileSync(file, MANIFEST);
  const applied = k('apply', '-f', file);
  expect(applied.err).toBe('');
  await until(() => {
    const pdb = k.json('get', 'pdb', 'web', '-n', NS);
    return pdb.status?.currentHealthy === REPLICAS && pdb.status.disruptionsAllowed === 1;
  }, 'the budget to allow one disruption', 60_000);
  expect(podsOn('hollow-0')).toHaveLength(REPLICAS);
  expect(k('get', 'pdb', 'web', '-n', NS, '--no-headers').out).toMatch(/^web\s+2\s+N\/A\s+1\s/);
  for (const n of ['hollow-1', 'hollow-2']) expect(k('uncordon', n).out).toBe(`node/${n} uncordoned\n`);

  const watch = new PodWatch(skiff!, NS, undefined, 'app=web');
  try {
    await until(() => watch.ready() === REPLICAS, 'the watch to see the pods');
    watch.reset();
    const t0 = Date.now();
    const r = await kubectlAsync(skiff!.kubeconfig, home, 'drain', 'hollow-0', '--ignore-daemonsets', '--timeout=120s');
    expect(r.code).toBe(0);
    const out = r.out.split('\n');
    expect(out[0]).toBe('node/hollow-0 cordoned');
    expect(out.filter((l) => /^pod\/web-\w+ evicted$/.test(l))).toHaveLength(REPLICAS);
    expect(out).toContain('node/hollow-0 drained');
    // the budget held evictions back (429, retried after 5 s). kubectl retries each pod on its own
    // clock: when the third pod's retry comes after the second's replacement is ready (its first 429
    // came later, e.g. on a loaded machine), it passes at once, so only one 5 s wait is certain
    expect(r.err).toContain("(will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.");
    expect(Date.now() - t0).toBeGreaterThan(5000);
    // one pod missing at a time, never two; and one was missing (a disruption happened)
    expect(watch.minReady).toBe(REPLICAS - 1);
    expect(podsOn('hollow-0')).toEqual([]);
    await until(() => watch.ready() === REPLICAS, 'the ReplicaSet whole again elsewhere');

    // skiff drain, node by node, back onto hollow-0
    expect(k('uncordon', 'hollow-0').out).toBe('node/hollow-0 uncordoned\n');
    watch.reset();
    for (const node of ['hollow-1', 'hollow-2']) {
      const onNode = podsOn(node).length;
      const s = await runSkiff(['drain', node, '--timeout', '120s'], { env: { ...process.env, KUBECONFIG: skiff!.kubeconfig }, timeoutMs: 150_000 });
      expect(s.code, s.stderr).toBe(0);
      expect(s.stdout.split('\n').filter((l) => /^pod\/web-\w+ evicted$/.test(l))).toHaveLength(onNode);
      expect(s.stdout).toContain(`node/${node} drained`);
      expect(podsOn(node)).toEqual([]);
      await until(() => watch.ready() === REPLICAS, `the ReplicaSet whole again after draining ${node}`);
    }
    expect(watch.minReady).toBe(REPLICAS - 1);
    expect(podsOn('hollow-0').filter(isReady)).toHaveLength(REPLICAS);
    expect(k('get', 'nodes', '--no-headers').out).toMatch(/hollow-1\s+Ready,SchedulingDisabled/);
  } finally {
    await watch.stop();
  }
}, 240_000);
