// syncPod's Events and waiting reasons, step by step, against an in-memory CRI (FakeRuntime of @skiff/node-api/testing) and the
// real PodConfigurer (ConfigMaps read from a real kernel, volumes under a temp dir).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { CrashLoopBackoff } from './backoff.ts';
import { CONTAINER_KIND, managedByNode } from '@skiff/node-api';
import { FakeRuntime } from '@skiff/node-api/testing';
import { ImageManager } from './images.ts';
import { createPodConfigurer } from './pod-configurer-impl.ts';
import { mkPod } from './pod-config/testing.ts';
import type { PodSpec } from './pod-config/types.ts';
import { syncPod, type SyncDeps, type SyncResult } from './pod-sync.ts';
import { podStatus } from './pod-status.ts';
import { RuntimePods } from './runtime-pods.ts';

const NODE = 'sync-node';
const POD = 'web_ns1(uid-1234)';
let tk: TestKernel;
let root: string;
let cri: FakeRuntime;
let deps: SyncDeps;
let events: [string, string, string][];
let runtimePods: RuntimePods;

beforeAll(async () => {
  tk = await startTestKernel();
  root = mkdtempSync(join(tmpdir(), 'skiff-sync-'));
});
afterAll(async () => {
  await tk?.stop();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  cri = new FakeRuntime({ images: { 'busybox:1.36': 4269694 }, registry: {} });
  events = [];
  runtimePods = new RuntimePods(cri, managedByNode(NODE));
  deps = {
    cri: cri,
    images: new ImageManager(cri),
    backoff: new CrashLoopBackoff({ initialMs: 10_000, maxMs: 300_000 }),
    config: createPodConfigurer({ kernel: tk.kernel, cri: cri, rootDir: root, podLogRoot: join(root, 'logs'), nodeName: NODE, clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local' }),
    event: (_pod, type, reason, message) => events.push([type, reason, message]),
    unhealthy: new Map(),
  };
});

const pod = (spec: Partial<PodSpec> = {}, uid = 'uid-1234'): KObject =>
  mkPod({ containers: [{ name: 'app', image: 'busybox:1.36' }], ...spec }, { uid }) as unknown as KObject;

/** One sync against what the runtime holds now; the events it recorded. */
async function sync(p: KObject): Promise<SyncResult> {
  events.length = 0;
  const rp = (await runtimePods.list(p.metadata.uid)).get(p.metadata.uid!);
  return syncPod(p, rp, deps);
}
const appContainer = () => cri.listContainersNow().find((c) => c.metadata?.name === 'app' && c.state !== 'CONTAINER_EXITED')!;

describe('syncPod events', () => {
  it('starts a pod: Pulled (already present), Created, Started', async () => {
    const r = await sync(pod());
    expect(events).toEqual([
      ['Normal', 'Pulled', 'Container image "busybox:1.36" already present on machine'],
      ['Normal', 'Created', 'Created container: app'],
      ['Normal', 'Started', 'Started container app'],
    ]);
    expect(r.waiting.size).toBe(0);
    // nothing to do: nothing recorded
    await sync(pod());
    expect(events).toEqual([]);
  });

  it('a crashed container waits: Warning BackOff, CrashLoopBackOff "back-off 10s restarting failed container=..."', async () => {
    const p = pod();
    await sync(p);
    cri.exit(appContainer().id, 1);
    const r = await sync(p);
    expect(events).toEqual([['Warning', 'BackOff', `Back-off restarting failed container app in pod ${POD}`]]);
    expect(r.waiting.get('app')).toEqual({ reason: 'CrashLoopBackOff', message: `back-off 10s restarting failed container=app pod=${POD}` });
  });

  it('a sandbox that cannot be created: Warning FailedCreatePodSandBox; containers wait (ContainerCreating) with the reason', async () => {
    cri.failNext('runPodSandbox', 'failed to setup network for sandbox "x": plugin type="bridge" failed');
    const r = await sync(pod());
    const message = 'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "x": plugin type="bridge" failed';
    expect(events).toEqual([['Warning', 'FailedCreatePodSandBox', message]]);
    expect(r.waiting.get('app')).toEqual({ reason: 'ContainerCreating', message });
    expect(r.retryInMs).toBeGreaterThan(0);
  });

  it('a sandbox config that cannot be made: FailedCreatePodSandBox "Failed to generate sandbox config for pod ..."', async () => {
    const r = await sync(pod({ hostname: 'Bad_Host' }));
    expect(events).toHaveLength(1);
    expect(events[0][1]).toBe('FailedCreatePodSandBox');
    expect(events[0][2]).toMatch(new RegExp(`^Failed to create pod sandbox: Failed to generate sandbox config for pod "${POD.replace(/[()]/g, '\\$&')}": pod Hostname "Bad_Host" is not a valid DNS label`));
    expect(r.waiting.get('app')?.reason).toBe('ContainerCreating');
    expect(cri.calls).not.toContain('runPodSandbox');
  });

  it('a sandbox that died: Normal SandboxChanged, Killing of what still runs, then a new sandbox and containers', async () => {
    const p = pod();
    await sync(p);
    const [{ id: sb }] = cri.listSandboxesNow();
    cri.killSandbox(sb);
    await sync(p);
    expect(events).toEqual([
      ['Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.'],
      ['Normal', 'Killing', 'Stopping container app'],
      ['Normal', 'Pulled', 'Container image "busybox:1.36" already present on machine'],
      ['Normal', 'Created', 'Created container: app'],
      ['Normal', 'Started', 'Started container app'],
    ]);
  });

  it('a volume type the node does not support: FailedMount, the pod waits ContainerCreating saying why, no sandbox', async () => {
    const r = await sync(pod({ volumes: [{ name: 'data', nfs: { server: 'nfs.example', path: '/x' } }] as never }));
    const message = 'MountVolume.SetUp failed for volume "data" : volume source nfs is not supported on this node';
    expect(events).toEqual([['Warning', 'FailedMount', message]]);
    expect(r.waiting.get('app')).toEqual({ reason: 'ContainerCreating', message });
    expect(cri.calls).not.toContain('runPodSandbox');
  });

  it('a configMap volume whose ConfigMap is missing: FailedMount `configmap "missing" not found`; init containers wait PodInitializing', async () => {
    const r = await sync(pod({ initContainers: [{ name: 'init', image: 'busybox:1.36' }], volumes: [{ name: 'cfg', configMap: { name: 'missing' } }] }));
    const message = 'MountVolume.SetUp failed for volume "cfg" : configmap "missing" not found';
    expect(events).toEqual([['Warning', 'FailedMount', message]]);
    expect(r.waiting.get('init')).toEqual({ reason: 'PodInitializing', message });
    expect(r.waiting.get('app')).toEqual({ reason: 'PodInitializing', message });
  });

  it('env from a missing ConfigMap: CreateContainerConfigError and Warning Failed "Error: configmap \\"missing\\" not found"', async () => {
    const r = await sync(pod({ containers: [{ name: 'app', image: 'busybox:1.36', envFrom: [{ configMapRef: { name: 'missing' } }] }] }));
    expect(events).toEqual([
      ['Normal', 'Pulled', 'Container image "busybox:1.36" already present on machine'],
      ['Warning', 'Failed', 'Error: configmap "missing" not found'],
    ]);
    expect(r.waiting.get('app')).toEqual({ reason: 'CreateContainerConfigError', message: 'configmap "missing" not found' });
  });

  it('a container the runtime cannot create or start: CreateContainerError / RunContainerError and Failed "Error: <description>"', async () => {
    cri.failNext('createContainer', 'no such file');
    let r = await sync(pod());
    expect(events.slice(1)).toEqual([['Warning', 'Failed', 'Error: no such file']]);
    expect(r.waiting.get('app')).toEqual({ reason: 'CreateContainerError', message: 'no such file' });
    cri.failNext('startContainer', 'exec: "nope": executable file not found in $PATH');
    r = await sync(pod());
    expect(events.slice(1)).toEqual([
      ['Normal', 'Created', 'Created container: app'],
      ['Warning', 'Failed', 'Error: exec: "nope": executable file not found in $PATH'],
    ]);
    expect(r.waiting.get('app')).toEqual({ reason: 'RunContainerError', message: 'exec: "nope": executable file not found in $PATH' });
  });

  it('an image that cannot be pulled: Failed "Error: ErrImagePull", then "Error: ImagePullBackOff"', async () => {
    const p = pod({ containers: [{ name: 'app', image: 'nope:1' }] });
    let r = await sync(p);
    expect(events.map((e) => e.slice(0, 2))).toEqual([['Normal', 'Pulling'], ['Warning', 'Failed'], ['Warning', 'Failed']]);
    expect(events[2][2]).toBe('Error: ErrImagePull');
    expect(r.waiting.get('app')?.reason).toBe('ErrImagePull');
    r = await sync(p);
    expect(events).toEqual([
      ['Normal', 'BackOff', 'Back-off pulling image "nope:1"'],
      ['Warning', 'Failed', 'Error: ImagePullBackOff'],
    ]);
    expect(r.waiting.get('app')).toEqual({ reason: 'ImagePullBackOff', message: 'Back-off pulling image "nope:1"' });
  });

  it('restarts a container whose liveness probe failed or whose definition changed: Normal Killing "..., will be restarted"', async () => {
    const p = pod();
    await sync(p);
    deps.unhealthy.set(appContainer().id, 'failed liveness probe');
    await sync(p);
    expect(events).toEqual([['Normal', 'Killing', 'Container app failed liveness probe, will be restarted']]);
    const other = pod({}, 'uid-other');
    await sync(other);
    const changed = pod({ containers: [{ name: 'app', image: 'busybox:1.36', command: ['sleep', '1'] }] }, 'uid-other');
    await sync(changed);
    expect(events).toEqual([['Normal', 'Killing', 'Container app definition changed, will be restarted']]);
  });

  it('DNS warnings (MissingClusterDNS) come when a sandbox is created, not on every sync', async () => {
    deps.config = createPodConfigurer({ kernel: tk.kernel, cri: cri, rootDir: root, podLogRoot: join(root, 'logs'), nodeName: NODE, clusterDNS: [], clusterDomain: 'cluster.local' });
    const p = pod({}, 'uid-dns');
    await sync(p);
    expect(events.filter((e) => e[1] === 'MissingClusterDNS')).toHaveLength(1);
    await sync(p);
    await sync(p);
    expect(events).toEqual([]);
  });
});

describe('ephemeral containers (kubectl debug)', () => {
  it('start once in the running pod\'s sandbox, sharing the target\'s process namespace; never restarted; reported in ephemeralContainerStatuses', async () => {
    const configs: { name: string; pid?: string | null; targetId?: string | null; kind?: string | null; stdin?: boolean | null }[] = [];
    const create = cri.createContainer.bind(cri);
    cri.createContainer = async (sb, config, sbConfig, o) => {
      const ns = config.linux?.securityContext?.namespaceOptions;
      configs.push({ name: config.metadata!.name!, pid: ns?.pid, targetId: ns?.targetId, kind: config.annotations?.[CONTAINER_KIND], stdin: config.stdin });
      return create(sb, config, sbConfig, o);
    };
    const plain = pod();
    await sync(plain);
    const app = appContainer();
    const debugged = pod({ ephemeralContainers: [{ name: 'debugger', image: 'busybox:1.36', stdin: true, tty: true, targetContainerName: 'app' } as never] });
    const r = await sync(debugged);
    expect(r.waiting.size).toBe(0);
    expect(events).toEqual([
      ['Normal', 'Pulled', 'Container image "busybox:1.36" already present on machine'],
      ['Normal', 'Created', 'Created container: debugger'],
      ['Normal', 'Started', 'Started container debugger'],
    ]);
    expect(configs.find((c) => c.name === 'debugger')).toMatchObject({ pid: 'TARGET', targetId: app.id, kind: 'ephemeral', stdin: true });
    expect(configs.find((c) => c.name === 'app')?.pid).not.toBe('TARGET');
    await sync(debugged);
    expect(events).toEqual([]);
    // it exits: it stays exited (ephemeral containers are not restarted), the app goes on
    const dbg = cri.listContainersNow().find((c) => c.metadata?.name === 'debugger')!;
    cri.exit(dbg.id, 0);
    await sync(debugged);
    expect(events).toEqual([]);
    expect(cri.listContainersNow().filter((c) => c.metadata?.name === 'debugger')).toHaveLength(1);
    const rp = (await runtimePods.list(debugged.metadata.uid)).get(debugged.metadata.uid!);
    const status = podStatus({ pod: debugged as never, runtime: rp, waiting: new Map(), ready: () => true, started: () => true, hostIP: '10.0.0.1', startTime: '2026-01-01T00:00:00Z', qosClass: 'BestEffort' });
    expect(status.phase).toBe('Running');
    expect(status.ephemeralContainerStatuses).toEqual([expect.objectContaining({ name: 'debugger', state: { terminated: expect.objectContaining({ exitCode: 0, reason: 'Completed' }) } })]);
    expect((status.containerStatuses as { name: string }[]).map((c) => c.name)).toEqual(['app']);
  });

  it('waits while its target does not run', async () => {
    const r = await sync(pod({ ephemeralContainers: [{ name: 'debugger', image: 'busybox:1.36', targetContainerName: 'app' } as never] }));
    // the first sync starts app and, app running now in the fake runtime, ... or waits for it
    const started = cri.listContainersNow().some((c) => c.metadata?.name === 'debugger');
    if (!started) expect(r.waiting.get('debugger')).toMatchObject({ reason: 'ContainerCreating', message: 'waiting for target container "app" to run' });
  });
});
