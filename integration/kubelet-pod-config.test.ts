// End to end against the real containerd: a pod from YAML (env from a ConfigMap, a configMap volume,
// an emptyDir, cpu/memory limits) turned into CRI configs by the kubelet's pod-config module (which
// knows only the CRI contract, @skiff/node-api; here it meets containerd), run as a sandbox and one
// busybox container, checked from inside the container with ExecSync. Once on the host network (no CNI
// needed), and once on the pod network: with the CNI config containerd has loaded (a Skiff agent's),
// or, when it has none (NetworkReady false), with a bridge network of this test's own, written to
// /etc/cni/net.d for the test and removed after it. Fails, saying why, unless root and containerd
// answers (SKIFF_TESTS_WITHOUT=containerd skips it on purpose).
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { PodSandboxConfig } from '@skiff/node-api';
import { CriClient, sandboxOomProblem } from '@skiff/plugin-cri-containerd';
import { ensureTestImages } from '@skiff/plugin-cri-containerd/testing';
import { containerConfig } from '../plugins/kubelet/pod-config/container-config.ts';
import { parseResolvConf } from '../plugins/kubelet/pod-config/dns.ts';
import { makeEnvironmentVariables } from '../plugins/kubelet/pod-config/env.ts';
import { makeMounts } from '../plugins/kubelet/pod-config/mounts.ts';
import { staticObjectReader } from '../plugins/kubelet/pod-config/object-reader.ts';
import { podDir } from '../plugins/kubelet/pod-config/paths.ts';
import { podSandboxConfig } from '../plugins/kubelet/pod-config/sandbox-config.ts';
import type { Pod } from '../plugins/kubelet/pod-config/types.ts';
import { containerdAt, describeNeeding, excludedParts } from '../scripts/test-parts.ts';
import { removePodDirectory, setUpPodVolumes, updatePodVolumes } from '../plugins/kubelet/pod-config/volumes.ts';

const SOCKET = process.env.SKIFF_CRI_SOCKET ?? '/run/containerd/containerd.sock';
const MiB = 2 ** 20;

/** Why containerd, answering on SOCKET, cannot start sandboxes here (its config), or null. */
async function sandboxProblem(): Promise<string | null> {
  // not root, no socket, or left out: the part checks say so
  if (process.getuid?.() !== 0 || !existsSync(SOCKET.replace(/^unix:\/\//, '')) || excludedParts().has('containerd')) return null;
  const cri = new CriClient({ socket: SOCKET, timeoutMs: 3_000 });
  try {
    await cri.version();
    const problem = sandboxOomProblem(await cri.status(true));
    return problem ? `containerd cannot start sandboxes here: ${problem}` : null;
  } catch (e) {
    return `containerd at ${SOCKET} does not answer: ${(e as Error).message}`;
  } finally {
    cri.close();
  }
}
const cannotRunSandboxes = await sandboxProblem();

// the pod network of this test's own, for a containerd with no CNI config loaded (no Skiff agent
// ran here): not the agents' network name, and its file sorts after their 10-skiff.conflist
const CNI_CONF_DIR = '/etc/cni/net.d';
const TEST_NETWORK = 'skiff-pod-config-test';
const TEST_BRIDGE = 'skiffpct0';
const TEST_CONFLIST = join(CNI_CONF_DIR, `90-${TEST_NETWORK}.conflist`);

/** Makes containerd's pod network ready (NetworkReady); returns what undoes it. */
async function ensurePodNetwork(cri: CriClient): Promise<() => void> {
  const ready = async () => (await cri.status()).status?.conditions.find((c) => c.type === 'NetworkReady')?.status === true;
  if (await ready()) return () => {};
  mkdirSync(CNI_CONF_DIR, { recursive: true });
  const bridge = { type: 'bridge', bridge: TEST_BRIDGE, isGateway: true, ipMasq: false, ipam: { type: 'host-local', ranges: [[{ subnet: '10.251.0.0/24' }]] } };
  writeFileSync(TEST_CONFLIST, JSON.stringify({ cniVersion: '1.0.0', name: TEST_NETWORK, plugins: [bridge] }, null, 2));
  const undo = () => {
    rmSync(TEST_CONFLIST, { force: true });
    spawnSync('ip', ['link', 'del', TEST_BRIDGE], { stdio: 'ignore' });
    rmSync(join('/var/lib/cni/networks', TEST_NETWORK), { recursive: true, force: true }); // host-local's state
  };
  for (const deadline = Date.now() + 30_000; !(await ready()); await new Promise((r) => setTimeout(r, 250))) {
    if (Date.now() > deadline) {
      undo();
      throw new Error(`containerd did not load ${TEST_CONFLIST} within 30s (NetworkReady stays false; CNI conf_dir in deploy/containerd/config.toml?)`);
    }
  }
  return undo;
}

const RUN = randomUUID().slice(0, 8);
// Not the agents' MANAGED_BY value: a Skiff agent running on this machine (another engineer's test)
// treats every sandbox labeled skiff-agent that is not one of its pods as an orphan and removes it.
const MANAGED_BY_TEST = 'skiff-pod-config-test';
const LABELS = { 'skiff.io/test': 'pod-config', 'skiff.io/test-run': RUN };

const POD_YAML = `
apiVersion: v1
kind: Pod
metadata:
  name: pod-config-${RUN}
  namespace: skiff-test
  labels: ${JSON.stringify(LABELS)}
spec:
  hostNetwork: HOST_NETWORK
  dnsPolicy: ClusterFirst
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: BUSYBOX
    command: ["sh", "-c", "trap 'exit 0' TERM; echo started; sleep 1000 & wait"]
    envFrom:
    - configMapRef: {name: app-config}
      prefix: CFG_
    env:
    - name: GREETING
      valueFrom:
        configMapKeyRef: {name: app-config, key: greeting}
    - name: POD_NAME
      valueFrom:
        fieldRef: {fieldPath: metadata.name}
    - name: MESSAGE
      value: "$(GREETING) from $(POD_NAME), not $$(POD_NAME)"
    - name: MEM_LIMIT_MI
      valueFrom:
        resourceFieldRef: {resource: limits.memory, divisor: 1Mi}
    resources:
      limits: {cpu: 500m, memory: 64Mi}
    volumeMounts:
    - {name: config, mountPath: /etc/app}
    - {name: scratch, mountPath: /scratch}
    - {name: scratch, mountPath: /logs, subPathExpr: "logs/$(POD_NAME)"}
  volumes:
  - name: config
    configMap: {name: app-config}
  - name: scratch
    emptyDir: {}
`;

const configMapV = (greeting: string, conf: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'app-config', namespace: 'skiff-test' },
  data: { greeting, 'app.conf': conf },
});

describeNeeding(['root', containerdAt(SOCKET), ['containerd', () => cannotRunSandboxes]], `pod-config against containerd at ${SOCKET}`, (missing) => {
  let cri: CriClient;
  let work: string;
  let busybox: string;
  const timings: Record<string, number> = {};
  let phase = '';
  const timed = async <T>(name: string, f: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      timings[`${phase}${name}`] = Math.round((performance.now() - t0) * 10) / 10;
    }
  };

  beforeAll(async () => {
    if (missing()) return;
    cri = new CriClient({ socket: SOCKET, timeoutMs: 30_000 });
    work = mkdtempSync(join(tmpdir(), 'skiff-pod-config-it-'));
    busybox = (await timed('ensureTestImages', () => ensureTestImages(cri, join(work, 'images')))).busyboxImage;
  }, 180_000);

  afterAll(async () => {
    if (!cri) return;
    for (const s of await cri.listPodSandbox({ labelSelector: LABELS }).catch(() => [])) {
      await cri.stopPodSandbox(s.id).catch(() => {});
      await cri.removePodSandbox(s.id).catch(() => {});
    }
    cri.close();
    rmSync(work, { recursive: true, force: true });
    console.info(`pod-config integration timings (ms): ${JSON.stringify(timings)}`);
  }, 60_000);

  it('runs a host-network pod whose sandbox, env, volumes, mounts and resources come from pod-config', async () => {
    await runPod(true);
  }, 120_000);

  it('runs it on the pod network (CNI) too', async () => {
    const undo = await ensurePodNetwork(cri);
    try {
      await runPod(false);
    } finally {
      undo();
    }
  }, 120_000);

  async function runPod(hostNetwork: boolean): Promise<void> {
    const pod = parse(POD_YAML.replace('BUSYBOX', busybox).replace('HOST_NETWORK', String(hostNetwork))) as Pod;
    pod.metadata.uid = randomUUID();
    phase = hostNetwork ? 'host:' : 'pod:';
    const root = join(work, `skiff-${hostNetwork ? 'host' : 'pod'}`);
    const podLogRoot = join(work, 'pods-logs');
    let reader = staticObjectReader([configMapV('hello', 'mode=test\n')]);

    const vols = await timed('setUpPodVolumes', () => setUpPodVolumes(pod, { root, reader, nodeAllocatable: { cpu: '2', memory: String(totalmem()) } }));
    expect(vols.errors).toEqual([]);

    const resolvConf = readFileSync('/etc/resolv.conf', 'utf8');
    const dns = { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', resolvConf };
    const sandbox: PodSandboxConfig = podSandboxConfig(pod, { attempt: 0, podLogRoot, dns, managedBy: MANAGED_BY_TEST });
    expect(sandbox.hostname).toBe(hostNetwork ? '' : pod.metadata.name);
    mkdirSync(join(sandbox.logDirectory, 'main'), { recursive: true }); // the agent makes the log directories, as kubelet does

    let sandboxId = '';
    let containerId = '';
    try {
      sandboxId = await timed('RunPodSandbox', () => cri.runPodSandbox(sandbox));
      const status = (await cri.podSandboxStatus(sandboxId)).status!;
      expect(status.state).toBe('SANDBOX_READY');
      expect(status.linux?.namespaces?.options?.network).toBe(hostNetwork ? 'NODE' : 'POD');
      const podIPs = [status.network?.ip, ...(status.network?.additionalIps ?? []).map((a) => a.ip)].filter((ip): ip is string => !!ip);
      if (!hostNetwork) expect(podIPs.length).toBeGreaterThan(0);

      const c = pod.spec.containers[0];
      const env = await timed('makeEnvironmentVariables', () => makeEnvironmentVariables(pod, c, { reader, podIPs, nodeAllocatable: { memory: String(totalmem()) } }));
      const mounts = await timed('makeMounts', () => makeMounts(pod, c, { root, volumes: vols.volumes, env, hosts: { podIPs } }));
      const imageRef = (await cri.imageStatus({ image: busybox })).image!.id;
      const config = containerConfig(pod, c, { attempt: 0, env, mounts, imageRef, resources: { memoryCapacity: totalmem() }, managedBy: MANAGED_BY_TEST });
      expect(config.linux?.resources).toMatchObject({ cpuShares: 512, cpuQuota: 50000, cpuPeriod: 100000, memoryLimitInBytes: 64 * MiB, oomScoreAdj: -997 });

      containerId = await timed('CreateContainer', () => cri.createContainer(sandboxId, config, sandbox));
      await timed('StartContainer', () => cri.startContainer(containerId));
      expect((await cri.containerStatus(containerId)).status?.state).toBe('CONTAINER_RUNNING');

      const sh = async (script: string) => {
        const r = await cri.execSync(containerId, ['sh', '-c', script], 10);
        return { out: Buffer.from(r.stdout).toString().trim(), err: Buffer.from(r.stderr).toString().trim(), code: r.exitCode };
      };
      // env: from the ConfigMap (key ref and envFrom with prefix), the downward API, $(VAR) expansion
      expect((await timed('ExecSync env', () => sh('echo "$GREETING|$CFG_greeting|$POD_NAME|$MEM_LIMIT_MI"'))).out).toBe(`hello|hello|${pod.metadata.name}|64`);
      expect((await sh('echo "$MESSAGE"')).out).toBe(`hello from ${pod.metadata.name}, not $(POD_NAME)`);
      // the configMap volume: the file, read-only
      expect((await sh('cat /etc/app/app.conf')).out).toBe('mode=test');
      expect((await sh('touch /etc/app/x')).code).not.toBe(0);
      // the emptyDir: writable, shared with the host dir, subPathExpr mounted its own subdirectory
      expect(await sh('echo written > /scratch/f && cat /scratch/f')).toMatchObject({ out: 'written', code: 0 });
      expect(readFileSync(join(vols.volumes.get('scratch')!.hostPath, 'f'), 'utf8')).toBe('written\n');
      expect((await sh('echo log > /logs/l && echo ok')).out).toBe('ok');
      expect(readFileSync(join(vols.volumes.get('scratch')!.hostPath, 'logs', pod.metadata.name, 'l'), 'utf8')).toBe('log\n');
      // cgroup limits (v2 files, else v1)
      expect((await sh('cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes')).out).toBe(String(64 * MiB));
      expect((await sh('cat /sys/fs/cgroup/cpu.max 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us')).out).toMatch(/^50000( 100000)?$/);
      // the termination-message file and /etc/hosts (host network: the node's, managed)
      expect((await sh('echo bye > /dev/termination-log && echo ok')).out).toBe('ok');
      if (hostNetwork) {
        expect((await sh('head -1 /etc/hosts')).out).toBe('# Kubernetes-managed hosts file (host network).');
      } else {
        const hosts = (await sh('cat /etc/hosts')).out;
        expect(hosts).toContain('# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost');
        expect(hosts).toContain(`${podIPs[0]}\t${pod.metadata.name}`);
        expect((await sh('hostname')).out).toBe(pod.metadata.name);
        expect((await sh('ip -4 addr show eth0 2>/dev/null || ifconfig eth0')).out).toContain(podIPs[0]);
      }
      // DNS (dnsPolicy ClusterFirst): on the pod network the cluster DNS, the namespace's search
      // path then the node's, ndots:5; on the host network the node's own resolv.conf
      const resolv = (await sh('cat /etc/resolv.conf')).out;
      const lines = (k: string) => resolv.split('\n').filter((l) => l.startsWith(`${k} `));
      const node = parseResolvConf(resolvConf);
      if (hostNetwork) {
        expect(lines('nameserver')).toEqual(node.servers.map((n) => `nameserver ${n}`));
        expect(resolv).not.toContain('ndots:5');
      } else {
        expect(lines('nameserver')).toEqual(['nameserver 10.96.0.10']);
        expect(lines('search')).toEqual([['search', 'skiff-test.svc.cluster.local', 'svc.cluster.local', 'cluster.local', ...node.searches].join(' ')]);
        expect(lines('options')).toEqual(['options ndots:5']);
      }
      const oom = (await sh('cat /proc/1/oom_score_adj')).out;
      console.info(`container oom_score_adj: ${oom} (asked -997; containerd's restrict_oom_score_adj clamps it to its own)`);

      // a ConfigMap update reaches the running container through the AtomicWriter's ..data swap
      reader = staticObjectReader([configMapV('hello', 'mode=updated\n')]);
      const upd = await timed('updatePodVolumes', () => updatePodVolumes(pod, { root, reader }));
      expect(upd.updated).toEqual(['config']);
      expect((await sh('cat /etc/app/app.conf')).out).toBe('mode=updated');

      const tm = config.mounts.find((m) => m.containerPath === '/dev/termination-log')!;
      expect(readFileSync(tm.hostPath, 'utf8')).toBe('bye\n');
    } finally {
      if (containerId) {
        await timed('StopContainer', () => cri.stopContainer(containerId, 1)).catch(() => {});
        await cri.removeContainer(containerId).catch(() => {});
      }
      if (sandboxId) {
        await timed('StopPodSandbox', () => cri.stopPodSandbox(sandboxId)).catch(() => {});
        await cri.removePodSandbox(sandboxId).catch(() => {});
      }
      await timed('removePodDirectory', () => removePodDirectory(pod.metadata.uid!, { root }));
    }
    expect(existsSync(podDir(root, pod.metadata.uid!))).toBe(false);
    expect(await cri.listPodSandbox({ labelSelector: LABELS })).toEqual([]);
  }
});
