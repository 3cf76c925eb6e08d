import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CriClient, criTarget } from './cri-client.ts';
import { CriError, GrpcStatus, isDeadlineExceeded, isNotFound, isUnavailable } from '@skiff/node-api';
import { cgroupDriverOf, sandboxImageOf, sandboxOomProblem } from './runtime-info.ts';
import { ensureTestImages } from './testing.ts';
import { containerdAt, describeNeeding } from '../../scripts/test-parts.ts';
import type { ContainerConfig, Input, PodSandboxConfig } from '@skiff/node-api';

const SOCKET = process.env.SKIFF_CRI_SOCKET ?? '/run/containerd/containerd.sock';

describe('CriClient without a runtime', () => {
  it('turns socket paths into gRPC unix targets', () => {
    expect(criTarget('/run/containerd/containerd.sock')).toBe('unix:///run/containerd/containerd.sock');
    expect(criTarget('unix:///run/x.sock')).toBe('unix:///run/x.sock');
    expect(criTarget('run/x.sock')).toBe('unix:run/x.sock');
  });

  it('fails with UNAVAILABLE, quickly, when nothing listens on the socket', async () => {
    const client = new CriClient({ socket: join(tmpdir(), `skiff-no-cri-${randomUUID()}.sock`), timeoutMs: 5_000 });
    try {
      const t0 = performance.now();
      const err = await client.version().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CriError);
      expect(isUnavailable(err)).toBe(true);
      expect((err as CriError).method).toBe('RuntimeService/Version');
      expect(performance.now() - t0).toBeLessThan(4_000);
      expect(isUnavailable(await client.waitForReady(200).catch((e: unknown) => e))).toBe(true);
      expect(client.inFlight).toBe(0);
    } finally {
      client.close();
    }
  });
});

const RUN = randomUUID().slice(0, 8);
const LABELS = { 'skiff.io/test': 'cri-client', 'skiff.io/test-run': RUN };
const MiB = 1024 * 1024;

describeNeeding(['root', containerdAt(SOCKET)], `CriClient against containerd at ${SOCKET}`, (missing) => {
  let cri: CriClient;
  let work: string;
  let busybox: string;
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      timings[name] = Math.round((performance.now() - t0) * 10) / 10;
    }
  };

  beforeAll(async () => {
    if (missing()) return;
    cri = new CriClient({ socket: SOCKET, timeoutMs: 20_000 });
    work = mkdtempSync(join(tmpdir(), 'skiff-cri-test-'));
    const images = await timed('ensureTestImages', () => ensureTestImages(cri, join(work, 'images')));
    busybox = images.busyboxImage;
  }, 180_000);

  afterAll(async () => {
    if (!cri) return;
    // whatever a failed test left behind
    for (const s of await cri.listPodSandbox({ labelSelector: LABELS }).catch(() => [])) {
      await cri.stopPodSandbox(s.id).catch(() => {});
      await cri.removePodSandbox(s.id).catch(() => {});
    }
    cri.close();
    rmSync(work, { recursive: true, force: true });
    console.info(`CRI call timings (ms): ${JSON.stringify(timings)}`);
  }, 60_000);

  it('Version: containerd speaking runtime API v1', async () => {
    await cri.waitForReady(5_000);
    const v = await timed('Version', () => cri.version());
    expect(v.runtimeName).toBe('containerd');
    expect(v.runtimeApiVersion).toBe('v1');
    expect(v.runtimeVersion).not.toBe('');
  });

  it('Status verbose: runtime ready, sandbox image and cgroup driver from info.config', async () => {
    const s = await timed('Status(verbose)', () => cri.status(true));
    const ready = s.status?.conditions.find((c) => c.type === 'RuntimeReady');
    expect(ready?.status).toBe(true);
    expect(s.status?.conditions.some((c) => c.type === 'NetworkReady')).toBe(true);
    expect(sandboxImageOf(s)).toMatch(/pause/);
    expect(['cgroupfs', 'systemd']).toContain(cgroupDriverOf(s));
    // not verbose: no info
    expect((await cri.status()).info).toEqual({});
  });

  it('ListImages / ImageStatus / ImageFsInfo', async () => {
    const images = await timed('ListImages', () => cri.listImages());
    const mine = images.find((i) => i.repoTags.includes(busybox));
    expect(mine?.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(mine!.size).toBeGreaterThan(0);
    const st = await timed('ImageStatus', () => cri.imageStatus({ image: busybox }));
    expect(st.image?.id).toBe(mine!.id);
    // containerd 1.6 ignores the filter (returns every image); kubelet never sets one
    expect((await cri.listImages({ image: busybox })).map((i) => i.id)).toContain(mine!.id);
    // an absent image is no error: the image is just null
    expect((await cri.imageStatus({ image: 'localhost/skiff-test/absent:0' })).image).toBeNull();
    const fs = await cri.imageFsInfo();
    expect(fs.imageFilesystems[0]?.fsId?.mountpoint).toMatch(/^\//);
    expect(fs.imageFilesystems[0]?.usedBytes?.value).toBeGreaterThan(0);
  });

  it('recognizes NOT_FOUND for an unknown container', async () => {
    const err = await cri.containerStatus(`no-such-container-${RUN}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CriError);
    expect(isNotFound(err)).toBe(true);
    expect((err as CriError).code).toBe(GrpcStatus.NOT_FOUND);
    expect((err as CriError).codeName).toBe('NOT_FOUND');
    expect((err as Error).message).toMatch(/^CRI RuntimeService\/ContainerStatus: NOT_FOUND: /);
    expect(isNotFound(await cri.podSandboxStatus(`no-such-sandbox-${RUN}`).catch((e: unknown) => e))).toBe(true);
  });

  it('runs a host-network sandbox and a busybox container through their whole lifecycle', async () => {
    const logDirectory = join(work, 'logs');
    const dataDir = join(work, 'data');
    mkdirSync(join(logDirectory, 'busybox'), { recursive: true }); // the agent creates it, as kubelet does
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'greeting'), 'from the host\n');
    const host = { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' } as const;
    const sandboxConfig: Input<PodSandboxConfig> = {
      metadata: { name: `cri-test-${RUN}`, uid: randomUUID(), namespace: 'skiff-test', attempt: 0 },
      // a NODE network namespace shares the host's UTS namespace too: no hostname of its own
      hostname: '',
      logDirectory,
      labels: LABELS,
      annotations: { 'skiff.io/note': 'sandbox' },
      linux: { securityContext: { namespaceOptions: host } },
    };

    // runc would only say "can't get final child's PID from pipe: EOF"
    const problem = sandboxOomProblem(await cri.status(true));
    if (problem) throw new Error(`this containerd cannot start sandboxes here: ${problem}`);

    const podId = await timed('RunPodSandbox', () => cri.runPodSandbox(sandboxConfig));
    const pod = (await timed('PodSandboxStatus', () => cri.podSandboxStatus(podId))).status!;
    expect(pod.id).toBe(podId);
    expect(pod.state).toBe('SANDBOX_READY');
    expect(pod.metadata?.name).toBe(`cri-test-${RUN}`);
    expect(Math.abs(pod.createdAt / 1e6 - Date.now())).toBeLessThan(60_000); // ns since the epoch
    expect(pod.linux?.namespaces?.options?.network).toBe('NODE');
    expect(pod.labels).toMatchObject(LABELS);
    expect(pod.annotations).toEqual({ 'skiff.io/note': 'sandbox' });

    const config: Input<ContainerConfig> = {
      metadata: { name: 'busybox', attempt: 0 },
      image: { image: busybox },
      command: ['sh', '-c', 'echo hello; sleep 1000'],
      envs: [{ key: 'GREETING', value: 'hi there' }],
      mounts: [{ containerPath: '/data', hostPath: dataDir, readonly: true }],
      labels: LABELS,
      annotations: { 'skiff.io/note': 'container' },
      logPath: 'busybox/0.log',
      linux: {
        resources: { cpuShares: 256, cpuPeriod: 100_000, cpuQuota: 50_000, memoryLimitInBytes: 64 * MiB },
        securityContext: { namespaceOptions: host, noNewPrivs: true },
      },
    };
    const id = await timed('CreateContainer', () => cri.createContainer(podId, config, sandboxConfig));
    // CONTAINER_CREATED is enum value 0: never on the wire, present only thanks to `defaults: true`
    expect((await cri.containerStatus(id)).status?.state).toBe('CONTAINER_CREATED');
    await timed('StartContainer', () => cri.startContainer(id));

    const st = (await timed('ContainerStatus', () => cri.containerStatus(id))).status!;
    expect(st.state).toBe('CONTAINER_RUNNING');
    expect(st.startedAt).toBeGreaterThanOrEqual(st.createdAt);
    expect(st.finishedAt).toBe(0);
    expect(st.imageRef).toMatch(/^sha256:/);
    expect(st.logPath).toBe(join(logDirectory, 'busybox/0.log'));
    expect(st.labels).toMatchObject(LABELS);
    expect(st.annotations).toEqual({ 'skiff.io/note': 'container' });
    expect(st.mounts).toContainEqual(expect.objectContaining({ containerPath: '/data', hostPath: dataDir, readonly: true }));

    // CRI log format: "<RFC3339Nano time> <stream> <F(ull)|P(artial)> <line>"
    const line = await waitFor(() => readFileSync(st.logPath, 'utf8').split('\n').find((l) => l.endsWith(' hello')));
    expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) stdout F hello$/);

    const hi = await timed('ExecSync', () => cri.execSync(id, ['echo', 'hi'], 10));
    expect(Buffer.from(hi.stdout).toString()).toBe('hi\n');
    expect(hi.exitCode).toBe(0);
    const sh = async (script: string) => {
      const r = await cri.execSync(id, ['sh', '-c', script], 10);
      return { out: Buffer.from(r.stdout).toString().trim(), err: Buffer.from(r.stderr).toString().trim(), code: r.exitCode };
    };
    expect(await sh('echo oops >&2; exit 3')).toEqual({ out: '', err: 'oops', code: 3 }); // a failing command is no call error
    expect((await sh('echo "$GREETING"; cat /data/greeting')).out).toBe('hi there\nfrom the host');
    expect((await sh('touch /data/x')).code).not.toBe(0); // read-only mount
    const memLimit = 'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes';
    expect((await sh(memLimit)).out).toBe(String(64 * MiB));
    await timed('UpdateContainerResources', () => cri.updateContainerResources(id, { memoryLimitInBytes: 128 * MiB, cpuShares: 256, cpuPeriod: 100_000, cpuQuota: 50_000 }));
    expect((await sh(memLimit)).out).toBe(String(128 * MiB));

    // deadlines and cancellation are the client's own
    // (the client's deadline, or containerd's own from the propagated grpc-timeout: under load its
    // answer can come first, and a deadline hit inside the shim comes back as UNKNOWN with the reason)
    const late = await cri.execSync(id, ['sleep', '5'], 0, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(CriError);
    if (!isDeadlineExceeded(late)) expect((late as CriError).message).toMatch(/deadline exceeded/i);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    expect(await cri.execSync(id, ['sleep', '5'], 0, { signal: ac.signal }).catch((e: CriError) => e.codeName)).toBe('CANCELLED');

    const listed = await timed('ListContainers', () => cri.listContainers({ labelSelector: LABELS, state: { state: 'CONTAINER_RUNNING' } }));
    expect(listed.map((c) => [c.id, c.podSandboxId, c.state])).toEqual([[id, podId, 'CONTAINER_RUNNING']]);
    expect((await cri.listPodSandbox({ labelSelector: LABELS })).map((s) => [s.id, s.state])).toEqual([[podId, 'SANDBOX_READY']]);

    const stats = await cri.containerStats(id);
    expect(stats?.attributes?.id).toBe(id);
    expect(stats?.memory?.workingSetBytes?.value).toBeGreaterThan(0);
    expect((await cri.listContainerStats({ podSandboxId: podId })).map((s) => s.attributes?.id)).toEqual([id]);
    await cri.reopenContainerLog(id);
    expect(await cri.exec({ containerId: id, cmd: ['sh'], stdout: true })).toMatch(/^https?:\/\/127\.0\.0\.1:\d+\/exec\//);
    expect(await cri.attach({ containerId: id, stdout: true })).toMatch(/^https?:\/\/127\.0\.0\.1:\d+\/attach\//);
    expect(await cri.portForward(podId, [8080])).toMatch(/^https?:\/\/127\.0\.0\.1:\d+\/portforward\//);

    // sh as PID 1 ignores SIGTERM, so this waits out the 1 s grace period and kills
    await timed('StopContainer(timeout 1s)', () => cri.stopContainer(id, 1));
    const stopped = (await cri.containerStatus(id)).status!;
    expect(stopped.state).toBe('CONTAINER_EXITED');
    expect(stopped.exitCode).toBe(137);
    expect(stopped.finishedAt).toBeGreaterThanOrEqual(stopped.startedAt);
    await timed('RemoveContainer', () => cri.removeContainer(id));
    expect(isNotFound(await cri.containerStatus(id).catch((e: unknown) => e))).toBe(true);
    await cri.removeContainer(id); // idempotent

    await timed('StopPodSandbox', () => cri.stopPodSandbox(podId));
    expect((await cri.podSandboxStatus(podId)).status?.state).toBe('SANDBOX_NOTREADY');
    await timed('RemovePodSandbox', () => cri.removePodSandbox(podId));
    await cri.removePodSandbox(podId); // idempotent
    expect(isNotFound(await cri.podSandboxStatus(podId).catch((e: unknown) => e))).toBe(true);

    expect(await cri.listPodSandbox({ labelSelector: LABELS })).toEqual([]);
    expect(await cri.listContainers({ labelSelector: LABELS })).toEqual([]);
    expect(cri.inFlight).toBe(0);
  }, 60_000);
});

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    let v: T | undefined;
    try {
      v = probe();
    } catch {
      // not there yet
    }
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`waited ${timeoutMs} ms in vain`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
