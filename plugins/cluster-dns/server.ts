// The DNS server's sockets: UDP and TCP on each listen address (`host:port`, port 0 = any free one,
// the same port for both), each query handed to the Responder. TCP carries length-prefixed messages
// (RFC 1035 4.2.2), several per connection, answered in order; idle connections are closed.
// Independent of the plugin host: tests and the benchmark run it directly.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
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
}

export function parseListen(s: string): ListenAddress {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m || !isIP(m[1]) || Number(m[2]) > 65535) throw new Error(`listen address "${s}" is not host:port (an IP, [IPv6]:port)`);
  return { host: m[1], port: Number(m[2]) };
}

export class DnsServer {
  private readonly udp: UdpSocket[] = [];
  private readonly tcp: Server[] = [];
  private readonly conns = new Set<Socket>();
  /** the addresses bound (ports resolved) */
  readonly addresses: ListenAddress[] = [];

  constructor(
    private readonly responder: Responder,
    private readonly o: DnsServerOptions,
  ) {}

  async start(): Promise<void> {
    try {
      for (const l of this.o.listen) this.addresses.push(await this.bind(l));
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  async stop(): Promise<void> {
    for (const c of this.conns) c.destroy();
    await Promise.all([
      ...this.udp.map((s) => new Promise<void>((r) => s.close(() => r()))),
      ...this.tcp.map((s) => new Promise<void>((r) => s.close(() => r()))),
    ]);
    this.udp.length = 0;
    this.tcp.length = 0;
  }

  /** UDP first (port 0 picks the port), then TCP on the same port; retried a few times if TCP's is taken. */
  private async bind(l: ListenAddress): Promise<ListenAddress> {
    for (let attempt = 0; ; attempt++) {
      const u = await this.bindUdp(l);
      const port = (u.address() as AddressInfo).port;
      try {
        this.tcp.push(await this.bindTcp({ host: l.host, port }));
        this.udp.push(u);
        return { host: l.host, port };
      } catch (e) {
        u.close();
        if (l.port !== 0 || attempt >= 5) throw e;
      }
    }
  }

  private bindUdp(l: ListenAddress): Promise<UdpSocket> {
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
        s.on('message', (msg, rinfo) => {
          let r: Buffer | null | Promise<Buffer | null>;
          try {
            r = this.responder.respond(msg, false);
          } catch {
            return; // a bug must cost one query, never the server
          }
          if (r === null) return;
          if (r instanceof Promise) r.then((b) => b && s.send(b, rinfo.port, rinfo.address), () => {});
          else s.send(r, rinfo.port, rinfo.address);
        });
        resolve(s);
      });
    });
  }

  private bindTcp(l: ListenAddress): Promise<Server> {
    const srv = createServer((c) => this.serve(c));
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen({ port: l.port, host: l.host, ipv6Only: isIP(l.host) === 6 }, () => {
        srv.off('error', reject);
        srv.on('error', () => {});
        resolve(srv);
      });
    });
  }

  private serve(c: Socket): void {
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
