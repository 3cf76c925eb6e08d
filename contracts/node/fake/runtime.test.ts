// The fake runtime keeps a real runtime's rules: the states and their transitions, the names it
// reserves, the codes it fails with, pod addresses, images, latencies, deadlines and cancellation.
import { describe, expect, it } from 'vitest';
import { CriError } from '../cri/errors.ts';
import type { Input, PodSandboxConfig } from '../cri/types.ts';
import { GrpcStatus, grpcCode } from '../rpc-status.ts';
import { FakeRuntime } from './runtime.ts';

const sandboxConfig = (name = 'web', uid = 'uid-1', attempt = 0, extra: Input<PodSandboxConfig> = {}): Input<PodSandboxConfig> => ({
  metadata: { name, namespace: 'default', uid, attempt },
  labels: { 'io.kubernetes.pod.uid': uid },
  logDirectory: `/var/log/pods/default_${name}_${uid}`,
  ...extra,
});
const codeOf = (p: Promise<unknown>) => p.then(() => 'OK', (e: unknown) => grpcCode(e));

async function runningContainer(cri: FakeRuntime, name = 'app') {
  const sb = await cri.runPodSandbox(sandboxConfig());
  const id = await cri.createContainer(sb, { metadata: { name }, image: { image: 'busybox:1.36' }, logPath: `${name}/0.log`, labels: { c: name } }, sandboxConfig());
  await cri.startContainer(id);
  return { sb, id };
}

describe('FakeRuntime: sandboxes', () => {
  it('run → READY with an address of the pod CIDR; stop → NOTREADY, containers killed, address freed; remove → gone', async () => {
    const cri = new FakeRuntime({ podCIDR: '10.244.7.0/24', images: { 'busybox:1.36': 10 } });
    const { sb, id } = await runningContainer(cri);
    const st = (await cri.podSandboxStatus(sb)).status!;
    expect(st).toMatchObject({ id: sb, state: 'SANDBOX_READY', metadata: { name: 'web', namespace: 'default', uid: 'uid-1', attempt: 0 }, network: { ip: '10.244.7.2' } });
    expect(cri.network).toEqual({ podCIDR: '10.244.7.0/24', addressesInUse: 1, ready: true });

    await cri.stopPodSandbox(sb);
    await cri.stopPodSandbox(sb); // idempotent
    expect((await cri.podSandboxStatus(sb)).status!.state).toBe('SANDBOX_NOTREADY');
    expect((await cri.containerStatus(id)).status).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 137, reason: 'Error' });
    expect(cri.network.addressesInUse).toBe(0);

    await cri.removePodSandbox(sb);
    await cri.removePodSandbox(sb); // idempotent
    expect(await codeOf(cri.podSandboxStatus(sb))).toBe(GrpcStatus.NOT_FOUND);
    expect(await codeOf(cri.containerStatus(id))).toBe(GrpcStatus.NOT_FOUND);
    expect(await cri.listPodSandbox()).toEqual([]);
  });

  it('reserves the pod name per attempt, as containerd: a second sandbox of the same attempt is refused until the first is removed', async () => {
    const cri = new FakeRuntime();
    const first = await cri.runPodSandbox(sandboxConfig());
    const e = await cri.runPodSandbox(sandboxConfig()).catch((x: unknown) => x as CriError);
    expect(e).toBeInstanceOf(CriError);
    expect(e).toMatchObject({ code: GrpcStatus.UNKNOWN, method: 'RuntimeService/RunPodSandbox' });
    expect((e as CriError).details).toContain(`is reserved for "${first}"`);
    await cri.runPodSandbox(sandboxConfig('web', 'uid-1', 1)); // the next attempt is another name
    await cri.removePodSandbox(first);
    await cri.runPodSandbox(sandboxConfig());
  });

  it('host-network sandboxes get no address; without metadata a sandbox is refused (INVALID_ARGUMENT)', async () => {
    const cri = new FakeRuntime();
    const sb = await cri.runPodSandbox(sandboxConfig('h', 'uid-h', 0, { linux: { securityContext: { namespaceOptions: { network: 'NODE' } } } }));
    expect((await cri.podSandboxStatus(sb)).status).toMatchObject({ network: { ip: '' }, linux: { namespaces: { options: { network: 'NODE' } } } });
    expect(await codeOf(cri.runPodSandbox({ labels: {} }))).toBe(GrpcStatus.INVALID_ARGUMENT);
  });

  it('waitForPodCIDR: NetworkReady false and pod-network sandboxes refused until UpdateRuntimeConfig gives the node its pod CIDR', async () => {
    const cri = new FakeRuntime({ waitForPodCIDR: true });
    const net = async () => (await cri.status()).status!.conditions.find((c) => c.type === 'NetworkReady')!;
    expect(await net()).toMatchObject({ status: false, reason: 'NetworkPluginNotReady' });
    const e = (await cri.runPodSandbox(sandboxConfig()).catch((x: unknown) => x)) as CriError;
    expect(e.details).toMatch(/failed to setup network for sandbox ".*": cni plugin not initialized/);
    await cri.updateRuntimeConfig('10.244.3.0/24');
    expect(await net()).toMatchObject({ status: true });
    const sb = await cri.runPodSandbox(sandboxConfig()); // the name was not kept by the failed attempt
    expect((await cri.podSandboxStatus(sb)).status!.network!.ip).toBe('10.244.3.2');
    expect(await codeOf(cri.updateRuntimeConfig('not-a-cidr'))).toBe(GrpcStatus.INVALID_ARGUMENT);
  });

  it('an exhausted range fails the sandbox as host-local does, and frees its name', async () => {
    const cri = new FakeRuntime({ podCIDR: '10.1.0.0/30' });
    await cri.runPodSandbox(sandboxConfig('a', 'ua'));
    const e = (await cri.runPodSandbox(sandboxConfig('b', 'ub')).catch((x: unknown) => x)) as CriError;
    expect(e.details).toContain('no IP addresses available in range set: 10.1.0.0/30');
    expect(await cri.listPodSandbox()).toHaveLength(1);
  });

  it('lists by id prefix, state and labels', async () => {
    const cri = new FakeRuntime();
    const a = await cri.runPodSandbox(sandboxConfig('a', 'ua'));
    const b = await cri.runPodSandbox(sandboxConfig('b', 'ub'));
    await cri.stopPodSandbox(b);
    expect((await cri.listPodSandbox({ state: { state: 'SANDBOX_READY' } })).map((s) => s.id)).toEqual([a]);
    expect((await cri.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': 'ub' } })).map((s) => s.id)).toEqual([b]);
    expect((await cri.listPodSandbox({ id: a.slice(0, 6) })).map((s) => s.id)).toEqual([a]);
  });
});

describe('FakeRuntime: containers', () => {
  it('CREATED → RUNNING → EXITED; stop gives SIGTERM (143); status has the log path, image and id; remove is idempotent', async () => {
    const cri = new FakeRuntime({ images: { 'busybox:1.36': 10 } });
    const sb = await cri.runPodSandbox(sandboxConfig());
    const id = await cri.createContainer(sb, { metadata: { name: 'app' }, image: { image: 'busybox:1.36' }, logPath: 'app/0.log' }, sandboxConfig());
    expect((await cri.containerStatus(id)).status!.state).toBe('CONTAINER_CREATED');
    await cri.startContainer(id);
    const st = (await cri.containerStatus(id)).status!;
    expect(st).toMatchObject({ state: 'CONTAINER_RUNNING', logPath: '/var/log/pods/default_web_uid-1/app/0.log', image: { image: 'busybox:1.36' }, finishedAt: 0 });
    expect(st.imageRef).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(st.startedAt).toBeGreaterThan(st.createdAt);
    expect(await codeOf(cri.startContainer(id))).toBe(GrpcStatus.UNKNOWN); // only a CREATED one starts
    await cri.stopContainer(id, 30);
    expect((await cri.containerStatus(id)).status).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 143 });
    await cri.stopContainer(id, 30); // idempotent
    await cri.removeContainer(id);
    await cri.removeContainer(id);
    expect(await codeOf(cri.containerStatus(id))).toBe(GrpcStatus.NOT_FOUND);
  });

  it('stop with no time to spare, or past the grace period: killed (137)', async () => {
    const cri = new FakeRuntime({ images: { 'busybox:1.36': 10 }, behaviour: () => ({ stopDelayMs: 5_000 }) });
    const { id } = await runningContainer(cri);
    const t0 = Date.now();
    await cri.stopContainer(id, 0);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect((await cri.containerStatus(id)).status).toMatchObject({ exitCode: 137 });
  });

  it('behaviour: a container exits by itself after exitAfterMs with exitCode (a crash, a job done)', async () => {
    const cri = new FakeRuntime({ images: { 'busybox:1.36': 10 }, behaviour: (c) => (c.metadata.name === 'crash' ? { exitAfterMs: 30, exitCode: 3 } : undefined) });
    const { id } = await runningContainer(cri, 'crash');
    await new Promise((r) => setTimeout(r, 80));
    expect((await cri.containerStatus(id)).status).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 3, reason: 'Error' });
    const ok = await cri.createContainer((await cri.listPodSandbox())[0].id, { metadata: { name: 'forever' }, image: { image: 'busybox:1.36' } }, {});
    await cri.startContainer(ok);
    await new Promise((r) => setTimeout(r, 50));
    expect((await cri.containerStatus(ok)).status!.state).toBe('CONTAINER_RUNNING');
    cri.exit(ok, 0);
    expect((await cri.containerStatus(ok)).status).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 0, reason: 'Completed' });
    expect(() => cri.exit(ok, 1)).toThrow(/not running/);
  });

  it('refuses a container in an unknown or stopped sandbox, without its image, or with a name and attempt taken', async () => {
    const cri = new FakeRuntime({ images: { 'busybox:1.36': 10 } });
    const c = (name: string) => ({ metadata: { name }, image: { image: 'busybox:1.36' } });
    expect(await codeOf(cri.createContainer('nope', c('a'), {}))).toBe(GrpcStatus.NOT_FOUND);
    const sb = await cri.runPodSandbox(sandboxConfig());
    expect(await codeOf(cri.createContainer(sb, { metadata: { name: 'a' }, image: { image: 'absent:1' } }, {}))).toBe(GrpcStatus.NOT_FOUND);
    await cri.createContainer(sb, c('a'), {});
    const taken = (await cri.createContainer(sb, c('a'), {}).catch((x: unknown) => x)) as CriError;
    expect(taken.details).toMatch(/failed to reserve container name "a_web_default_uid-1_0"/);
    await cri.createContainer(sb, { ...c('a'), metadata: { name: 'a', attempt: 1 } }, {});
    await cri.stopPodSandbox(sb);
    expect(await codeOf(cri.createContainer(sb, c('b'), {}))).toBe(GrpcStatus.UNKNOWN);
  });

  it('ExecSync answers what onExecSync says, only in a running container; streams are UNIMPLEMENTED', async () => {
    const cri = new FakeRuntime({ images: { 'busybox:1.36': 10 }, onExecSync: (_c, cmd) => ({ exitCode: cmd[0] === 'false' ? 1 : 0, stdout: cmd.join(' ') }) });
    const { id, sb } = await runningContainer(cri);
    const r = await cri.execSync(id, ['false', 'x'], 1);
    expect({ exitCode: r.exitCode, stdout: Buffer.from(r.stdout).toString() }).toEqual({ exitCode: 1, stdout: 'false x' });
    expect(await codeOf(cri.exec({ containerId: id, cmd: ['sh'] }))).toBe(GrpcStatus.UNIMPLEMENTED);
    expect(await codeOf(cri.portForward(sb, [80]))).toBe(GrpcStatus.UNIMPLEMENTED);
    expect(await codeOf(cri.exec({ containerId: 'nope' }))).toBe(GrpcStatus.NOT_FOUND);
    await cri.stopContainer(id, 0);
    expect(await codeOf(cri.execSync(id, ['true'], 1))).toBe(GrpcStatus.UNKNOWN);
  });

  it('stats: usage of running containers from the usage hook', async () => {
    const cri = new FakeRuntime({ images: { 'busybox:1.36': 10 }, usage: () => ({ cpuNanoCores: 250_000_000, memoryBytes: 64 << 20 }) });
    const { id } = await runningContainer(cri);
    const [s] = await cri.listContainerStats({ labelSelector: { c: 'app' } });
    expect(s).toMatchObject({ attributes: { id }, cpu: { usageNanoCores: { value: 250_000_000 } }, memory: { workingSetBytes: { value: 64 << 20 } } });
    await cri.stopContainer(id, 0);
    expect(await cri.containerStats(id)).toMatchObject({ cpu: null, memory: null });
  });
});

describe('FakeRuntime: images', () => {
  it('a pull brings what the registry has (default: anything), found by name or id afterwards; remove takes every name', async () => {
    const any = new FakeRuntime();
    const id = await any.pullImage({ image: 'nginx:1.27' });
    expect((await any.imageStatus({ image: 'nginx:1.27' })).image).toMatchObject({ id, repoTags: ['nginx:1.27'], size: 1 << 20 });
    expect((await any.imageStatus({ image: id })).image!.id).toBe(id);
    expect((await any.listImages()).map((i) => i.id)).toEqual([id]);
    expect((await any.imageFsInfo()).imageFilesystems[0].usedBytes).toEqual({ value: 1 << 20 });
    await any.removeImage({ image: id });
    expect((await any.imageStatus({ image: 'nginx:1.27' })).image).toBeNull();

    const closed = new FakeRuntime({ registry: { 'ok:1': 5 } });
    expect(await closed.pullImage({ image: 'ok:1' })).toMatch(/^sha256:/);
    const e = (await closed.pullImage({ image: 'nope:1' }).catch((x: unknown) => x)) as CriError;
    expect(e).toMatchObject({ code: GrpcStatus.NOT_FOUND, details: 'failed to pull and unpack image "nope:1": not found', method: 'ImageService/PullImage' });
  });
});

describe('FakeRuntime: calls', () => {
  it('latency per method; a deadline shorter than it is DEADLINE_EXCEEDED; an abort is CANCELLED; the runtime down is UNAVAILABLE', async () => {
    const cri = new FakeRuntime({ latencyMs: { runPodSandbox: 120 } });
    let t0 = Date.now();
    await cri.runPodSandbox(sandboxConfig('a', 'ua'));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
    t0 = Date.now();
    expect(await codeOf(cri.runPodSandbox(sandboxConfig('b', 'ub'), '', { timeoutMs: 30 }))).toBe(GrpcStatus.DEADLINE_EXCEEDED);
    expect(Date.now() - t0).toBeLessThan(110);
    const ac = new AbortController();
    const p = codeOf(cri.runPodSandbox(sandboxConfig('c', 'uc'), '', { signal: ac.signal }));
    ac.abort();
    expect(await p).toBe(GrpcStatus.CANCELLED);
    expect((await cri.listPodSandbox()).map((s) => s.metadata!.name)).toEqual(['a']);
    cri.unavailable = true;
    expect(await codeOf(cri.version())).toBe(GrpcStatus.UNAVAILABLE);
  });

  it('failNext: the next calls of a method fail with the code given; every call is recorded', async () => {
    const cri = new FakeRuntime();
    cri.failNext('runPodSandbox', 'boom', 2, GrpcStatus.RESOURCE_EXHAUSTED);
    expect(await codeOf(cri.runPodSandbox(sandboxConfig()))).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(await codeOf(cri.runPodSandbox(sandboxConfig()))).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(await codeOf(cri.runPodSandbox(sandboxConfig()))).toBe('OK');
    expect(cri.calls).toEqual(['runPodSandbox', 'runPodSandbox', 'runPodSandbox']);
  });

  it('answers are copies: changing one changes nothing inside', async () => {
    const cri = new FakeRuntime();
    const sb = await cri.runPodSandbox(sandboxConfig());
    const [s] = await cri.listPodSandbox();
    s.labels.x = 'y';
    s.state = 'SANDBOX_NOTREADY';
    expect((await cri.podSandboxStatus(sb)).status).toMatchObject({ state: 'SANDBOX_READY', labels: { 'io.kubernetes.pod.uid': 'uid-1' } });
  });
});
