// The agent's side of node-streams (protocol.ts): answers log and exec requests for the pods this
// node runs, from the container runtime (CRI): log files as the kubelet reads them, exec and attach
// through the runtime's streaming server (remotecommand.ts), port-forward through it too (portforward.ts).
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import type { Logger } from '@skiff/kernel/plugins';
import { isNotFound, type ContainerStatus, type CriRuntime } from '@skiff/node-api';
import { attemptsOf, currentOf, previousOf, type ContainerRef } from './containers.ts';
import { nowNs, parseTimeNs } from './cri-log.ts';
import { readCriLog, type LogReadOptions } from './log-reader.ts';
import { DEFAULT_WINDOW, failure, Stream, subjects, type AttachRequest, type ExecRequest, type LogRequest, type OpenReply, type PortForwardRequest, type WireStatus } from './protocol.ts';
import { connectExec, type RemoteExec } from './remotecommand.ts';
import { connectPortForward, type RemotePortForward } from './portforward.ts';
import { POD_NAME, POD_NAMESPACE, POD_UID } from '@skiff/node-api';
import { Session, type SessionOptions } from './session.ts';

export interface NodeStreamsOptions {
  nc: NatsConnection;
  nodeName: string;
  cri: CriRuntime;
  logger?: Logger;
  /** session timing (tests) */
  session?: Pick<SessionOptions, 'pingMs' | 'idleMs'>;
  /** how often a follower asks the runtime whether the container still runs (default 1 s) */
  stateCheckMs?: number;
  /** deadline of the CRI calls made while opening (default 8 s, under the client's 10 s) */
  criTimeoutMs?: number;
}

export interface NodeStreamsServer {
  /** stops taking new sessions; the open ones go on */
  drain(): Promise<void>;
  /** stops taking new sessions and ends the open ones */
  stop(): Promise<void>;
  /** sessions in progress */
  readonly active: number;
}

const QUEUE = 'skiff-node-streams';

class OpenError extends Error {
  constructor(readonly status: WireStatus) {
    super(status.message);
  }
}
const badRequest = (m: string) => new OpenError(failure(400, 'BadRequest', m));

function refOf(r: Partial<LogRequest>, needContainer = true): ContainerRef {
  for (const k of needContainer ? (['namespace', 'pod', 'container'] as const) : (['namespace', 'pod'] as const)) {
    if (typeof r[k] !== 'string' || r[k] === '') throw badRequest(`${k} is required`);
  }
  if (r.uid !== undefined && typeof r.uid !== 'string') throw badRequest('uid must be a string');
  if (typeof r.inbox !== 'string' || r.inbox === '') throw badRequest('inbox is required');
  return { namespace: r.namespace!, pod: r.pod!, uid: r.uid || undefined, container: r.container! };
}

const optInt = (v: unknown, name: string, min: number): number | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw badRequest(`${name} must be an integer >= ${min}`);
  return v;
};

export function serveNodeStreams(o: NodeStreamsOptions): NodeStreamsServer {
  const { nc, cri } = o;
  const log = o.logger;
  const s = subjects(o.nodeName);
  const sessions = new Set<Session>();
  const callOpts = { timeoutMs: o.criTimeoutMs ?? 8_000 };

  const answer = (msg: Msg, r: OpenReply) => {
    try {
      msg.respond(JSON.stringify(r));
    } catch (e) {
      log?.warn('node-streams: could not answer', { error: String(e) });
    }
  };
  const track = (session: Session) => {
    sessions.add(session);
    void session.done.then(() => sessions.delete(session));
  };
  const parse = <T>(msg: Msg): T => {
    try {
      const r = msg.json<T>();
      if (!r || typeof r !== 'object') throw new Error('not an object');
      return r;
    } catch (e) {
      throw badRequest(`the request is not a JSON object: ${(e as Error).message}`);
    }
  };
  const statusOf = async (id: string): Promise<ContainerStatus | undefined> => {
    try {
      return (await cri.containerStatus(id, false, callOpts)).status ?? undefined;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  };
  const failed = (msg: Msg, e: unknown, what: string) => {
    if (e instanceof OpenError) return answer(msg, { error: e.status });
    log?.warn(`node-streams: ${what} failed`, { error: String((e as Error)?.message ?? e) });
    answer(msg, { error: failure(500, 'InternalError', `${what}: ${(e as Error)?.message ?? e}`) });
  };

  async function openLogs(msg: Msg): Promise<void> {
    const r = parse<LogRequest>(msg);
    const ref = refOf(r);
    const opts: LogReadOptions = {
      follow: r.follow === true,
      timestamps: r.timestamps === true,
      tailLines: optInt(r.tailLines, 'tailLines', 0),
      limitBytes: optInt(r.limitBytes, 'limitBytes', 1),
    };
    const sinceSeconds = optInt(r.sinceSeconds, 'sinceSeconds', 1);
    if (sinceSeconds !== undefined) opts.sinceNs = nowNs() - BigInt(sinceSeconds) * 1_000_000_000n;
    if (r.sinceTime !== undefined) {
      const t = typeof r.sinceTime === 'string' ? parseTimeNs(r.sinceTime) : undefined;
      if (t === undefined) throw badRequest(`sinceTime "${String(r.sinceTime)}" is not an RFC 3339 time`);
      opts.sinceNs = t;
    }
    const attempts = await attemptsOf(cri, ref);
    const named = typeof r.previousContainerId === 'string' ? r.previousContainerId.replace(/^[a-z]+:\/\//, '') : '';
    const hinted = r.previous && named ? attempts.find((a) => a.id === named && a.state === 'CONTAINER_EXITED') : undefined;
    const c = hinted ?? (r.previous ? previousOf(attempts) : currentOf(attempts));
    if (!c) {
      throw badRequest(r.previous
        ? `previous terminated container "${ref.container}" in pod "${ref.pod}" not found`
        : `container "${ref.container}" in pod "${ref.pod}" is not available`);
    }
    const st = await statusOf(c.id);
    if (!st) throw badRequest(`container "${ref.container}" in pod "${ref.pod}" is not available`);
    if (!st.logPath) throw badRequest(`container "${ref.container}" in pod "${ref.pod}" has no log file`);
    const abort = new AbortController();
    const session = Session.create(nc, {
      onData: () => {},
      onEnd: () => abort.abort(),
    }, { ...o.session, peer: r.inbox, sendWindow: positive(r.window) });
    track(session);
    answer(msg, { ok: { inbox: session.inbox, window: session.recvWindow } });
    const running = async () => (await statusOf(c.id).catch(() => undefined))?.state === 'CONTAINER_RUNNING';
    try {
      await readCriLog(st.logPath, opts, (chunk) => session.sendData(Stream.Stdout, chunk), { signal: abort.signal, running, stateCheckMs: o.stateCheckMs });
      await session.endAfterData({});
    } catch (e) {
      if (session.isEnded) return;
      log?.warn('node-streams: reading a log failed', { path: st.logPath, error: String(e) });
      session.end({ error: failure(500, 'InternalError', `reading the log of container "${ref.container}": ${(e as Error).message}`) });
    }
  }

  async function openExec(msg: Msg): Promise<void> {
    const r = parse<ExecRequest>(msg);
    if (!Array.isArray(r.command) || r.command.length === 0 || !r.command.every((a) => typeof a === 'string')) {
      throw badRequest('you must specify at least one command for the container');
    }
    await openRemoteCommand(msg, r, (containerId, wanted) => cri.exec({ containerId, cmd: r.command, ...wanted }, callOpts));
  }

  async function openAttach(msg: Msg): Promise<void> {
    const r = parse<AttachRequest>(msg);
    await openRemoteCommand(msg, r, (containerId, wanted) => cri.attach({ containerId, ...wanted }, callOpts));
  }

  /** exec and attach: the runtime's remotecommand session at the URL `open` gets, relayed. */
  async function openRemoteCommand(msg: Msg, r: AttachRequest, open: (containerId: string, wanted: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }) => Promise<string>): Promise<void> {
    const ref = refOf(r);
    const wanted = { stdin: r.stdin === true, stdout: r.stdout === true, stderr: r.stderr === true && r.tty !== true, tty: r.tty === true };
    if (!wanted.stdin && !wanted.stdout && !wanted.stderr) throw badRequest('you must specify at least one of stdin, stdout, stderr');
    const c = currentOf(await attemptsOf(cri, ref));
    if (!c || c.state !== 'CONTAINER_RUNNING') throw new OpenError(failure(404, 'NotFound', `container not found ("${ref.container}")`));
    let remote: RemoteExec | undefined;
    let stdinDrained: Promise<void> | undefined;
    let finished = false;
    const session = Session.create(nc, {
      onData: (stream, data) => {
        if (stream !== Stream.Stdin || !remote) return;
        // stdin is acknowledged once the runtime's connection has taken it
        if (!remote.writeStdin(data)) return (stdinDrained ??= new Promise<void>((res) => remote!.onDrain(() => ((stdinDrained = undefined), res()))));
      },
      onControl: (m) => {
        if (m.stdinClose) remote?.closeStdin();
        if (m.resize && Number.isInteger(m.resize.Width) && Number.isInteger(m.resize.Height)) remote?.resize(m.resize);
      },
      onEnd: () => {
        if (!finished) remote?.abort(); // the client went away (or fell silent): the process's stdin ends
      },
    }, { ...o.session, peer: r.inbox, sendWindow: positive(r.window) });
    // output goes out as the window allows; while it is full, the runtime's connection is not read
    const relay = (stream: number) => (d: Buffer) => {
      session.sendData(stream, d).catch(() => {});
      if (remote && session.blocked && !remote.socket.isPaused()) {
        remote.socket.pause();
        void session.whenWritable().then(() => remote?.socket.resume());
      }
    };
    try {
      const url = await open(c.id, wanted);
      remote = await connectExec(url, wanted, { onStdout: relay(Stream.Stdout), onStderr: relay(Stream.Stderr) }, { timeoutMs: callOpts.timeoutMs });
    } catch (e) {
      session.abandon();
      throw e;
    }
    track(session);
    answer(msg, { ok: { inbox: session.inbox, window: session.recvWindow } });
    const status = await remote.done;
    finished = true;
    await session.endAfterData({ status }).catch(() => {});
  }

  async function openPortForward(msg: Msg): Promise<void> {
    const r = parse<PortForwardRequest>(msg);
    const ref = refOf(r, false);
    if (typeof r.port !== 'number' || !Number.isInteger(r.port) || r.port < 1 || r.port > 65535) throw badRequest('port must be an integer between 1 and 65535');
    const labelSelector: Record<string, string> = { [POD_NAMESPACE]: ref.namespace, [POD_NAME]: ref.pod };
    if (ref.uid) labelSelector[POD_UID] = ref.uid;
    const sandboxes = await cri.listPodSandbox({ labelSelector, state: { state: 'SANDBOX_READY' } }, callOpts);
    const sandbox = sandboxes.sort((a, b) => b.createdAt - a.createdAt)[0];
    if (!sandbox) throw new OpenError(failure(404, 'NotFound', `pod "${ref.pod}" has no running sandbox on node "${o.nodeName}"`));
    let remote: RemotePortForward | undefined;
    let drained: Promise<void> | undefined;
    let finished = false;
    const session = Session.create(nc, {
      onData: (stream, data) => {
        if (stream !== Stream.Stdin || !remote) return;
        if (!remote.write(data)) return (drained ??= new Promise<void>((res) => remote!.onDrain(() => ((drained = undefined), res()))));
      },
      onControl: (m) => {
        if (m.stdinClose) remote?.closeWrite();
      },
      onEnd: () => {
        if (!finished) remote?.abort();
      },
    }, { ...o.session, peer: r.inbox, sendWindow: positive(r.window) });
    const relay = (d: Buffer) => {
      session.sendData(Stream.Stdout, d).catch(() => {});
      if (remote && session.blocked && !remote.socket.isPaused()) {
        remote.socket.pause();
        void session.whenWritable().then(() => remote?.socket.resume());
      }
    };
    try {
      const url = await cri.portForward(sandbox.id, [r.port], callOpts);
      remote = await connectPortForward(url, r.port, { onData: relay }, { timeoutMs: callOpts.timeoutMs });
    } catch (e) {
      session.abandon();
      throw e;
    }
    track(session);
    answer(msg, { ok: { inbox: session.inbox, window: session.recvWindow } });
    const error = await remote.done;
    finished = true;
    await session.endAfterData(error ? { error: failure(500, 'InternalError', `forwarding port ${r.port} to pod ${ref.pod}: ${error}`) } : {}).catch(() => {});
  }

  const handle = (what: string, open: (msg: Msg) => Promise<void>) => (err: Error | null, msg: Msg) => {
    if (err) return log?.warn(`node-streams: ${what} subscription failed`, { error: String(err) });
    open(msg).catch((e) => failed(msg, e, what));
  };
  const subs: Subscription[] = [
    nc.subscribe(s.logs, { queue: QUEUE, callback: handle('logs', openLogs) }),
    nc.subscribe(s.exec, { queue: QUEUE, callback: handle('exec', openExec) }),
    nc.subscribe(s.attach, { queue: QUEUE, callback: handle('attach', openAttach) }),
    nc.subscribe(s.portforward, { queue: QUEUE, callback: handle('portforward', openPortForward) }),
  ];
  log?.info('node-streams: serving logs, exec, attach and port-forward', { node: o.nodeName, subjects: Object.values(s) });

  const drain = async () => {
    for (const sub of subs) sub.unsubscribe();
    await nc.flush().catch(() => {});
  };
  return {
    drain,
    async stop() {
      await drain();
      for (const session of [...sessions]) session.end({ error: failure(503, 'ServiceUnavailable', `the agent of node "${o.nodeName}" is stopping`) });
    },
    get active() {
      return sessions.size;
    },
  };
}

function positive(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : DEFAULT_WINDOW;
}
