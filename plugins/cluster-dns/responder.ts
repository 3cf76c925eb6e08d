// Turns a query into a response. Answers are precomputed: the first query for a question (its exact
// bytes, the RD bit and whether it carried EDNS) builds the response once — from the zone, or from
// the upstreams — and every later one copies it and patches the ID in. Zone answers live until the
// zone changes (any change drops them all: a change is rare next to queries, and the next query
// rebuilds its answer in microseconds); forwarded ones until their smallest TTL runs out (at most
// maxForwardTtl, SERVFAIL for servfailTtl). Each cache is bounded (full: emptied).
//
// A UDP response larger than the client takes (512 bytes, or its EDNS size) goes out truncated
// (TC): the client asks again over TCP, where it gets the whole answer.
import type { Answer } from 'dns-packet';
import type { Forwarder } from './forwarder.ts';
import { buildResponse, CLASS_ANY, CLASS_IN, errorReply, parseQuery, questionName, RCODE, truncated, typeName, withId, type Query } from './wire.ts';
import type { ClusterZone, LookupResult } from './zone.ts';

export interface ResponderOptions {
  /** most answers kept in each cache */
  maxEntries: number;
  /** longest a forwarded answer is kept, seconds */
  maxForwardTtl: number;
  /** how long a SERVFAIL for a forwarded name is kept, seconds */
  servfailTtl: number;
}

interface Prepared {
  full: Buffer;
  /** the TC form, made when first needed */
  trunc?: Buffer;
  /** ms timestamp; forwarded answers only */
  expires?: number;
}

export interface ResponderStats {
  queries: number;
  zoneHits: number;
  forwarded: number;
  servfail: number;
  formerr: number;
  dropped: number;
  truncated: number;
}

const DEFAULTS: ResponderOptions = { maxEntries: 100_000, maxForwardTtl: 30, servfailTtl: 2 };

export class Responder {
  private readonly zoneAnswers = new Map<string, Prepared>();
  private readonly forwardedAnswers = new Map<string, Prepared>();
  /** ExternalName answers with upstream records: they expire, and go with any zone change too */
  private readonly chasedAnswers = new Map<string, Prepared>();
  private readonly inflight = new Map<string, Promise<Prepared>>();
  private readonly o: ResponderOptions;
  readonly stats: ResponderStats = { queries: 0, zoneHits: 0, forwarded: 0, servfail: 0, formerr: 0, dropped: 0, truncated: 0 };

  constructor(
    private readonly zone: ClusterZone,
    private readonly forwarder?: Forwarder,
    o: Partial<ResponderOptions> = {},
  ) {
    this.o = { ...DEFAULTS, ...o };
    zone.onChange(() => {
      this.zoneAnswers.clear();
      this.chasedAnswers.clear();
    });
  }

  /** The zone's version: it changes with every change of the records. */
  get zoneVersion(): number {
    return this.zone.version;
  }

  /** Called after every change of the zone's records (the answers built from it are gone); returns the unsubscribe. */
  onZoneChange(fn: () => void): () => void {
    return this.zone.onChange(fn);
  }

  /**
   * The response to a message: a Buffer (its own copy, the caller may keep it), null to drop it,
   * or a promise of either for a forwarded name not in the cache. `kept` is told, before the
   * response is returned, when it is a kept answer: how long it stays good (ms timestamp;
   * undefined: until the zone changes).
   */
  respond(msg: Buffer, tcp: boolean, kept?: (expires: number | undefined) => void): Buffer | null | Promise<Buffer | null> {
    this.stats.queries++;
    const p = parseQuery(msg);
    if (!p.ok) {
      if (!('qEnd' in p)) {
        this.stats.dropped++;
        return null;
      }
      this.stats.formerr++;
      return errorReply(msg, p.rcode, p.qEnd);
    }
    const q = p.q;
    const key = (q.rd ? (q.edns ? 'R' : 'r') : q.edns ? 'N' : 'n') + msg.toString('latin1', 12, q.qEnd);
    const z = this.zoneAnswers.get(key);
    if (z) {
      this.stats.zoneHits++;
      return this.send(z, msg, q, tcp, kept);
    }
    const f = this.forwardedAnswers.get(key) ?? this.chasedAnswers.get(key);
    if (f && f.expires! > Date.now()) return this.send(f, msg, q, tcp, kept);
    const built = this.build(msg, q);
    if (built === undefined) return this.forward(key, msg, q, tcp, this.forwardedAnswers, () => this.forwardOnce(msg, q, tcp), kept);
    if ('chase' in built) return this.forward(key, msg, q, tcp, this.chasedAnswers, () => this.chase(msg, q, built.chase), kept);
    if (this.zoneAnswers.size >= this.o.maxEntries) this.zoneAnswers.clear();
    this.zoneAnswers.set(key, built);
    return this.send(built, msg, q, tcp, kept);
  }

  private send(p: Prepared, msg: Buffer, q: Query, tcp: boolean, kept?: (expires: number | undefined) => void): Buffer {
    kept?.(p.expires);
    if (tcp || p.full.length <= q.udpLimit) return withId(p.full, msg);
    this.stats.truncated++;
    p.trunc ??= truncated(p.full, q);
    return withId(p.trunc, msg);
  }

  /**
   * The zone's response; undefined when the name is not the zone's; `chase` for an ExternalName's
   * CNAME to an outside name (the target's records come from upstream, as CoreDNS adds them: a
   * stub resolver does not follow a CNAME itself).
   */
  private build(msg: Buffer, q: Query): Prepared | { chase: LookupResult & { forward: false } } | undefined {
    const name = questionName(msg, q.qEnd);
    if (name === undefined) return undefined;
    if (q.qclass !== CLASS_IN && q.qclass !== CLASS_ANY) return undefined;
    const r = this.zone.lookup(name, typeName(q.qtype));
    if (r.forward) return undefined;
    if (r.chase && this.forwarder?.upstreams.length && (q.qtype === 1 || q.qtype === 28)) return { chase: r };
    return { full: this.zoneResponse(msg, q, r) };
  }

  private zoneResponse(msg: Buffer, q: Query, r: LookupResult & { forward: false }, more: Answer[] = []): Buffer {
    return buildResponse(msg, q, {
      rcode: r.rcode === 'NXDOMAIN' ? RCODE.NXDOMAIN : RCODE.NOERROR,
      authoritative: true,
      answers: [...r.answers, ...more],
      authorities: r.authorities,
      additionals: r.additionals,
    });
  }

  /** The CNAME answer with the target's records from upstream (none if it does not answer), kept for the shortest TTL. */
  private async chase(msg: Buffer, q: Query, r: LookupResult & { forward: false }): Promise<Prepared> {
    const up = await this.forwarder!.resolve(r.chase!, typeName(q.qtype));
    const ttl = Math.min(this.zone.ttl, up?.ttl ?? this.o.servfailTtl);
    return { full: this.zoneResponse(msg, q, r, up?.answers ?? []), expires: Date.now() + ttl * 1000 };
  }

  private async forward(key: string, msg: Buffer, q: Query, tcp: boolean, cache: Map<string, Prepared>, make: () => Promise<Prepared>, kept?: (expires: number | undefined) => void): Promise<Buffer | null> {
    // one upstream query per question at a time; the others wait for its answer
    let pending = this.inflight.get(key);
    if (!pending) {
      this.stats.forwarded++;
      pending = make().finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
      const version = this.zone.version;
      const prepared = await pending;
      if (cache.size >= this.o.maxEntries) cache.clear();
      // (a chase that saw the zone change meanwhile may be stale: not kept)
      const keep = prepared.expires! > Date.now() && (cache !== this.chasedAnswers || version === this.zone.version);
      if (keep) cache.set(key, prepared);
      return this.send(prepared, msg, q, tcp, keep ? kept : undefined);
    }
    return this.send(await pending, msg, q, tcp);
  }

  private async forwardOnce(msg: Buffer, q: Query, tcp: boolean): Promise<Prepared> {
    const r = await this.forwarder?.forward(msg, q.qEnd, tcp);
    if (!r) {
      this.stats.servfail++;
      return { full: buildResponse(msg, q, { rcode: RCODE.SERVFAIL, authoritative: false }), expires: Date.now() + this.o.servfailTtl * 1000 };
    }
    // a truncated upstream answer is passed on as it is, never cached
    const ttl = r.response[2] & 0x02 ? 0 : Math.min(r.ttl, this.o.maxForwardTtl);
    return { full: r.response, expires: Date.now() + ttl * 1000 };
  }
}
