// The API server's side of node-streams (protocol.ts): open a log stream, an exec or attach
// session, or a port-forward connection on the agent of a pod's node; and the same as the
// transport-neutral PodStreams service the API front ends consume (natsPodStreams).
import type { NatsConnection } from '@nats-io/nats-core';
import type { PodStream, PodStreams, StreamSink } from '@skiff/client/api-frontend';
import { Stream, subjects, type AttachRequest, type EndMessage, type ExecRequest, type LogRequest, type PortForwardRequest } from './protocol.ts';
import { openSession, type Session, type SessionHandlers, type SessionOptions } from './session.ts';

type Params<T> = Omit<T, 'v' | 'inbox' | 'window'>;
export type LogParams = Params<LogRequest>;
export type ExecParams = Params<ExecRequest>;
export type AttachParams = Params<AttachRequest>;
export type PortForwardParams = Params<PortForwardRequest>;

export interface OpenOptions extends SessionOptions {
  openTimeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Opens a log stream: `onData` gets the text in chunks (the next chunk comes once the promise it
 * returns settles), `onEnd` how it ended. Rejects with a NodeStreamError when it does not start.
 */
export function openLogStream(
  nc: NatsConnection,
  nodeName: string,
  params: LogParams,
  h: { onData(chunk: Uint8Array): void | Promise<void>; onEnd?(end: EndMessage, remote: boolean): void },
  opts: OpenOptions = {},
): Promise<Session> {
  return openSession(nc, subjects(nodeName).logs, { ...params }, { onData: (_s, d) => h.onData(d), onEnd: h.onEnd }, { ...opts, nodeName });
}

/**
 * Opens an exec session: `onData` gets stdout (1) and stderr (2); send stdin with
 * `session.sendData(0, bytes)`, `session.sendControl({stdinClose: true})` or `({resize})`; the END
 * carries the command's final status.
 */
export function openExecSession(nc: NatsConnection, nodeName: string, params: ExecParams, h: SessionHandlers, opts: OpenOptions = {}): Promise<Session> {
  return openSession(nc, subjects(nodeName).exec, { ...params }, h, { ...opts, nodeName });
}

/** Opens an attach session: as exec, on the container's own process. */
export function openAttachSession(nc: NatsConnection, nodeName: string, params: AttachParams, h: SessionHandlers, opts: OpenOptions = {}): Promise<Session> {
  return openSession(nc, subjects(nodeName).attach, { ...params }, h, { ...opts, nodeName });
}

/** Opens one connection to a port of the pod: DATA 1 from the port, DATA 0 to it; END {error} when it could not connect. */
export function openPortForward(nc: NatsConnection, nodeName: string, params: PortForwardParams, h: SessionHandlers, opts: OpenOptions = {}): Promise<Session> {
  return openSession(nc, subjects(nodeName).portforward, { ...params }, h, { ...opts, nodeName });
}

/** A session as a PodStream. */
function asPodStream(s: Session): PodStream {
  return {
    write: (d) => s.sendData(Stream.Stdin, d),
    get blocked() {
      return s.blocked;
    },
    whenWritable: () => s.whenWritable(),
    closeInput: () => s.sendControl({ stdinClose: true }),
    resize: (size) => s.sendControl({ resize: size }),
    close: () => s.end(),
    done: s.done,
  };
}

const handlers = (sink: StreamSink): SessionHandlers => ({ onData: (ch, d) => sink.onData(ch, d), onEnd: (end) => sink.onEnd?.(end) });

/** The PodStreams service over NATS: each call reaches the agent of `target.nodeName`. */
export function natsPodStreams(nc: NatsConnection, opts: Omit<OpenOptions, 'signal'> = {}): PodStreams {
  return {
    async log({ nodeName, ...ref }, options, sink, o) {
      return asPodStream(await openSession(nc, subjects(nodeName).logs, { ...ref, ...options }, handlers(sink), { ...opts, signal: o?.signal, nodeName }));
    },
    async exec({ nodeName, ...ref }, options, sink, o) {
      return asPodStream(await openExecSession(nc, nodeName, { ...ref, ...options }, handlers(sink), { ...opts, signal: o?.signal }));
    },
    async attach({ nodeName, ...ref }, options, sink, o) {
      return asPodStream(await openAttachSession(nc, nodeName, { ...ref, ...options }, handlers(sink), { ...opts, signal: o?.signal }));
    },
    async portForward({ nodeName, ...ref }, port, sink, o) {
      return asPodStream(await openPortForward(nc, nodeName, { ...ref, port }, handlers(sink), { ...opts, signal: o?.signal }));
    },
  };
}
