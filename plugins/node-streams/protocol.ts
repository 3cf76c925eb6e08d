// The node-streams protocol: container logs and exec sessions between the API server and the node
// agent that runs the pod, over core NATS (no JetStream: nothing here is worth persisting).
//
// Subjects (one agent answers each; <node> is the node name with "." written "_", as NATS
// separates tokens with dots and node names never contain "_"):
//   skiff.node.<node>.logs   open a log stream
//   skiff.node.<node>.exec   open an exec session
//   skiff.node.<node>.attach attach to a container's running process (its stdin / stdout / stderr)
//   skiff.node.<node>.portforward  one TCP connection to a port in the pod's network namespace
//
// Opening. The client subscribes to a fresh inbox C, then sends a request (JSON) on the subject:
//   logs: {v: 1, inbox: C, window, namespace, pod, uid?, container, previous?, follow?,
//          tailLines?, sinceSeconds?, sinceTime? (RFC 3339), timestamps?, limitBytes?,
//          previousContainerId? (the pod status's lastState.terminated.containerID, if any)}
//   exec: {v: 1, inbox: C, window, namespace, pod, uid?, container, command: [...],
//          stdin?, stdout?, stderr?, tty?}
//   attach: as exec without command
//   portforward: {v: 1, inbox: C, window, namespace, pod, uid?, port}
// The agent answers the request with {ok: {inbox: N, window}} once the work has started (the log
// file is open, the exec connection to the runtime is up), or {error: Status} (a Kubernetes
// Status: 400 "previous terminated container ... not found", 404 container not found, ...) and
// then nothing more. No responders on the subject: no agent for that node is connected (the API
// answers 503); no answer within OPEN_TIMEOUT_MS: 504.
//
// Session. After {ok}, the agent sends frames to C and the client sends frames to N. A frame is
// binary: byte 0 the type, bytes 1-4 a sequence number (uint32 BE, 1, 2, 3, ... per direction),
// then the body:
//   DATA (1)  body[0] the stream (0 stdin; 1 stdout; 2 stderr; logs use 1; portforward: 0 to the
//             port, 1 from it), then the bytes.
//   ACK  (2)  float64 BE: the total DATA bytes the receiver has consumed so far.
//   CTRL (3)  a JSON object, in order with DATA: exec / attach {stdinClose: true}, {resize: {Width,
//             Height}}; portforward {stdinClose: true} half-closes the connection to the port.
//   PING (4)  empty: "still here".
//   END  (5)  a JSON object; the sender has forgotten the session. From the agent: logs {} (done)
//             or {error: Status}; exec {status: <the runtime's metav1.Status: Success, or Failure
//             with reason NonZeroExitCode and the exit code in details.causes[ExitCode]>} or
//             {error: Status}. From the client: {} (cancel: the HTTP client went away).
//
// Flow control: a credit window per direction. The sender of DATA keeps at most `window` bytes
// (the receiver's figure: from the open request for agent->client, from {ok} for client->agent)
// sent and not yet acknowledged; the receiver acknowledges bytes once they are consumed (written
// to the HTTP response or WebSocket and flushed, written to the process's stdin), so a slow reader
// slows the log reader or the process, end to end, and nothing is buffered without bound. DATA
// bodies are at most MAX_CHUNK bytes.
//
// Liveness and cancellation: each side sends PING when it has sent nothing for PING_MS; a side
// that hears nothing for IDLE_MS ends the session (the client went away without END: the agent
// stops reading the log / closes the runtime connection; the agent died: the API ends the
// response). Core NATS drops messages only for a slow consumer: a gap in the sequence numbers
// ends the session with an error rather than corrupting the stream.

import type { AttachOptions, LogOptions, StreamEnd, StreamStatus, TerminalSize } from '@skiff/client/api-frontend';

export const PROTOCOL_VERSION = 1;
export const OPEN_TIMEOUT_MS = 10_000;
export const PING_MS = 5_000;
export const IDLE_MS = 20_000;
export const DEFAULT_WINDOW = 256 * 1024;
export const MAX_CHUNK = 32 * 1024;

export const FrameType = { Data: 1, Ack: 2, Ctrl: 3, Ping: 4, End: 5 } as const;
export const Stream = { Stdin: 0, Stdout: 1, Stderr: 2 } as const;

/** The token of a node name in subjects ("." is NATS' separator; node names never contain "_"). */
export const nodeToken = (nodeName: string) => nodeName.replaceAll('.', '_');

export const subjects = (nodeName: string, prefix = 'skiff.node') => ({
  logs: `${prefix}.${nodeToken(nodeName)}.logs`,
  exec: `${prefix}.${nodeToken(nodeName)}.exec`,
  attach: `${prefix}.${nodeToken(nodeName)}.attach`,
  portforward: `${prefix}.${nodeToken(nodeName)}.portforward`,
});

/** A Kubernetes Status, as carried in {error} and END. */
export type WireStatus = StreamStatus;

interface Opening {
  v: number;
  inbox: string;
  window?: number;
  namespace: string;
  pod: string;
  uid?: string;
  container: string;
}

/**
 * kube's PodLogOptions. previousContainerId: the container the pod's status names as the last
 * terminated one (with or without the "containerd://" prefix); used when it is one of this pod's,
 * else the dead attempt below the newest. (A container waiting to be restarted has its newest
 * attempt as its last state.)
 */
export interface LogRequest extends Opening, LogOptions {}

export interface AttachRequest extends Opening, AttachOptions {}

export interface ExecRequest extends AttachRequest {
  command: string[];
}

export interface PortForwardRequest extends Omit<Opening, 'container'> {
  port: number;
}

export type OpenReply = { ok: { inbox: string; window: number } } | { error: WireStatus };

export type EndMessage = StreamEnd;
export type { TerminalSize };

export interface ControlMessage {
  stdinClose?: boolean;
  resize?: TerminalSize;
}

export { streamFailure as failure } from '@skiff/client/api-frontend';

/** The exit code in a runtime status (0 for Success; undefined when it carries none). */
export function exitCodeOf(status: WireStatus | undefined): number | undefined {
  if (!status) return undefined;
  if (status.status === 'Success') return 0;
  if (status.reason !== 'NonZeroExitCode') return undefined;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const n = Number(cause?.message);
  return Number.isInteger(n) ? n : undefined;
}

/** The metav1.Status of a command that exited with `code`, as the kubelet's streaming server writes it. */
export function exitStatus(code: number, message?: string): WireStatus {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: message ?? `command terminated with non-zero exit code: exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}
