// `npm run bench -- pod-startup [--pods 50] [--rate 10] [--cni-chain nftables|legacy]`
// Pod startup latency on one real node: a `skiff server` and a `skiff agent` (this machine's
// containerd and CNI plugins) as child processes; pods (busybox, image already on the node) are
// created at `rate` per second through the kernel bus, scheduled by the scheduler, started by the
// agent; the figure is each pod's time from create to its status saying Running (seen through a
// watch), as Kubernetes' pod startup SLO measures it (SLO: p99 <= 5 s).
//
// In the same run, one after another on the same node (each phase's pods are gone before the next):
//   1. the pods with the pod network through Skiff        -> p50Ms … p99Ms
//   2. the same pods with hostNetwork through Skiff       -> hostNetworkP99Ms (no CNI at all)
//   (each phase waits --settle seconds, default 10, after the previous one's pods are gone)
//   3. the same pods straight through CRI, no Skiff: RunPodSandbox, CreateContainer, StartContainer
//      (kubelet's own sandbox and container configs, the conflist the agent wrote) at the same
//      rate, timed from when each was due to StartContainer's answer -> criFloorP99Ms
// `--cni-chain legacy` runs the agent with the previous chain (bridge ipMasq + portmap + firewall)
// to compare against the default (nftables) back to back. The load average is in the figures:
// the other phases and variants are the comparison, not an absolute. The node (bench/_node.ts) runs
// under the host lock, so no real-node test runs meanwhile. The last line is JSON.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { containerConfig, podSandboxConfig, type Pod } from '../plugins/kubelet/pod-config/mod.ts';
import { deleteAndWait, latencies, openLoopPods, PODS_REF, startBenchNode } from './_node.ts';
import { cpuSeconds } from './_util.ts';
import { openLoop, pct, sleep, type Figures } from './_util.ts';

const { values: flags } = parseArgs({
  options: {
    pods: { type: 'string', default: '50' },
    rate: { type: 'string', default: '10' },
    'cni-chain': { type: 'string', default: 'nftables' },
    /** seconds to wait between phases (what a phase tore down settles: snapshots, shims) */
    settle: { type: 'string', default: '10' },
  },
  allowPositionals: true,
});
const PODS = Number(flags.pods);
const RATE = Number(flags.rate);
const CHAIN = flags['cni-chain']!;
const round1 = (x: number) => Math.round(x * 10) / 10;

const out: Figures = { bench: 'pod-startup', pods: PODS, rate: RATE, cniChain: CHAIN, loadavg1: round1(loadavg()[0]!) };
const node = await startBenchNode({ name: 'pods', agentArgs: ['--cni-chain', CHAIN] });
const { kernel, cri, server, agent } = node;

const podSpec = (hostNetwork: boolean) => ({
  terminationGracePeriodSeconds: 1,
  ...(hostNetwork ? { hostNetwork: true } : {}),
  containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'exec sleep 3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
});

/** Phase 1 / 2: pods through Skiff; latency from create to Running seen through a watch. */
async function throughSkiff(prefix: string, hostNetwork: boolean): Promise<number[]> {
  const names = Array.from({ length: PODS }, (_, i) => `${prefix}-${i}`);
  const { times } = await openLoopPods({
    kernel,
    namespace: 'default',
    names,
    rate: RATE,
    create: (name) => kernel.create(PODS_REF, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: podSpec(hostNetwork) }),
  });
  // the pods (and their containers) go before the next phase
  await deleteAndWait(kernel, PODS_REF, 'default', names);
  return latencies(times, 'running');
}

/** Phase 3: the same pods straight through CRI (no Skiff), at the same rate. */
async function throughCri(prefix: string): Promise<number[]> {
  const image = (await cri.imageStatus({ image: 'docker.io/library/busybox:latest' })).image;
  if (!image) throw new Error('busybox is not on the node');
  const resolvConf = (() => {
    try {
      return readFileSync('/etc/resolv.conf', 'utf8');
    } catch {
      return undefined;
    }
  })();
  const sandboxes: string[] = [];
  const { lat } = await openLoop(PODS, RATE, async (i) => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${prefix}-${i}`, namespace: 'default', uid: randomUUID() }, spec: podSpec(false) } as unknown as Pod;
    const sandbox = podSandboxConfig(pod, { attempt: 0, managedBy: 'skiff-bench-floor', dns: { clusterDNS: [], clusterDomain: 'cluster.local', ...(resolvConf ? { resolvConf } : {}) } });
    const id = await cri.runPodSandbox(sandbox);
    sandboxes.push(id);
    const config = containerConfig(pod, pod.spec.containers[0]!, { attempt: 0, env: [], mounts: [], imageRef: image.id, resources: { memoryCapacity: totalmem() }, managedBy: 'skiff-bench-floor' });
    await cri.startContainer(await cri.createContainer(id, config, sandbox));
  });
  for (const id of sandboxes) {
    for (const c of await cri.listContainers({ podSandboxId: id })) {
      await cri.stopContainer(c.id, 0).catch(() => {});
      await cri.removeContainer(c.id).catch(() => {});
    }
    await cri.stopPodSandbox(id).catch(() => {});
    await cri.removePodSandbox(id).catch(() => {});
  }
  return lat;
}

let ok = true;
/** the phase's result, with the CPU seconds the Skiff server and agent used during it */
async function phase(name: string, f: () => Promise<number[]>): Promise<number[]> {
  const [s0, a0] = [cpuSeconds(server.pid), cpuSeconds(agent.pid)];
  const lat = await f();
  out[`${name}ServerCpuS`] = round1(cpuSeconds(server.pid) - s0);
  out[`${name}AgentCpuS`] = round1(cpuSeconds(agent.pid) - a0);
  return lat;
}
const podNet = await phase('podNetwork', () => throughSkiff('startup', false));
ok &&= podNet.length === PODS;
Object.assign(out, {
  running: podNet.length,
  p50Ms: Math.round(pct(podNet, 50)),
  p90Ms: Math.round(pct(podNet, 90)),
  p99Ms: Math.round(pct(podNet, 99)),
  maxMs: Math.round(Math.max(...podNet)),
});
const settle = () => sleep(Number(flags.settle) * 1000);
await settle();
const hostNet = await phase('hostNetwork', () => throughSkiff('startup-hostnet', true));
ok &&= hostNet.length === PODS;
Object.assign(out, { hostNetworkP50Ms: Math.round(pct(hostNet, 50)), hostNetworkP99Ms: Math.round(pct(hostNet, 99)) });
await settle();
const floor = await phase('criFloor', () => throughCri('floor'));
Object.assign(out, {
  criFloorP50Ms: Math.round(pct(floor, 50)),
  criFloorP99Ms: Math.round(pct(floor, 99)),
  p99OverFloor: Math.round((pct(podNet, 99) / pct(floor, 99)) * 100) / 100,
  loadavg1End: round1(loadavg()[0]!),
});

await node.stop();
console.log(JSON.stringify(out));
process.exit(ok ? 0 : 1);
