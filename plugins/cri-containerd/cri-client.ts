// A promise-based CRI (runtime.v1) client over @grpc/grpc-js, for containerd's socket (or any CRI
// runtime's). The wire format comes from proto/cri/api.proto at run time (see proto.ts), so there is
// no generated code; the TypeScript shapes are in types.ts.
import { Client, credentials, type ServiceError } from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { CriError, GrpcStatus, type CallOptions, type CriRuntime } from '@skiff/node-api';
import type {
  AttachRequest, AuthConfig, Container, ContainerConfig, ContainerFilter, ContainerStats, ContainerStatsFilter,
  ContainerStatusResponse, ExecRequest, ExecSyncResponse, Image, ImageFsInfoResponse, ImageSpec, ImageStatusResponse, Input,
  Labels, LinuxContainerResources, PodSandbox, PodSandboxConfig, PodSandboxFilter, PodSandboxStatusResponse, StatusResponse,
  StreamingResponse, VersionResponse,
} from '@skiff/node-api';
import { criProtoRoot, findCriProto, methodCodec, type MethodCodec } from './proto.ts';

export const DEFAULT_CRI_SOCKET = 'unix:///run/containerd/containerd.sock';
/** The CRI API version this client speaks (sent in VersionRequest). */
export const CRI_API_VERSION = 'v1';
/** kubelet's --runtime-request-timeout default is 2 min; node-local calls answer in ms, so fail sooner. */
export const DEFAULT_TIMEOUT_MS = 60_000;
/** kubelet's limit for messages from the runtime (ListContainers on a full node outgrows gRPC's 4 MiB). */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** What the client reports after each call (for metrics). */
export interface CallRecord {
  /** "RuntimeService/RunPodSandbox" */
  method: string;
  durationMs: number;
  /** gRPC status code; 0 on success */
  code: number;
}

export interface CriClientOptions {
  /** `unix:///path`, `unix:path`, or a plain socket path. Default containerd's. */
  socket?: string;
  /** default per-call deadline in ms; 0 = none */
  timeoutMs?: number;
  /** api.proto to load instead of the one found beside the module */
  protoPath?: string;
  onCall?: (record: CallRecord) => void;
}

/** A gRPC target for a socket: plain paths become `unix://` URLs; anything with a scheme is kept. */
export function criTarget(socket: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(socket)) return socket;
  return socket.startsWith('/') ? `unix://${socket}` : `unix:${socket}`;
}

type Service = 'RuntimeService' | 'ImageService';

export class CriClient implements CriRuntime {
  readonly target: string;
  readonly timeoutMs: number;
  private readonly client: Client;
  private readonly root: protobuf.Root;
  private readonly codecs = new Map<string, MethodCodec>();
  private readonly onCall?: (record: CallRecord) => void;
  private pending = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(opts: CriClientOptions = {}) {
    this.target = criTarget(opts.socket ?? DEFAULT_CRI_SOCKET);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.onCall = opts.onCall;
    this.root = criProtoRoot(opts.protoPath ?? findCriProto());
    this.client = new Client(this.target, credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    });
  }

  /** Resolves once the socket is connected; rejects after `timeoutMs`. Calls do not need it. */
  waitForReady(timeoutMs = this.timeoutMs): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(new CriError('connect', GrpcStatus.UNAVAILABLE, `${this.target}: ${err.message}`, { cause: err })) : resolve()));
    });
  }

  /** Calls in flight. */
  get inFlight(): number {
    return this.pending;
  }

  /** Resolves when no call is in flight (for a hot reload's drain). */
  idle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }

  /** One unary call; `defaultTimeoutMs` overrides the client's default for this RPC. */
  call<T>(service: Service, method: string, request: object, opts: CallOptions = {}, defaultTimeoutMs = this.timeoutMs): Promise<T> {
    const name = `${service}/${method}`;
    let codec = this.codecs.get(name);
    try {
      if (!codec) this.codecs.set(name, (codec = methodCodec(this.root, service, method)));
    } catch (e) {
      return Promise.reject(e);
    }
    const { encode, decode, path } = codec;
    const timeoutMs = opts.timeoutMs ?? defaultTimeoutMs;
    const started = performance.now();
    this.pending++;
    const done = (code: number) => {
      if (--this.pending === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      this.onCall?.({ method: name, durationMs: performance.now() - started, code });
    };
    return new Promise<T>((resolve, reject) => {
      if (opts.signal?.aborted) {
        done(GrpcStatus.CANCELLED);
        reject(new CriError(name, GrpcStatus.CANCELLED, 'aborted before the call', { cause: opts.signal.reason }));
        return;
      }
      const onAbort = () => call.cancel();
      const call = this.client.makeUnaryRequest(
        path, encode, decode, request,
        timeoutMs > 0 && Number.isFinite(timeoutMs) ? { deadline: Date.now() + timeoutMs } : {},
        (err: ServiceError | null, value?: unknown) => {
          opts.signal?.removeEventListener('abort', onAbort);
          if (err) {
            done(err.code);
            reject(new CriError(name, err.code, err.details || err.message, { cause: err }));
          } else {
            done(GrpcStatus.OK);
            resolve(value as T);
          }
        },
      );
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private runtime<T>(method: string, request: object, opts?: CallOptions, defaultTimeoutMs?: number): Promise<T> {
    return this.call<T>('RuntimeService', method, request, opts, defaultTimeoutMs);
  }

  private image<T>(method: string, request: object, opts?: CallOptions, defaultTimeoutMs?: number): Promise<T> {
    return this.call<T>('ImageService', method, request, opts, defaultTimeoutMs);
  }

  // --- RuntimeService ------------------------------------------------------------------------

  version(opts?: CallOptions): Promise<VersionResponse> {
    return this.runtime('Version', { version: CRI_API_VERSION }, opts);
  }

  status(verbose = false, opts?: CallOptions): Promise<StatusResponse> {
    return this.runtime('Status', { verbose }, opts);
  }

  async updateRuntimeConfig(podCidr: string, opts?: CallOptions): Promise<void> {
    await this.runtime('UpdateRuntimeConfig', { runtimeConfig: { networkConfig: { podCidr } } }, opts);
  }

  async runPodSandbox(config: Input<PodSandboxConfig>, runtimeHandler = '', opts?: CallOptions): Promise<string> {
    return (await this.runtime<{ podSandboxId: string }>('RunPodSandbox', { config, runtimeHandler }, opts)).podSandboxId;
  }

  async stopPodSandbox(podSandboxId: string, opts?: CallOptions): Promise<void> {
    await this.runtime('StopPodSandbox', { podSandboxId }, opts);
  }

  async removePodSandbox(podSandboxId: string, opts?: CallOptions): Promise<void> {
    await this.runtime('RemovePodSandbox', { podSandboxId }, opts);
  }

  podSandboxStatus(podSandboxId: string, verbose = false, opts?: CallOptions): Promise<PodSandboxStatusResponse> {
    return this.runtime('PodSandboxStatus', { podSandboxId, verbose }, opts);
  }

  async listPodSandbox(filter?: Input<PodSandboxFilter>, opts?: CallOptions): Promise<PodSandbox[]> {
    return (await this.runtime<{ items: PodSandbox[] }>('ListPodSandbox', { filter }, opts)).items;
  }

  async createContainer(podSandboxId: string, config: Input<ContainerConfig>, sandboxConfig: Input<PodSandboxConfig>, opts?: CallOptions): Promise<string> {
    return (await this.runtime<{ containerId: string }>('CreateContainer', { podSandboxId, config, sandboxConfig }, opts)).containerId;
  }

  async startContainer(containerId: string, opts?: CallOptions): Promise<void> {
    await this.runtime('StartContainer', { containerId }, opts);
  }

  async stopContainer(containerId: string, timeoutSeconds: number, opts?: CallOptions): Promise<void> {
    // like kubelet: the deadline must outlast the grace period the runtime waits
    await this.runtime('StopContainer', { containerId, timeout: timeoutSeconds }, opts, this.stretch(timeoutSeconds));
  }

  async removeContainer(containerId: string, opts?: CallOptions): Promise<void> {
    await this.runtime('RemoveContainer', { containerId }, opts);
  }

  async listContainers(filter?: Input<ContainerFilter>, opts?: CallOptions): Promise<Container[]> {
    return (await this.runtime<{ containers: Container[] }>('ListContainers', { filter }, opts)).containers;
  }

  containerStatus(containerId: string, verbose = false, opts?: CallOptions): Promise<ContainerStatusResponse> {
    return this.runtime('ContainerStatus', { containerId, verbose }, opts);
  }

  async updateContainerResources(containerId: string, linux: Input<LinuxContainerResources>, annotations?: Labels, opts?: CallOptions): Promise<void> {
    await this.runtime('UpdateContainerResources', { containerId, linux, annotations }, opts);
  }

  async reopenContainerLog(containerId: string, opts?: CallOptions): Promise<void> {
    await this.runtime('ReopenContainerLog', { containerId }, opts);
  }

  execSync(containerId: string, cmd: string[], timeoutSeconds: number, opts?: CallOptions): Promise<ExecSyncResponse> {
    return this.runtime('ExecSync', { containerId, cmd, timeout: timeoutSeconds }, opts, this.stretch(timeoutSeconds, true));
  }

  async exec(request: Input<ExecRequest>, opts?: CallOptions): Promise<string> {
    return (await this.runtime<StreamingResponse>('Exec', request, opts)).url;
  }

  async attach(request: Input<AttachRequest>, opts?: CallOptions): Promise<string> {
    return (await this.runtime<StreamingResponse>('Attach', request, opts)).url;
  }

  async portForward(podSandboxId: string, ports: number[], opts?: CallOptions): Promise<string> {
    return (await this.runtime<StreamingResponse>('PortForward', { podSandboxId, port: ports }, opts)).url;
  }

  async containerStats(containerId: string, opts?: CallOptions): Promise<ContainerStats | null> {
    return (await this.runtime<{ stats: ContainerStats | null }>('ContainerStats', { containerId }, opts)).stats;
  }

  async listContainerStats(filter?: Input<ContainerStatsFilter>, opts?: CallOptions): Promise<ContainerStats[]> {
    return (await this.runtime<{ stats: ContainerStats[] }>('ListContainerStats', { filter }, opts)).stats;
  }

  // --- ImageService --------------------------------------------------------------------------

  async listImages(filter?: Input<ImageSpec>, opts?: CallOptions): Promise<Image[]> {
    return (await this.image<{ images: Image[] }>('ListImages', { filter: filter ? { image: filter } : undefined }, opts)).images;
  }

  imageStatus(image: Input<ImageSpec>, verbose = false, opts?: CallOptions): Promise<ImageStatusResponse> {
    return this.image('ImageStatus', { image, verbose }, opts);
  }

  async pullImage(image: Input<ImageSpec>, auth?: Input<AuthConfig>, sandboxConfig?: Input<PodSandboxConfig>, opts?: CallOptions): Promise<string> {
    // like kubelet: a pull takes as long as the registry needs; cancel it with a signal instead
    return (await this.image<{ imageRef: string }>('PullImage', { image, auth, sandboxConfig }, opts, 0)).imageRef;
  }

  async removeImage(image: Input<ImageSpec>, opts?: CallOptions): Promise<void> {
    await this.image('RemoveImage', { image }, opts);
  }

  imageFsInfo(opts?: CallOptions): Promise<ImageFsInfoResponse> {
    return this.image('ImageFsInfo', {}, opts);
  }

  /** The default deadline of a call that itself waits up to `seconds` (0 = forever when `zeroIsForever`). */
  private stretch(seconds: number, zeroIsForever = false): number {
    if (this.timeoutMs <= 0 || (zeroIsForever && seconds <= 0)) return 0;
    return this.timeoutMs + Math.max(0, seconds) * 1000;
  }
}
