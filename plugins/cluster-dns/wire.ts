// The few DNS wire-format steps done by hand on the hot path (reading a query's header, question and
// EDNS OPT; patching IDs; header-only replies), and the assembly of a response from records that
// dns-packet encodes. A response repeats the query's question bytes exactly (case included), so a
// client that checks them (0x20 randomisation) accepts it.
import * as dnsPacket from 'dns-packet';
import type { Answer } from 'dns-packet';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
const QR = 0x8000;
const AA = 0x0400;
const TC = 0x0200;
const RD = 0x0100;
const RA = 0x0080;
const TYPE_OPT = 41;
/** the UDP payload size this server advertises in its OPT records (the DNS flag day's value) */
export const EDNS_UDP_SIZE = 1232;

const TYPE_NAMES: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 255: 'ANY' };
export const CLASS_IN = 1;
export const CLASS_ANY = 255;

export interface Query {
  /** offset just past the question */
  qEnd: number;
  rd: boolean;
  qtype: number;
  qclass: number;
  /** the query carried an EDNS OPT record */
  edns: boolean;
  /** the largest UDP response the client takes */
  udpLimit: number;
}

/** What a message is: a query to answer, one to refuse with an rcode (and maybe its question), or garbage to drop. */
export type Parsed = { ok: true; q: Query } | { ok: false; rcode: number; qEnd: number } | { ok: false; rcode: -1 };

/**
 * Reads a query without allocating. Responses (QR set) and messages shorter than a header are
 * dropped (-1: answering them could loop two servers); other malformed queries get FORMERR, other
 * opcodes NOTIMP.
 */
export function parseQuery(msg: Buffer): Parsed {
  if (msg.length < 12 || msg[2] & 0x80) return { ok: false, rcode: -1 };
  const opcode = (msg[2] >> 3) & 0xf;
  const qd = (msg[4] << 8) | msg[5];
  const an = (msg[6] << 8) | msg[7];
  const ns = (msg[8] << 8) | msg[9];
  const ar = (msg[10] << 8) | msg[11];
  if (qd !== 1) return { ok: false, rcode: opcode === 0 ? RCODE.FORMERR : RCODE.NOTIMP, qEnd: 12 };
  let o = 12;
  let nameLen = 1;
  for (;;) {
    if (o >= msg.length) return { ok: false, rcode: RCODE.FORMERR, qEnd: 12 };
    const len = msg[o];
    if (len === 0) {
      o++;
      break;
    }
    // compression pointers (and the reserved label types) make no sense in a lone question
    if (len & 0xc0) return { ok: false, rcode: RCODE.FORMERR, qEnd: 12 };
    nameLen += len + 1;
    o += len + 1;
    if (nameLen > 255) return { ok: false, rcode: RCODE.FORMERR, qEnd: 12 };
  }
  if (o + 4 > msg.length) return { ok: false, rcode: RCODE.FORMERR, qEnd: 12 };
  const qtype = (msg[o] << 8) | msg[o + 1];
  const qclass = (msg[o + 2] << 8) | msg[o + 3];
  const qEnd = o + 4;
  if (opcode !== 0) return { ok: false, rcode: RCODE.NOTIMP, qEnd };
  const q: Query = { qEnd, rd: (msg[2] & 0x01) !== 0, qtype, qclass, edns: false, udpLimit: 512 };
  if (an === 0 && ns === 0 && ar === 0 && qEnd === msg.length) return { ok: true, q };
  // the usual tail: one OPT record at the root
  if (an === 0 && ns === 0 && ar === 1 && qEnd + 11 <= msg.length && msg[qEnd] === 0 && ((msg[qEnd + 1] << 8) | msg[qEnd + 2]) === TYPE_OPT) {
    const rdlen = (msg[qEnd + 9] << 8) | msg[qEnd + 10];
    if (qEnd + 11 + rdlen === msg.length) return { ok: true, q: withEdns(q, (msg[qEnd + 3] << 8) | msg[qEnd + 4]) };
  }
  // anything else: accept what parses as a whole message, taking its OPT if there is one
  let decoded: dnsPacket.DecodedPacket;
  try {
    decoded = dnsPacket.decode(msg);
  } catch {
    return { ok: false, rcode: RCODE.FORMERR, qEnd };
  }
  if (dnsPacket.decode.bytes !== msg.length) return { ok: false, rcode: RCODE.FORMERR, qEnd };
  const opt = (decoded.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  return { ok: true, q: opt ? withEdns(q, opt.udpPayloadSize ?? 512) : q };
}

function withEdns(q: Query, size: number): Query {
  q.edns = true;
  q.udpLimit = Math.min(Math.max(size, 512), 4096);
  return q;
}

/** The question's name as text (labels joined by dots), or undefined when a label holds a dot or a non-printable byte. */
export function questionName(msg: Buffer, qEnd: number): string | undefined {
  let o = 12;
  let s = '';
  for (;;) {
    const len = msg[o];
    if (len === 0) break;
    for (let i = o + 1; i <= o + len; i++) if (msg[i] <= 0x20 || msg[i] >= 0x7f || msg[i] === 0x2e) return undefined;
    s += (s ? '.' : '') + msg.toString('latin1', o + 1, o + 1 + len);
    o += len + 1;
  }
  return o + 5 === qEnd ? s : undefined;
}

export const typeName = (qtype: number): string => TYPE_NAMES[qtype] ?? `TYPE${qtype}`;

const optRecord = (): Answer => ({ type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_SIZE, flags: 0, options: [] }) as unknown as Answer;

/**
 * A complete response with ID 0 (patched per query): the header, the query's own question bytes,
 * then the records (encoded by dns-packet; an OPT record added when the query had one).
 */
export function buildResponse(
  msg: Buffer,
  q: Query,
  r: { rcode: number; authoritative: boolean; answers?: Answer[]; authorities?: Answer[]; additionals?: Answer[] },
): Buffer {
  const flags = (r.authoritative ? AA : 0) | (q.rd ? RD : 0) | RA | (r.rcode & 0xf);
  const body = dnsPacket.encode({
    type: 'response',
    id: 0,
    flags,
    questions: [],
    answers: r.answers ?? [],
    authorities: r.authorities ?? [],
    additionals: q.edns ? [...(r.additionals ?? []), optRecord()] : (r.additionals ?? []),
  });
  const out = Buffer.allocUnsafe(body.length + q.qEnd - 12);
  body.copy(out, 0, 0, 12);
  msg.copy(out, 12, 12, q.qEnd);
  body.copy(out, q.qEnd, 12);
  out[4] = 0;
  out[5] = 1;
  return out;
}

/** The response's truncated form: header with TC and the question only (plus OPT), so the client asks again over TCP. */
export function truncated(full: Buffer, q: Query): Buffer {
  const opt = q.edns ? dnsPacket.encode({ type: 'response', id: 0, questions: [], answers: [], authorities: [], additionals: [optRecord()] }).subarray(12) : Buffer.alloc(0);
  const out = Buffer.allocUnsafe(q.qEnd + opt.length);
  full.copy(out, 0, 0, q.qEnd);
  opt.copy(out, q.qEnd);
  out.writeUInt16BE(out.readUInt16BE(2) | TC, 2);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(q.edns ? 1 : 0, 10);
  return out;
}

/** A header-only error reply (FORMERR, NOTIMP, SERVFAIL...), with the question when there is one. */
export function errorReply(msg: Buffer, rcode: number, qEnd: number): Buffer {
  const out = Buffer.allocUnsafe(qEnd);
  msg.copy(out, 0, 0, qEnd);
  const opcode = msg[2] & 0x78;
  out[2] = (QR >> 8) | opcode | (msg[2] & 0x01);
  out[3] = (RA & 0xff) | (rcode & 0xf);
  out.writeUInt16BE(qEnd > 12 ? 1 : 0, 4);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(0, 10);
  return out;
}

/** A copy of a prepared response with the query's ID. */
export function withId(prepared: Buffer, msg: Buffer): Buffer {
  const out = Buffer.allocUnsafe(prepared.length);
  prepared.copy(out);
  out[0] = msg[0];
  out[1] = msg[1];
  return out;
}
