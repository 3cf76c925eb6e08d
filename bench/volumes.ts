// `npm run bench -- volumes [--pods 50] [--rate 10] [--settle 10]`
// Pod startup with persistent volumes on one real node, the setup `skiff up` gives: `skiff server`
// (default distribution), `skiff agent` (this machine's containerd and CNI plugins), `skiff
// csi-hostpath` for that agent (xfs image files on loop devices) and deploy/storage/hostpath.yaml's
// CSIDriver and default StorageClass (hostpath, WaitForFirstConsumer, reclaim Delete), installed as
// up installs them (cli/up-storage.ts). Each figure is a pod's time from when its create was due
// (open loop at --rate) to its status saying Running, seen through a watch (bench/_node.ts).
//
// In the same run, one after another on the same node:
//   1. `--pods` pods, each with its own new PVC (default class, the driver's smallest volume: 300 MiB,
//      mkfs.xfs's minimum) created together with it -> p50Ms, p99Ms; and where the time goes, seen
//      through watches: the scheduler choosing the node for the claim (selected-node), the
//      provisioner's Provisioning Event, the PV written (CreateVolume done), the claim Bound, the pod
//      bound to the node, Running. Then the pods and the PVCs are
//      deleted and the run waits for the PVs, the image files and the loop devices to be gone.
//   2. (after --settle seconds) the same pods without volumes -> noVolumeP50Ms, noVolumeP99Ms.
// Each phase's CPU seconds of server, agent and driver count its teardown too. `leftoverPvs` and
// `leftoverLoopDevices` (of this run's driver) must be 0. The driver gets --capacity for all the
// volumes: up's default (10Gi) holds 34 volumes of 300 MiB. Loop devices past the kernel's max_loop
// (8 here) are made on demand through /dev/loop-control, so 50 attach. What shares the cores: the
// server (with its nats-server), the agent, the driver, containerd with its shims and runc, CNI
// plugins, this process, and whatever else runs on the machine (loadavg1 at the start and the end,
// cpus). The node runs under the host lock (bench/_node.ts). The last line is JSON.
import type { ChildProcess } from 'node:child_process';
import { openSync, readdirSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ANN_SELECTED_NODE, CSI_NODES, EVENTS, PVCS, PVS } from '@skiff/api';
import { runProcess } from '@skiff/client';
import type { KObject, ResourceRef } from '@skiff/kernel';
import { installHostpathObjects } from '../cli/up-storage.ts';
import { deleteAndWait, latencies, openLoopPods, PODS_REF, startBenchNode, type PodTimes } from './_node.ts';
import { cpuSeconds } from './_util.ts';
import { pct, sleep, type Figures } from './_util.ts';

const { values: flags } = parseArgs({
  options: {
    pods: { type: 'string', default: '50' },
    rate: { type: 'string', default: '10' },
    /** seconds to wait between the phases (what phase 1 tore down settles: mounts, shims) */
    settle: { type: 'string', default: '10' },
  },
  allowPositionals: true,
});
const PODS = Number(flags.pods);
const RATE = Number(flags.rate);
if (!Number.isInteger(PODS) || PODS < 1 || !(RATE > 0)) throw new Error('--pods must be a whole number > 0 and --rate > 0');
const DRIVER = 'hostpath.csi.skiff.io';
const MiB = 1024 * 1024;
const VOLUME_BYTES = 300 * MiB;
const UP_CAPACITY_BYTES = 10 * 1024 * MiB; // `skiff csi-hostpath`'s default, what up runs
const CAPACITY_MIB = Math.max(UP_CAPACITY_BYTES, PODS * VOLUME_BYTES) / MiB;
const NS = 'default';
const round1 = (x: number) => Math.round(x * 10) / 10;
const ms = (x: number) => Math.round(x);

const out: Figures = { bench: 'volumes', pods: PODS, rate: RATE, driverCapacityMi: CAPACITY_MIB, cpus: cpus().length, loadavg1: round1(loadavg()[0]!) };
const node = await startBenchNode({ name: 'volumes' });
const { kernel, nodeName, rootDir } = node;
const dataDir = join(rootDir, 'csi-hostpath'); // the driver's default --data-dir

/** up's storage: the cluster objects, then `skiff csi-hostpath` for the node, waited for until the node's CSINode lists it. */
async function startDriver(): Promise<ChildProcess> {
  await installHostpathObjects(kernel);
  const driver = node.run(['csi-hostpath', '--root-dir', rootDir, '--node-id', nodeName, '--capacity', `${CAPACITY_MIB}Mi`, '--log-level', 'warn'], openSync(join(node.home, 'csi-hostpath.log'), 'a'));
  for (let t0 = Date.now(); ; await sleep(200)) {
    const cn = await kernel.get(CSI_NODES, undefined, nodeName).catch(() => undefined);
    if (((cn?.spec as { drivers?: { name: string }[] } | undefined)?.drivers ?? []).some((d) => d.name === DRIVER)) return driver;
    if (driver.exitCode !== null) throw new Error(`skiff csi-hostpath exited with ${driver.exitCode} (see ${join(node.home, 'csi-hostpath.log')})`);
    if (Date.now() - t0 > 60_000) throw new Error(`the host-path driver did not register with node ${nodeName}`);
  }
}

/** This driver's loop devices: those whose backing file is under its data dir. */
async function loopDevices(): Promise<string[]> {
  const r = await runProcess('losetup', ['--noheadings', '--list', '--output', 'NAME,BACK-FILE'], { timeoutMs: 10_000 });
  return r.stdout.split('\n').map((l) => l.trim().split(/\s+/)).filter(([, back]) => back?.startsWith(dataDir + '/')).map(([name]) => name!);
}
const imageFiles = (): string[] => {
  try {
    return readdirSync(join(dataDir, 'volumes')).filter((f) => f.endsWith('.img'));
  } catch {
    return [];
  }
};

const podSpec = (claim?: string) => ({
  terminationGracePeriodSeconds: 1,
  containers: [
    {
      name: 'c', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'exec sleep 3600'],
      resources: { requests: { cpu: '10m', memory: '16Mi' } },
      ...(claim ? { volumeMounts: [{ name: 'data', mountPath: '/data' }] } : {}),
    },
  ],
  ...(claim ? { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: claim } }] } : {}),
});
const pod = (name: string, claim?: string): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS }, spec: podSpec(claim) });
const claim = (name: string): KObject => ({
  apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: NS },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: `${VOLUME_BYTES / MiB}Mi` } } }, // no class: the default one
});

let ok = true;
const [serverPid, agentPid] = [node.server.pid, node.agent.pid];
let driverPid: number | undefined;
/** runs a phase and records the CPU seconds server, agent and driver used during it */
async function phase<T>(name: string, f: () => Promise<T>): Promise<T> {
  const [s0, a0, d0] = [cpuSeconds(serverPid), cpuSeconds(agentPid), cpuSeconds(driverPid)];
  const r = await f();
  out[`${name}ServerCpuS`] = round1(cpuSeconds(serverPid) - s0);
  out[`${name}AgentCpuS`] = round1(cpuSeconds(agentPid) - a0);
  out[`${name}DriverCpuS`] = round1(cpuSeconds(driverPid) - d0);
  return r;
}

/** Calls `see` with each object a watch of `ref` sends; the function returned stops it. */
function watchEach(ref: ResourceRef, namespace: string | undefined, see: (o: KObject) => void): () => Promise<void> {
  const w = kernel.watch(ref, namespace ? { namespace } : {});
  const done = (async () => {
    for await (const ev of w) if (ev.type === 'ADDED' || ev.type === 'MODIFIED') see(ev.object);
  })().catch(() => {});
  return () => (w.stop(), done);
}

/** ms from bound to the node to Running, for the pods seen both */
const scheduledToRunning = (times: Map<string, PodTimes>): number[] =>
  [...times.values()].filter((t) => t.scheduled !== undefined && t.running !== undefined).map((t) => t.running! - t.scheduled!);

/** Phase 1: each pod with its own new PVC, both created at the pod's due time. */
async function withVolumes(): Promise<void> {
  const names = Array.from({ length: PODS }, (_, i) => `vol-${i}`);
  // the claims' way, each step when a watch first saw it: the scheduler's node for the claim
  // (WaitForFirstConsumer), the provisioner's Provisioning Event (CreateVolume is next), the PV
  // written (CreateVolume done), the claim Bound
  type Step = 'selected' | 'provisioning' | 'provisioned' | 'bound';
  const claimAt = new Map<string, Partial<Record<Step, number>>>(names.map((n) => [n, {}]));
  const mark = (claimName: string | undefined, step: Step) => {
    const c = claimAt.get(claimName ?? '');
    if (c && c[step] === undefined) c[step] = performance.now();
  };
  const watches = [
    watchEach(PVCS, NS, (o) => {
      if (o.metadata.annotations?.[ANN_SELECTED_NODE]) mark(o.metadata.name, 'selected');
      if ((o.status as { phase?: string } | undefined)?.phase === 'Bound') mark(o.metadata.name, 'bound');
    }),
    watchEach(EVENTS, NS, (o) => {
      const e = o as unknown as { reason?: string; involvedObject?: { kind?: string; name?: string } };
      if (e.reason === 'Provisioning' && e.involvedObject?.kind === 'PersistentVolumeClaim') mark(e.involvedObject.name, 'provisioning');
    }),
    watchEach(PVS, undefined, (o) => {
      const ref = (o.spec as { claimRef?: { namespace?: string; name?: string } } | undefined)?.claimRef;
      if (ref?.namespace === NS) mark(ref.name, 'provisioned');
    }),
  ];
  const { times, failedCreates } = await openLoopPods({
    kernel, namespace: NS, names, rate: RATE, timeoutMs: 300_000,
    create: (name) => Promise.all([kernel.create(PVCS, claim(name)), kernel.create(PODS_REF, pod(name, name))]),
  });
  out.loopDevicesAtPeak = (await loopDevices()).length;
  // what the sparse images really take on the agent root's filesystem (mkfs.xfs writes its log)
  out.imagesDiskMiBAtPeak = Math.round(imageFiles().reduce((sum, f) => sum + statSync(join(dataDir, 'volumes', f)).blocks * 512, 0) / MiB);
  await Promise.all(watches.map((stop) => stop()));
  const run = latencies(times, 'running');
  ok &&= run.length === PODS && failedCreates.length === 0;
  /** ms from each pod's due time (or from step `from` of its claim) to step `to` of its claim */
  const between = (to: Step, from?: Step) =>
    names.flatMap((n) => {
      const c = claimAt.get(n)!;
      const t0 = from ? c[from] : times.get(n)!.due;
      return c[to] === undefined || t0 === undefined ? [] : [c[to]! - t0];
    });
  const p = (xs: number[], q: number) => ms(pct(xs, q));
  const sched = latencies(times, 'scheduled');
  const mounted = scheduledToRunning(times);
  Object.assign(out, {
    running: run.length,
    p50Ms: ms(pct(run, 50)), p90Ms: ms(pct(run, 90)), p99Ms: ms(pct(run, 99)), maxMs: ms(Math.max(...run)),
    // where the time goes (each from the pod's due create time, but the last)
    nodeSelectedP50Ms: p(between('selected'), 50), nodeSelectedP99Ms: p(between('selected'), 99),
    provisioningP50Ms: p(between('provisioning'), 50), provisioningP99Ms: p(between('provisioning'), 99),
    provisionedP50Ms: p(between('provisioned'), 50), provisionedP99Ms: p(between('provisioned'), 99),
    // Provisioning Event -> PV: CreateVolume, with its wait behind the driver's other calls (it makes one volume at a time)
    createVolumeP50Ms: p(between('provisioned', 'provisioning'), 50), createVolumeP99Ms: p(between('provisioned', 'provisioning'), 99),
    claimBoundP50Ms: p(between('bound'), 50), claimBoundP99Ms: p(between('bound'), 99),
    podScheduledP50Ms: ms(pct(sched, 50)), podScheduledP99Ms: ms(pct(sched, 99)),
    scheduledToRunningP50Ms: ms(pct(mounted, 50)), scheduledToRunningP99Ms: ms(pct(mounted, 99)),
  });

  // teardown: pods, then claims; reclaim Delete takes the PVs, the driver the images and loop devices
  const podsLeft = await deleteAndWait(kernel, PODS_REF, NS, names, 120_000);
  const claimsLeft = await deleteAndWait(kernel, PVCS, NS, names, 120_000);
  let pvs: string[] = [];
  let loops: string[] = [];
  let images: string[] = [];
  for (let t0 = Date.now(); Date.now() - t0 < 120_000; await sleep(500)) {
    pvs = (await kernel.list(PVS)).items.filter((pv) => (pv.spec as { csi?: { driver?: string } }).csi?.driver === DRIVER).map((pv) => pv.metadata.name!);
    [loops, images] = [await loopDevices(), imageFiles()];
    if (pvs.length + loops.length + images.length === 0) break;
  }
  Object.assign(out, { leftoverPods: podsLeft.length, leftoverPvcs: claimsLeft.length, leftoverPvs: pvs.length, leftoverLoopDevices: loops.length, leftoverImageFiles: images.length });
  if (podsLeft.length + claimsLeft.length + pvs.length + loops.length + images.length) {
    ok = false;
    process.stderr.write(`[bench] left behind: pods ${podsLeft} pvcs ${claimsLeft} pvs ${pvs} loop devices ${loops} images ${images}\n`);
  }
}

/** Phase 2: the same pods without volumes. */
async function withoutVolumes(): Promise<void> {
  const names = Array.from({ length: PODS }, (_, i) => `novol-${i}`);
  const { times } = await openLoopPods({ kernel, namespace: NS, names, rate: RATE, create: (name) => kernel.create(PODS_REF, pod(name)) });
  const run = latencies(times, 'running');
  ok &&= run.length === PODS;
  Object.assign(out, {
    noVolumeRunning: run.length,
    noVolumeP50Ms: ms(pct(run, 50)), noVolumeP99Ms: ms(pct(run, 99)),
    noVolumePodScheduledP50Ms: ms(pct(latencies(times, 'scheduled'), 50)),
    noVolumeScheduledToRunningP50Ms: ms(pct(scheduledToRunning(times), 50)),
  });
  const left = await deleteAndWait(kernel, PODS_REF, NS, names, 120_000);
  ok &&= left.length === 0;
}

/**
 * After a failed run: this driver's loop devices unmounted and detached, so nothing outlives the
 * benchmark (the home with the image files goes in node.stop()).
 */
async function lastResortCleanup(): Promise<void> {
  const devices = await loopDevices().catch((): string[] => []);
  if (!devices.length) return;
  const mounts = (await runProcess('findmnt', ['--raw', '--noheadings', '--output', 'SOURCE,TARGET'], { timeoutMs: 10_000 })).stdout.split('\n').map((l) => l.split(' '));
  for (const [source, target] of mounts) if (devices.includes(source!) && target) await runProcess('umount', [target], { timeoutMs: 30_000 }).catch(() => {});
  for (const d of devices) await runProcess('losetup', ['--detach', d], { timeoutMs: 10_000 }).catch(() => {});
  process.stderr.write(`[bench] detached ${devices.join(' ')} after a failed run\n`);
}

try {
  driverPid = (await startDriver()).pid;
  await phase('volumes', withVolumes);
  await sleep(Number(flags.settle) * 1000);
  await phase('noVolume', withoutVolumes);
  out.p99OverNoVolume = Math.round(((out.p99Ms as number) / (out.noVolumeP99Ms as number)) * 100) / 100;
  out.loadavg1End = round1(loadavg()[0]!);
} catch (e) {
  // a failed run leaves nothing running: its pods and claims go while the node still runs
  const names = async (ref: typeof PODS_REF) => (await kernel.list(ref, { namespace: NS })).items.map((o) => o.metadata.name!);
  await deleteAndWait(kernel, PODS_REF, NS, await names(PODS_REF), 60_000).catch(() => {});
  await deleteAndWait(kernel, PVCS, NS, await names(PVCS), 60_000).catch(() => {});
  await lastResortCleanup();
  throw e;
} finally {
  await node.stop();
}
console.log(JSON.stringify(out));
process.exit(ok ? 0 : 1);
