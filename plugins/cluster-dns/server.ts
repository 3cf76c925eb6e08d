// The DNS server's sockets: UDP and TCP on each listen address (`host:port`, port 0 = any free one,
// the same port for both), each query handed to the Responder. TCP carries length-prefixed messages
// (RFC 1035 4.2.2), several per connection, answered in order; idle connections are closed.
// Independent of the plugin host: tests and the benchmark run it directly.
//
// Hot reload: a new version of the plugin starts while the old one still holds its ports (Node 20
// has no SO_REUSEPORT). Bound sockets are kept in a process-wide registry (by a global symbol, so
// every loaded copy of this module sees it); a server asked for an address already bound takes the
// sockets over — queries go to the newest server from then on — and a server stopping closes only
// the sockets it still owns. No query is refused in between.
//
// Answering helpers (`answerHelpers`): processes that read each UDP socket too and answer from the
// answers this server sends them (answer-helper.mjs), so UDP queries are answered on more than one
// core. They belong to the socket: a server taking it over tells them its zone's generation.
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isIP, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Responder } from './responder.ts';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface DnsServerOptions {
  listen: ListenAddress[];
  /** a TCP connection with no query for this long is closed */
  tcpIdleMs?: number;
  /** kernel receive buffer of each UDP socket, bytes (absorbs bursts) */
  udpRecvBuffer?: number;
  /** helper processes answering on each UDP socket besides this one (default 0) */
  answerHelpers?: number;
  /** most answers each helper keeps (default 100,000) */
  helperCacheSize?: number;
  /** a helper could not be started or ended on its own (it is started again a second later) */
  onHelperError?: (e: Error) => void;
}

/** A reply whose socket closed meanwhile (a forwarded answer arriving after stop) is dropped. */
function sendQuietly(s: UdpSocket, b: Buffer, port: number, address: string): void {
  try {
    s.send(b, port, address);
  } catch {
    /* closed */
  }
}

export function parseListen(s: string): ListenAddress {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m || !isIP(m[1]) || Number(m[2]) > 65535) throw new Error(`listen address "${s}" is not host:port (an IP, [IPv6]:port)`);
  return { host: m[1], port: Number(m[2]) };
}

/** A bound address's sockets and the server answering on them (the newest one started there). */
interface Bound {
  udp: UdpSocket;
  tcp: Server;
  owner: DnsServer;
  helpers: ChildProcess[];
  /** helpers that have the socket */
  serving: Set<ChildProcess>;
  closed?: boolean;
}

/** A query a helper had no answer for, as it sends it over IPC. */
interface HelperQuery {
  t: 'query';
  msg: Uint8Array;
  port: number;
  address: string;
}

/** What a helper answered from what it keeps since it last said, counted as the responder counts. */
interface HelperStats {
  t: 'stats';
  queries: number;
  zoneHits: number;
  truncated: number;
}

/** The helper's script: beside this module in the source tree, beside the bundle in dist/. */
function helperFile(): string {
  const file = fileURLToPath(new URL('./answer-helper.mjs', import.meta.url));
  if (!existsSync(file)) throw new Error(`the DNS answer helper script is missing: ${file}`);
  return file;
}
const REGISTRY = Symbol.for('skiff.cluster-dns.bound-sockets');
const registry: Map<string, Bound> = ((globalThis as Record<symbol, unknown>)[REGISTRY] as Map<string, Bound> | undefined) ?? new Map();
(globalThis as Record<symbol, unknown>)[REGISTRY] = registry;
const keyOf = (l: ListenAddress) => `${l.host}|${l.port}`;

export class DnsServer {
  private readonly bound: Bound[] = [];
  private readonly conns = new Set<Socket>();
  /** the addresses bound (ports resolved) */
  readonly addresses: ListenAddress[] = [];
  /** tells this server's zone generation apart from any other server's (hot reload) */
  private readonly id = randomUUID();
  private unsubscribe?: () => void;

  constructor(
    private readonly responder: Responder,
    private readonly o: DnsServerOptions,
  ) {}

  async start(): Promise<void> {
    // helpers drop what they keep from the zone when it changes
    this.unsubscribe = this.responder.onZoneChange(() => {
      for (const b of this.bound) if (b.owner === this) this.tellGeneration(b);
    });
    try {
      for (const l of this.o.listen) this.addresses.push(await this.bind(l));
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    // sockets a newer server took over stay open: they are its now (and this one's TCP clients get
    // a second to finish: new connections reach the newer server)
    const mine = this.bound.filter((b) => b.owner === this);
    for (const b of mine) {
      b.closed = true;
      for (const h of b.helpers ?? []) h.kill(); // (a socket bound by a version without helpers has none)
    }
    const superseded = mine.length < this.bound.length;
    for (const c of this.conns) superseded ? c.setTimeout(1000) : c.destroy();
    this.bound.length = 0;
    for (const b of mine) for (const [k, v] of registry) if (v === b) registry.delete(k);
    await Promise.all(mine.flatMap((b) => [new Promise<void>((r) => b.udp.close(() => r())), new Promise<void>((r) => b.tcp.close(() => r()))]));
  }

  /** Answers one UDP message (called by the socket's listener, for whichever server owns it now). */
  handleUdp(s: UdpSocket, msg: Buffer, port: number, address: string): void {
    let r: Buffer | null | Promise<Buffer | null>;
    try {
      r = this.responder.respond(msg, false);
    } catch {
      return; // a bug must cost one query, never the server
    }
    if (r === null) return;
    if (r instanceof Promise) r.then((b) => b && sendQuietly(s, b, port, address), () => {});
    else sendQuietly(s, r, port, address);
  }

  /** The process IDs of the answering helpers that have this server's UDP sockets. */
  helperPids(): number[] {
    return this.bound.filter((b) => b.owner === this).flatMap((b) => [...(b.serving ?? [])].map((h) => h.pid!));
  }

  /** `${server}:${zone version}`: what a helper's kept answers came from */
  private generation(): string {
    return `${this.id}:${this.responder.zoneVersion}`;
  }

  private tellGeneration(b: Bound): void {
    for (const h of b.helpers ?? []) if (h.connected) h.send({ t: 'generation', generation: this.generation() });
  }

  /** Answers a query a helper had no answer for, and gives the helper the answer when it may keep it. */
  answerForHelper(b: Bound, helper: ChildProcess, q: HelperQuery): void {
    const msg = Buffer.from(q.msg.buffer, q.msg.byteOffset, q.msg.byteLength);
    const generation = this.generation(); // the zone the answer comes from (answered now, or forwarded)
    let kept: { expires: number | undefined } | undefined;
    let r: Buffer | null | Promise<Buffer | null>;
    try {
      r = this.responder.respond(msg, false, (expires) => (kept = { expires }));
    } catch {
      return;
    }
    const done = (out: Buffer | null) => {
      if (!out) return;
      sendQuietly(b.udp, out, q.port, q.address);
      if (!kept || (kept.expires !== undefined && kept.expires <= Date.now()) || !helper.connected) return;
      helper.send({ t: 'answer', key: msg.toString('latin1', 2), response: out, generation, expires: kept.expires });
    };
    if (r instanceof Promise) r.then(done, () => {});
    else done(r);
  }

  /** Queries a helper answered itself: in this server's stats as if it had answered them. */
  countHelperAnswers(m: HelperStats): void {
    const st = this.responder.stats;
    st.queries += m.queries;
    st.zoneHits += m.zoneHits;
    st.truncated += m.truncated;
  }

  /** Starts a helper on a bound UDP socket; one that ends on its own is started again a second later. */
  private startHelper(b: Bound): void {
    let h: ChildProcess;
    try {
      h = fork(helperFile(), [], { serialization: 'advanced', execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    } catch (e) {
      this.o.onHelperError?.(e as Error);
      return;
    }
    b.helpers.push(h);
    h.on('message', (m: HelperQuery | HelperStats | { t: 'hello' }) => {
      if (m.t === 'query') b.owner.answerForHelper(b, h, m);
      else if (m.t === 'stats') b.owner.countHelperAnswers(m);
      // the helper listens: the socket may go (see answer-helper.mjs)
      else if (m.t === 'hello' && !b.closed) {
        h.send({ t: 'socket', generation: b.owner.generation(), maxEntries: this.o.helperCacheSize ?? 100_000 }, b.udp);
        b.serving.add(h);
      }
    });
    h.on('error', (e) => this.o.onHelperError?.(e));
    h.once('exit', (code, signal) => {
      b.helpers.splice(b.helpers.indexOf(h), 1);
      b.serving.delete(h);
      if (b.closed) return;
      this.o.onHelperError?.(new Error(`a DNS answer helper ended (${signal ?? `exit ${code}`})`));
      setTimeout(() => !b.closed && b.owner.startHelper(b), 1000).unref();
    });
  }

  /** UDP first (port 0 picks the port), then TCP on the same port; retried a few times if TCP's is taken. */
  private async bind(l: ListenAddress): Promise<ListenAddress> {
    const held = l.port !== 0 ? registry.get(keyOf(l)) : undefined;
    if (held) {
      held.owner = this;
      this.bound.push(held);
      this.tellGeneration(held); // what the helpers keep came from the old server's zone
      return { ...l };
    }
    for (let attempt = 0; ; attempt++) {
      const b = { owner: this, helpers: [], serving: new Set() } as unknown as Bound;
      const u = await this.bindUdp(l, b);
      const port = (u.address() as AddressInfo).port;
      try {
        b.udp = u;
        b.tcp = await this.bindTcp({ host: l.host, port }, b);
        this.bound.push(b);
        registry.set(keyOf({ host: l.host, port }), b);
        for (let i = 0; i < (this.o.answerHelpers ?? 0); i++) this.startHelper(b);
        return { host: l.host, port };
      } catch (e) {
        u.close();
        if (l.port !== 0 || attempt >= 5) throw e;
      }
    }
  }

  private bindUdp(l: ListenAddress, b: Bound): Promise<UdpSocket> {
    const v6 = isIP(l.host) === 6;
    // replies go to IP addresses: a lookup that answers at once saves a tick per reply
    const s = createSocket({ type: v6 ? 'udp6' : 'udp4', lookup: (a: string, _o: unknown, cb: (e: null, a: string, f: number) => void) => cb(null, a, v6 ? 6 : 4) } as Parameters<typeof createSocket>[0]);
    return new Promise((resolve, reject) => {
      s.once('error', reject);
      s.bind(l.port, l.host, () => {
        s.off('error', reject);
        s.on('error', () => {}); // a failed send (ICMP unreachable) must not end the server
        try {
          s.setRecvBufferSize(this.o.udpRecvBuffer ?? 4 << 20);
        } catch {
          /* capped by net.core.rmem_max: the kernel's default stays */
        }
        s.on('message', (msg, rinfo) => b.owner.handleUdp(s, msg, rinfo.port, rinfo.address));
        resolve(s);
      });
    });
  }

  private bindTcp(l: ListenAddress, b: Bound): Promise<Server> {
    const srv = createServer((c) => b.owner.serve(c));
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen({ port: l.port, host: l.host, ipv6Only: isIP(l.host) === 6 }, () => {
        srv.off('error', reject);
        srv.on('error', () => {});
        resolve(srv);
      });
    });
  }

  /** Serves one TCP connection (for whichever server owns the listener now). */
  serve(c: Socket): void {
    this.conns.add(c);
    c.setNoDelay(true);
    c.setTimeout(this.o.tcpIdleMs ?? 10_000, () => c.destroy());
    c.on('error', () => {});
    c.on('close', () => this.conns.delete(c));
    let buf = Buffer.alloc(0);
    // answers leave in the order their queries came, forwarded ones included
    let chain: Promise<unknown> = Promise.resolve();
    c.on('data', (d) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = Buffer.from(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        let r: Buffer | null | Promise<Buffer | null>;
        try {
          r = this.responder.respond(msg, true);
        } catch {
          r = null;
        }
        if (r === null && len < 12) {
          c.destroy(); // not DNS
          return;
        }
        chain = chain.then(() => r).then((b) => {
          if (!b || c.destroyed) return;
          const out = Buffer.allocUnsafe(2 + b.length);
          out.writeUInt16BE(b.length);
          b.copy(out, 2);
          c.write(out);
        }, () => {});
      }
    });
  }
}
