// A small DNS client for tests and benchmarks: one query over UDP or TCP, the raw response and its
// decoding (dns-packet).
import { createSocket } from 'node:dgram';
import * as dnsPacket from 'dns-packet';
import { exchangeTcp } from './forwarder.ts';

export interface QueryOptions {
  tcp?: boolean;
  /** add an EDNS OPT record advertising this UDP size */
  edns?: number;
  id?: number;
  timeoutMs?: number;
  rd?: boolean;
}

/** A decoded reply (dns-packet decodes the rcode; its types leave it out). */
export type Reply = dnsPacket.DecodedPacket & { rcode: string };

export interface QueryResult {
  raw: Buffer;
  packet: Reply;
  ms: number;
}

export function encodeQuery(name: string, type: string, o: QueryOptions = {}): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: o.id ?? Math.floor(Math.random() * 0x10000),
    flags: o.rd === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as dnsPacket.RecordType, class: 'IN' }],
    additionals: o.edns ? [{ type: 'OPT', name: '.', udpPayloadSize: o.edns, flags: 0, options: [] } as unknown as dnsPacket.Answer] : [],
  });
}

/** Sends raw bytes, resolves with the raw reply (undefined on timeout). */
export function sendRaw(port: number, msg: Buffer, o: { tcp?: boolean; timeoutMs?: number; host?: string } = {}): Promise<Buffer | undefined> {
  const host = o.host ?? '127.0.0.1';
  const timeoutMs = o.timeoutMs ?? 2000;
  return new Promise((resolve, reject) => {
    if (o.tcp) {
      exchangeTcp({ host, port }, msg, timeoutMs).then(resolve);
      return;
    }
    const s = createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, timeoutMs);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(m);
    });
    s.send(msg, port, host, (err) => {
      if (err) {
        clearTimeout(t);
        s.close();
        reject(err);
      }
    });
  });
}

export async function query(port: number, name: string, type: string, o: QueryOptions = {}): Promise<QueryResult> {
  const msg = encodeQuery(name, type, o);
  const t0 = performance.now();
  const raw = await sendRaw(port, msg, o);
  const ms = performance.now() - t0;
  if (!raw) throw new Error(`no answer to ${name} ${type} within ${o.timeoutMs ?? 2000} ms`);
  const packet = dnsPacket.decode(raw) as Reply;
  if (packet.id !== msg.readUInt16BE(0)) throw new Error(`answer with ID ${packet.id}, asked ${msg.readUInt16BE(0)}`);
  return { raw, packet, ms };
}

/** The answers' data of one type, sorted (A/AAAA addresses, CNAME/PTR names, SRV as "prio weight port target"). */
export function dataOf(p: dnsPacket.DecodedPacket, type: string, section: 'answers' | 'additionals' = 'answers'): string[] {
  return (p[section] ?? [])
    .filter((a) => a.type === type)
    .map((a) => {
      const d = (a as { data: unknown }).data;
      if (a.type === 'SRV') {
        const s = d as { priority: number; weight: number; port: number; target: string };
        return `${s.priority} ${s.weight} ${s.port} ${s.target}`;
      }
      if (a.type === 'TXT') return (d as Buffer[]).map((b) => b.toString()).join('');
      return String(d);
    })
    .sort();
}
