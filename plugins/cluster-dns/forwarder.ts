// Forwards the names outside the cluster zone to the node's upstream resolvers (nameserver lines of
// its resolv.conf, less this server's own addresses), as CoreDNS's `forward . /etc/resolv.conf`:
// the query goes out as the client sent it with an ID of ours, over UDP (TCP when the client came
// over TCP and the UDP answer was truncated); the upstreams are tried in turn within one short
// deadline. With no upstream, or none answering in time, the caller answers SERVFAIL — at once when
// there is none, after `timeoutMs` otherwise.
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { isIP, Socket as TcpSocket } from 'node:net';
import * as dnsPacket from 'dns-packet';

export interface Upstream {
  host: string;
  port: number;
}

export interface ForwarderOptions {
  upstreams: Upstream[];
  /** the whole time given to the upstreams for one query */
  timeoutMs: number;
}

export interface Forwarded {
  /** the upstream's response, with the client's ID */
  response: Buffer;
  /** how long it may be cached: the smallest TTL in it (the SOA minimum for a negative one), in seconds */
  ttl: number;
}

interface Pending {
  done(r: Buffer | undefined): void;
  question: Buffer;
  host: string;
  port: number;
}

/** The nameservers of a resolv.conf text, as upstreams on port 53. */
export function upstreamsFromResolvConf(text: string): Upstream[] {
  const out: Upstream[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] !== 'nameserver' || !f[1]) continue;
    const host = f[1].replace(/%.*$/, '');
    if (isIP(host)) out.push({ host, port: 53 });
  }
  return out;
}

export function readUpstreams(path: string, exclude: Upstream[]): Upstream[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return upstreamsFromResolvConf(text).filter((u) => !exclude.some((x) => x.port === u.port && (x.host === u.host || (isWildcard(x.host) && isLocal(u.host)))));
}

const isWildcard = (h: string) => h === '0.0.0.0' || h === '::';

/** An address of this host (loopback or an interface's): a server listening on the wildcard answers there. */
function isLocal(host: string): boolean {
  if (host.startsWith('127.') || host === '::1') return true;
  return Object.values(networkInterfaces()).some((list) => (list ?? []).some((a) => a.address === host));
}

/** The smallest TTL of a response's records (answers, authority; OPT aside); 0 when it cannot be read. */
export function responseTtl(buf: Buffer): number {
  try {
    const p = dnsPacket.decode(buf);
    let min = Infinity;
    for (const r of [...(p.answers ?? []), ...(p.authorities ?? [])]) {
      if (r.type === 'OPT') continue;
      const ttl = r.type === 'SOA' ? Math.min(r.ttl ?? 0, (r.data as { minimum: number }).minimum) : (r.ttl ?? 0);
      min = Math.min(min, ttl);
    }
    return min === Infinity ? 0 : min;
  } catch {
    return 0;
  }
}

export class Forwarder {
  private udp4?: Socket;
  private udp6?: Socket;
  private readonly pending = new Map<number, Pending>();
  private nextId = Math.floor(Math.random() * 0x10000);
  private closed = false;

  constructor(private readonly o: ForwarderOptions) {}

  get upstreams(): readonly Upstream[] {
    return this.o.upstreams;
  }

  /** Forwards a query (as received); undefined when no upstream answered in time. */
  async forward(msg: Buffer, qEnd: number, tcp: boolean): Promise<Forwarded | undefined> {
    const ups = this.o.upstreams;
    if (!ups.length || this.closed) return undefined;
    const deadline = Date.now() + this.o.timeoutMs;
    for (let i = 0; i < ups.length; i++) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      // each upstream gets its share of what is left
      const slice = Math.max(1, Math.floor(left / (ups.length - i)));
      let r = await this.udp(ups[i], msg, qEnd, slice);
      if (r && tcp && r[2] & 0x02) r = (await exchangeTcp(ups[i], msg, Math.max(1, deadline - Date.now()))) ?? r;
      if (r) {
        const response = Buffer.from(r);
        response[0] = msg[0];
        response[1] = msg[1];
        return { response, ttl: responseTtl(response) };
      }
    }
    return undefined;
  }

  /** Asks the upstreams one question of our own: the answer records (owner names as upstream gave them) and their TTL. */
  async resolve(name: string, type: string): Promise<{ answers: dnsPacket.Answer[]; ttl: number } | undefined> {
    const msg = dnsPacket.encode({ type: 'query', id: 0, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as dnsPacket.RecordType, class: 'IN' }] });
    const r = await this.forward(msg, msg.length, true);
    if (!r) return undefined;
    try {
      const p = dnsPacket.decode(r.response);
      return { answers: (p.answers ?? []).filter((a) => a.type !== 'OPT'), ttl: r.ttl };
    } catch {
      return undefined;
    }
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) p.done(undefined);
    this.pending.clear();
    this.udp4?.close();
    this.udp6?.close();
    this.udp4 = this.udp6 = undefined;
  }

  private socket(v6: boolean): Socket {
    const existing = v6 ? this.udp6 : this.udp4;
    if (existing) return existing;
    const s = createSocket({ type: v6 ? 'udp6' : 'udp4', lookup: (a, _o, cb) => cb(null, a, v6 ? 6 : 4) } as Parameters<typeof createSocket>[0]);
    s.on('message', (m, rinfo) => this.received(m, rinfo.address, rinfo.port));
    s.on('error', () => {});
    s.unref();
    if (v6) this.udp6 = s;
    else this.udp4 = s;
    return s;
  }

  private received(m: Buffer, host: string, port: number): void {
    if (m.length < 12 || !(m[2] & 0x80)) return;
    const id = (m[0] << 8) | m[1];
    const p = this.pending.get(id);
    // only the upstream asked, answering the question asked (a guard against spoofed answers)
    if (!p || p.port !== port || p.host !== host) return;
    if (m.length < p.question.length + 12 || !m.subarray(12, 12 + p.question.length).equals(p.question)) return;
    p.done(m);
  }

  private udp(up: Upstream, msg: Buffer, qEnd: number, timeoutMs: number): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      let id = this.nextId;
      for (let n = 0; this.pending.has(id) && n < 0x10000; n++) id = (id + 1) & 0xffff;
      this.nextId = (id + 7919) & 0xffff;
      const out = Buffer.from(msg);
      out[0] = id >> 8;
      out[1] = id & 0xff;
      const timer = setTimeout(() => done(undefined), timeoutMs);
      timer.unref();
      const done = (r: Buffer | undefined) => {
        clearTimeout(timer);
        if (this.pending.get(id)?.done === done) this.pending.delete(id);
        resolve(r);
      };
      this.pending.set(id, { done, question: msg.subarray(12, qEnd), host: up.host, port: up.port });
      try {
        this.socket(isIP(up.host) === 6).send(out, up.port, up.host, (err) => err && done(undefined));
      } catch {
        done(undefined);
      }
    });
  }

}

/** One DNS exchange over TCP (RFC 1035 4.2.2: a 2-byte length before each message); undefined on error or timeout. */
export function exchangeTcp(to: Upstream, msg: Buffer, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = new TcpSocket();
    let buf = Buffer.alloc(0);
    const finish = (r: Buffer | undefined) => {
      clearTimeout(timer);
      s.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    s.on('error', () => finish(undefined));
    s.on('close', () => finish(undefined));
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) finish(buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
    s.connect(to.port, to.host, () => {
      const len = Buffer.allocUnsafe(2);
      len.writeUInt16BE(msg.length);
      s.write(Buffer.concat([len, msg]));
    });
  });
}
