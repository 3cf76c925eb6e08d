// An in-memory CRI runtime for the kubelet's tests: sandboxes, containers and images kept in maps,
// with the calls the kubelet makes (run/stop/remove sandboxes and containers, list with label
// selectors, statuses, image status and pull). Tests make calls fail (`failNext`), containers exit
// and sandboxes die. The real runtime (containerd) is exercised by the integration tests.
import { CriError, GrpcStatus, type Container, type ContainerStatus, type CriRuntime, type PodSandbox } from '@skiff/plugin-cri-containerd';

type Method = 'runPodSandbox' | 'createContainer' | 'startContainer' | 'pullImage' | 'imageStatus';

const nowNs = () => Date.now() * 1e6;
const matches = (labels: Record<string, string>, sel: Record<string, string> | null | undefined) =>
  Object.entries(sel ?? {}).every(([k, v]) => labels[k] === v);

export class FakeCri {
  readonly sandboxes = new Map<string, PodSandbox & { ip: string }>();
  readonly containers = new Map<string, { c: Container; s: ContainerStatus }>();
  /** image name -> id and size */
  readonly images = new Map<string, { id: string; size: number }>();
  /** images a pull can fetch (name -> size) */
  readonly registry = new Map<string, number>();
  readonly calls: string[] = [];
  /** what ExecSync (probes) answers */
  exec: (containerId: string, cmd: string[]) => { exitCode: number; output: string } = () => ({ exitCode: 0, output: '' });
  private readonly failures = new Map<Method, Error[]>();
  private seq = 0;

  /** The next `times` calls of `method` fail with a CRI error (code Unknown unless given). */
  failNext(method: Method, details: string, times = 1, code: number = GrpcStatus.UNKNOWN): void {
    const list = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(new CriError(`RuntimeService/${method}`, code, details));
    this.failures.set(method, list);
  }

  private check(method: Method): void {
    this.calls.push(method);
    const e = this.failures.get(method)?.shift();
    if (e) throw e;
  }

  /** A running container exits. */
  exit(id: string, exitCode: number): void {
    const x = this.containers.get(id)!;
    x.c.state = x.s.state = 'CONTAINER_EXITED';
    x.s.exitCode = exitCode;
    x.s.finishedAt = nowNs();
    x.s.reason = exitCode === 0 ? 'Completed' : 'Error';
  }

  /** A sandbox dies (its containers keep their state). */
  killSandbox(id: string): void {
    this.sandboxes.get(id)!.state = 'SANDBOX_NOTREADY';
  }

  readonly runtime: CriRuntime = {
    version: async () => ({ version: '0.1.0', runtimeName: 'fake', runtimeVersion: '1', runtimeApiVersion: 'v1' }),
    status: async () => ({ status: { conditions: [] }, info: {} }) as never,
    updateRuntimeConfig: async () => {},
    runPodSandbox: async (config) => {
      this.check('runPodSandbox');
      const id = `sb-${++this.seq}`;
      this.sandboxes.set(id, {
        id,
        metadata: config.metadata as never,
        state: 'SANDBOX_READY',
        createdAt: nowNs() + this.seq,
        labels: (config.labels ?? {}) as Record<string, string>,
        annotations: (config.annotations ?? {}) as Record<string, string>,
        runtimeHandler: '',
        ip: `10.0.0.${this.seq}`,
      });
      return id;
    },
    stopPodSandbox: async (id) => {
      const s = this.sandboxes.get(id);
      if (s) s.state = 'SANDBOX_NOTREADY';
    },
    removePodSandbox: async (id) => {
      this.sandboxes.delete(id);
    },
    podSandboxStatus: async (id) => {
      const s = this.sandboxes.get(id);
      if (!s) throw new CriError('RuntimeService/PodSandboxStatus', GrpcStatus.NOT_FOUND, `sandbox ${id} not found`);
      return { status: { ...s, network: { ip: s.ip, additionalIps: [] }, linux: null }, info: {} };
    },
    listPodSandbox: async (f) => [...this.sandboxes.values()].filter((s) => matches(s.labels, f?.labelSelector as never)).map(({ ip: _ip, ...s }) => ({ ...s })),
    createContainer: async (sandboxId, config) => {
      this.check('createContainer');
      const id = `c-${++this.seq}`;
      const labels = (config.labels ?? {}) as Record<string, string>;
      const annotations = (config.annotations ?? {}) as Record<string, string>;
      const metadata = { name: config.metadata?.name ?? '', attempt: config.metadata?.attempt ?? 0 };
      const image = { image: config.image?.image ?? '' } as never;
      const createdAt = nowNs() + this.seq;
      const c: Container = { id, podSandboxId: sandboxId, metadata, image, imageRef: config.image?.image ?? '', state: 'CONTAINER_CREATED', createdAt, labels, annotations, imageId: '' };
      const s: ContainerStatus = {
        id, metadata, state: 'CONTAINER_CREATED', createdAt, startedAt: 0, finishedAt: 0, exitCode: 0, image, imageRef: config.image?.image ?? '',
        reason: '', message: '', labels, annotations, mounts: [], logPath: '', resources: null,
      };
      this.containers.set(id, { c, s });
      return id;
    },
    startContainer: async (id) => {
      this.check('startContainer');
      const x = this.containers.get(id)!;
      x.c.state = x.s.state = 'CONTAINER_RUNNING';
      x.s.startedAt = nowNs();
    },
    stopContainer: async (id) => {
      const x = this.containers.get(id);
      if (x && x.s.state !== 'CONTAINER_EXITED') this.exit(id, 137);
    },
    removeContainer: async (id) => {
      this.containers.delete(id);
    },
    listContainers: async (f) => [...this.containers.values()].filter((x) => matches(x.c.labels, f?.labelSelector as never)).map((x) => ({ ...x.c })),
    containerStatus: async (id) => {
      const x = this.containers.get(id);
      if (!x) throw new CriError('RuntimeService/ContainerStatus', GrpcStatus.NOT_FOUND, `container ${id} not found`);
      return { status: { ...x.s }, info: {} };
    },
    updateContainerResources: async () => {},
    reopenContainerLog: async () => {},
    execSync: async (id, cmd) => {
      const r = this.exec(id, cmd);
      return { stdout: Buffer.from(r.output), stderr: new Uint8Array(), exitCode: r.exitCode };
    },
    exec: async () => '',
    attach: async () => '',
    portForward: async () => '',
    containerStats: async () => null,
    listContainerStats: async () => [],
    listImages: async () => [],
    imageStatus: async (spec) => {
      this.check('imageStatus');
      const img = this.images.get(spec.image ?? '');
      return { image: img ? { id: img.id, repoTags: [spec.image ?? ''], repoDigests: [], size: img.size, uid: null, username: '', spec: null, pinned: false } : null, info: {} };
    },
    pullImage: async (spec) => {
      this.check('pullImage');
      const name = spec?.image ?? '';
      const size = this.registry.get(name);
      if (size === undefined) throw new CriError('ImageService/PullImage', GrpcStatus.NOT_FOUND, `failed to pull and unpack image "${name}": not found`);
      const id = `sha256:${name.length}${size}`;
      this.images.set(name, { id, size });
      return id;
    },
    removeImage: async () => {},
    imageFsInfo: async () => ({ imageFilesystems: [], containerFilesystems: [] }),
  };
}
