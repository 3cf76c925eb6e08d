// Leader election end to end: two `skiff server` processes (each its own home and API port) on one
// NATS, hollow nodes from `skiff sim`. Every controller of a process is elected by the Lease
// kube-system/skiff-controller-manager, whose holderIdentity names the leading process' pid.
// 50 Deployments of 20 replicas are created, then half scaled up and half down; the leader is
// SIGKILLed and more Deployments are scaled at once. A watch on the pods (through the surviving
// server) checks at every event that no Deployment has more pods alive than asked for (scaling
// never surges), and at the end that every pod was created once: unique names, and as many ADDED
// events as the Deployments needed. The survivor must take the Lease within 15 s and carry out the
// scale asked after the kill.
//
// NATS is a `nats-server` of its own rather than the first server's embedded one: an embedded
// nats-server dies with its server (pdeathsig), so killing that server would take the store with it,
// and the first server to start is the one that leads.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNatsServer, type EmbeddedNats } from '@skiff/kernel';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Rest, sleep, startSim, type Sim } from './hollow-cluster.ts';
import { defaultDistribution } from './distribution-file.ts';
import { isAlive, isReady, kubectlAsync, PodWatch, type WatchedPod } from './pod-watch.ts';
import { kubectlFor, until, type Kubectl } from './kubectl-client.ts';
import { startSkiff, type SkiffProcess } from './skiff-process.ts';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const NS = 'elect';
const DEPLOYMENTS = 50;
const REPLICAS = 20;
const name = (i: number) => `d-${i}`;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

let root: string;
let nats: EmbeddedNats | undefined;
const servers: SkiffProcess[] = [];
const homes: string[] = [];
let sim: Sim | undefined;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'skiff-leader-election-'));
  nats = await startNatsServer({ dataDir: join(root, 'nats') });
  const dist = defaultDistribution(root);
  for (const h of ['a', 'b']) {
    const home = join(root, h);
    mkdirSync(home);
    // one store, one encryption key for Secrets at rest (as kube-apiservers share theirs)
    if (homes.length) copyFileSync(join(homes[0], 'secret-encryption.key'), join(home, 'secret-encryption.key'));
    homes.push(home);
    servers.push(await startSkiff(home, ['--nats', nats.url, '--distribution', dist]));
  }
  sim = await startSim(nats.url, 20, ['--pods', '200']);
}, 120_000);

afterAll(async () => {
  await sim?.kill('SIGTERM');
  for (const s of servers) await s.kill('SIGTERM');
  await nats?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
}, 60_000);

const lease = (k: Kubectl) => k.json('get', 'lease', 'skiff-controller-manager', '-n', 'kube-system');
/** The pid in a holderIdentity `<host>_<pid>_<uuid>`. */
const pidOf = (identity: string) => Number(identity.split('_')[1]);

function manifest(): string {
  const docs = [`apiVersion: v1\nkind: Namespace\nmetadata: {name: ${NS}}\n`];
  for (const i of range(0, DEPLOYMENTS)) {
    docs.push(`apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name(i)}, namespace: ${NS}}
spec:
  replicas: ${REPLICAS}
  selector: {matchLabels: {app: ${name(i)}}}
  template:
    metadata: {labels: {app: ${name(i)}}}
    spec:
      containers:
      - {name: web, image: registry.local/web:1}
`);
  }
  return docs.join('---\n');
}

/** Per Deployment: the replicas asked for, and the most pods it may have alive meanwhile. */
class Desired {
  readonly replicas = new Map<string, number>(range(0, DEPLOYMENTS).map((i) => [name(i), REPLICAS]));
  readonly limit = new Map(this.replicas);
  readonly breaches: string[] = [];
  maxOver = 0;

  /** A scale is asked: the limit is the larger of old and new until it is carried out. */
  scale(names: string[], to: number): void {
    for (const n of names) {
      this.limit.set(n, Math.max(this.limit.get(n)!, to));
      this.replicas.set(n, to);
    }
  }

  settle(): void {
    for (const [n, r] of this.replicas) this.limit.set(n, r);
  }

  total(): number {
    return [...this.replicas.values()].reduce((a, b) => a + b, 0);
  }

  check(w: PodWatch, pod: WatchedPod): void {
    const app = pod.metadata.labels?.app;
    if (!app) return;
    const alive = w.count((p) => isAlive(p) && p.metadata.labels?.app === app);
    const over = alive - this.limit.get(app)!;
    this.maxOver = Math.max(this.maxOver, over);
    if (over > 0 && this.breaches.length < 5) this.breaches.push(`${app}: ${alive} alive, at most ${this.limit.get(app)} asked`);
  }

  /** Every Deployment has exactly its replicas alive (what the controllers do; Ready is the nodes' part). */
  alive(w: PodWatch): boolean {
    const alive = new Map<string, number>();
    for (const p of w.pods.values()) if (isAlive(p)) alive.set(p.metadata.labels!.app, (alive.get(p.metadata.labels!.app) ?? 0) + 1);
    return [...this.replicas].every(([n, r]) => (alive.get(n) ?? 0) === r);
  }

  /** Every Deployment has exactly its replicas, all ready, and no pod is left being deleted. */
  met(w: PodWatch): boolean {
    const ready = new Map<string, number>();
    for (const p of w.pods.values()) {
      if (!isAlive(p)) return false;
      const app = p.metadata.labels!.app;
      if (isReady(p)) ready.set(app, (ready.get(app) ?? 0) + 1);
    }
    return [...this.replicas].every(([n, r]) => (ready.get(n) ?? 0) === r) && w.pods.size === this.total();
  }
}

/**
 * Reconciles of the workload controllers, from their Plugin objects' status.runtime (what the
 * leading instance reports; both servers write these objects, the follower with leading false).
 */
class ReconcileCounter {
  private readonly max = new Map<string, number>();
  private stopped = false;
  private readonly loop: Promise<void>;
  constructor(private readonly rest: Rest) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await this.sample().catch(() => {});
      await sleep(500);
    }
  }

  async sample(): Promise<void> {
    const list = await this.rest.get('/apis/plugins.skiff.io/v1alpha1/plugins');
    for (const p of list.items as Obj[]) {
      const r = p.status?.runtime;
      if (r?.leading === true && typeof r.reconciles === 'number') this.max.set(p.metadata.name, Math.max(this.max.get(p.metadata.name) ?? 0, r.reconciles));
    }
  }

  /** the most reconciles seen per controller, and their sum over the workload controllers */
  figures(): { byController: Record<string, number>; workload: number } {
    const byController = Object.fromEntries([...this.max].filter(([, n]) => n > 0));
    return { byController, workload: (this.max.get('deployment-controller') ?? 0) + (this.max.get('replicaset-controller') ?? 0) };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

it('the other server takes over a killed leader within 15 s; no pod is lost or created twice', async () => {
  const kubectls = servers.map((s, i) => kubectlFor(s.kubeconfig, homes[i]));
  const holder0 = await until(() => lease(kubectls[0]).spec?.holderIdentity as string, 'a leader');
  const leaderIdx = servers.findIndex((s) => s.pid === pidOf(holder0));
  expect(leaderIdx, `holder ${holder0} is one of the servers (${servers.map((s) => s.pid)})`).toBeGreaterThanOrEqual(0);
  const survivor = servers[1 - leaderIdx];
  const k = kubectls[1 - leaderIdx];
  const kAsync = (...args: string[]) => kubectlAsync(survivor.kubeconfig, homes[1 - leaderIdx], ...args);
  await until(() => k.json('get', 'nodes').items.length === 20, '20 hollow nodes');

  const rest = new Rest(survivor);
  const before = new ReconcileCounter(rest);
  const want = new Desired();
  let added = 0; // pods created, from ADDED events
  let killedAt = 0;
  const afterKill = { firstCreate: 0, lastCreate: 0, firstDelete: 0, lastReady: 0 }; // when, in ms after the kill
  const w = new PodWatch(survivor, NS, (e, watch) => {
    if (e.type === 'ADDED') added++;
    if (killedAt) {
      const t = e.at - killedAt;
      if (e.type === 'ADDED') afterKill.lastCreate = t;
      if (e.type === 'ADDED' && !afterKill.firstCreate) afterKill.firstCreate = t;
      if (e.pod.metadata.deletionTimestamp && !afterKill.firstDelete) afterKill.firstDelete = t;
      if (isReady(e.pod)) afterKill.lastReady = t;
    }
    want.check(watch, e.pod);
  });
  try {
    // 1. 50 Deployments × 20 replicas
    const file = join(root, 'deployments.yaml');
    writeFileSync(file, manifest());
    const t0 = Date.now();
    const applied = await kAsync('apply', '-f', file);
    expect(applied.code, applied.err).toBe(0);
    await until(() => want.met(w), `${DEPLOYMENTS * REPLICAS} ready pods`, 90_000, 250);
    const createMs = Date.now() - t0;

    // 2. half scaled up to 30, half down to 10
    const up = range(0, 25).map(name);
    const down = range(25, 50).map(name);
    want.scale(up, 30);
    want.scale(down, 10);
    const t1 = Date.now();
    for (const [names, to] of [[up, 30], [down, 10]] as const) {
      const r = await kAsync('scale', 'deployment', ...names, '-n', NS, `--replicas=${to}`);
      expect(r.code, r.err).toBe(0);
    }
    await until(() => want.met(w), 'the scale to 30 and 10', 60_000, 250);
    want.settle();
    const scaleMs = Date.now() - t1;
    expect(added).toBe(DEPLOYMENTS * REPLICAS + 25 * 10);

    // the leader's counts are published every 2 s: let the last ones through
    await sleep(4500);
    await before.stop();

    // 3. the leader is killed; a scale is asked at once, and must be carried out by the other
    const holder = lease(k).spec.holderIdentity as string;
    expect(holder).toBe(holder0);
    killedAt = Date.now();
    await servers[leaderIdx].kill('SIGKILL');
    const more = range(0, 10).map(name);
    const fewer = range(25, 35).map(name);
    want.scale(more, 40);
    want.scale(fewer, 5);
    for (const [names, to] of [[more, 40], [fewer, 5]] as const) {
      const r = await kAsync('scale', 'deployment', ...names, '-n', NS, `--replicas=${to}`);
      expect(r.code, r.err).toBe(0);
    }
    const newHolder = await until(() => {
      const h = lease(k).spec?.holderIdentity as string | undefined;
      return h && h !== holder && h;
    }, 'a new Lease holder', 30_000, 100);
    const takeoverMs = Date.now() - killedAt;
    expect(pidOf(newHolder)).toBe(survivor.pid);
    await until(() => want.alive(w), 'the scale asked after the kill', 30_000, 100);
    const scaledMs = Date.now() - killedAt;
    // the new pods Ready, the old ones gone: the hollow nodes' part (their kernel bus watch may have
    // been served by the dead server)
    await until(() => want.met(w), 'the pods of the scale ready', 60_000, 250);
    const recoveredMs = Date.now() - killedAt;
    want.settle();
    // the new leader's counts (those of the dead one may linger in the objects until it publishes)
    await sleep(4500);
    const after = new ReconcileCounter(rest);
    await after.stop();
    const reconciles = { beforeKill: before.figures(), afterKill: after.figures() };

    // nothing lost, nothing twice
    const l = lease(k);
    expect(l.spec.leaseTransitions).toBeGreaterThanOrEqual(1);
    expect(takeoverMs).toBeLessThanOrEqual(15_000);
    expect(scaledMs).toBeLessThanOrEqual(15_000);
    expect(w.errors).toEqual([]);
    expect(want.breaches).toEqual([]);
    expect(new Set(w.added).size).toBe(w.added.length);
    expect(added).toBe(DEPLOYMENTS * REPLICAS + 25 * 10 + 10 * 10);
    const deployments = k.json('get', 'deployments', '-n', NS).items as Obj[];
    for (const d of deployments) {
      const r = want.replicas.get(d.metadata.name)!;
      expect(d.status).toMatchObject({ observedGeneration: d.metadata.generation, replicas: r, readyReplicas: r, availableReplicas: r, updatedReplicas: r });
    }
    const rss = k.json('get', 'rs', '-n', NS).items as Obj[];
    expect(rss).toHaveLength(DEPLOYMENTS); // one ReplicaSet each: none made twice
    expect(reconciles.beforeKill.workload + reconciles.afterKill.workload).toBeGreaterThanOrEqual(1000);
    console.log(
      `[leader-election] ${JSON.stringify({
        deployments: DEPLOYMENTS,
        podsCreated: added,
        watchEvents: w.events,
        createAllReadyMs: createMs,
        scaleMs,
        takeoverMs,
        killToScaleCarriedOutMs: scaledMs,
        killToScaledPodsReadyMs: recoveredMs,
        afterKillMs: afterKill,
        leaseTransitions: l.spec.leaseTransitions,
        reconciles,
      })}`,
    );
  } finally {
    await before.stop();
    await w.stop();
    await rest.close();
  }
}, 240_000);
