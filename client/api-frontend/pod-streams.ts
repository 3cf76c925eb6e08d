// The pod-streams service: a container's log, exec, attach and a pod's port-forward as
// transport-neutral byte streams, for every API front end (REST's WebSocket / SPDY, gRPC, ...).
// Whoever reaches the nodes provides it (the node-streams plugin, over NATS to the node agents);
// front ends resolve PodStreamsToken per request (a provider loaded or reloaded later takes effect
// at once) and never know the transport.
//
// Channels: output 1 stdout (port-forward: the data from the pod's port), 2 stderr; input (write)
// is stdin, or the data to the pod's port. A stream ends once, with `status` (exec / attach: the
// runtime's final metav1.Status, Success or NonZeroExitCode) or `error` (a Kubernetes Status: the
// session failed; port-forward: the port could not be reached).
import { createServiceToken } from '@skiff/kernel/plugins';

export const StreamChannel = { Stdin: 0, Stdout: 1, Stderr: 2 } as const;

/** A Kubernetes Status, as streams carry it. */
export interface StreamStatus {
  kind?: string;
  apiVersion?: string;
  metadata?: Record<string, unknown>;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { causes?: { reason?: string; message?: string; field?: string }[]; [k: string]: unknown };
}

export interface StreamEnd {
  /** exec / attach: the runtime's final status */
  status?: StreamStatus;
  /** the stream failed */
  error?: StreamStatus;
}

export interface TerminalSize {
  Width: number;
  Height: number;
}

/** Where a stream goes: the pod (its uid guards against a namesake), on the node that runs it. */
export interface PodRef {
  nodeName: string;
  namespace: string;
  pod: string;
  uid?: string;
}

export interface ContainerRef extends PodRef {
  container: string;
}

/** kube's PodLogOptions, as the node reads them. */
export interface LogOptions {
  previous?: boolean;
  /** previous: the container the pod's status names as its last terminated one */
  previousContainerId?: string;
  follow?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  /** RFC 3339 */
  sinceTime?: string;
  timestamps?: boolean;
  limitBytes?: number;
}

export interface AttachOptions {
  stdin?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  tty?: boolean;
}

export interface ExecOptions extends AttachOptions {
  command: string[];
}

export interface StreamSink {
  /** output, in order; the next chunk comes once the returned promise settles (back-pressure) */
  onData(channel: number, data: Uint8Array): void | Promise<void>;
  /** once, after the last output */
  onEnd?(end: StreamEnd): void;
}

export interface OpenStreamOptions {
  /** the caller went away while opening: the stream is closed as soon as it is open */
  signal?: AbortSignal;
}

/** An open stream. */
export interface PodStream {
  /** Input (stdin, or data to the port), in order. Rejects with StreamEndedError once the stream is over. */
  write(data: Uint8Array): Promise<void>;
  /** whether input would wait now (pause the source until whenWritable resolves) */
  readonly blocked: boolean;
  whenWritable(): Promise<void>;
  /** the end of the input (stdin's EOF; port-forward: half-close towards the pod) */
  closeInput(): void;
  resize(size: TerminalSize): void;
  /** cancels (the caller went away); idempotent */
  close(): void;
  /** resolves with how the stream ended */
  readonly done: Promise<StreamEnd>;
}

export interface PodStreams {
  log(target: ContainerRef, options: LogOptions, sink: StreamSink, opts?: OpenStreamOptions): Promise<PodStream>;
  exec(target: ContainerRef, options: ExecOptions, sink: StreamSink, opts?: OpenStreamOptions): Promise<PodStream>;
  attach(target: ContainerRef, options: AttachOptions, sink: StreamSink, opts?: OpenStreamOptions): Promise<PodStream>;
  /** one TCP connection to `port` inside the pod's network namespace */
  portForward(target: PodRef, port: number, sink: StreamSink, opts?: OpenStreamOptions): Promise<PodStream>;
}

export const PodStreamsToken = createServiceToken<PodStreams>('skiff.api.pod-streams');

/** A stream that could not be opened (or failed), with the Status to answer. */
export class PodStreamError extends Error {
  constructor(readonly status: StreamStatus) {
    super(status.message ?? 'pod stream failed');
    this.name = 'PodStreamError';
  }
  get code(): number {
    return this.status.code ?? 500;
  }
}

/** Thrown by write once the stream is over. */
export class StreamEndedError extends Error {
  constructor() {
    super('the stream has ended');
    this.name = 'StreamEndedError';
  }
}

export function streamFailure(code: number, reason: string, message: string): StreamStatus {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}
