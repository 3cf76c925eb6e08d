// The API server's side of node-streams (protocol.ts): open a log stream or an exec session on the
// agent of a pod's node.
import type { NatsConnection } from '@nats-io/nats-core';
import { subjects, type EndMessage, type ExecRequest, type LogRequest } from './protocol.ts';
import { openSession, type Session, type SessionHandlers, type SessionOptions } from './session.ts';

type Params<T> = Omit<T, 'v' | 'inbox' | 'window'>;
export type LogParams = Params<LogRequest>;
export type ExecParams = Params<ExecRequest>;

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
