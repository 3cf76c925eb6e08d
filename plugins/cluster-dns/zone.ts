// The cluster zone in memory, as the Kubernetes DNS specification (and CoreDNS's kubernetes plugin)
// names things, built from Services and their EndpointSlices:
// - `<svc>.<ns>.svc.<domain>`: A/AAAA of the ClusterIP(s); for a headless Service the ready endpoint
//   IPs; for an ExternalName Service a CNAME to the external name;
// - `<ep>.<svc>.<ns>.svc.<domain>` for each ready endpoint of a headless Service, <ep> its hostname
//   (StatefulSet pods) or its IP with dashes;
// - `_<port>._<proto>.<svc>.<ns>.svc.<domain>` SRV for each named port (the Service port and name
//   for a ClusterIP, each endpoint and its port for a headless Service);
// - PTR for ClusterIPs and for headless endpoint IPs;
// - `dns-version.<domain>` TXT "1.1.0" (the schema version);
// - `<a-b-c-d>.<ns>.pod.<domain>` A of the IP it spells (pods 'insecure', CoreDNS's kubeadm default).
// Empty non-terminals (svc.<domain>, `<ns>.svc.<domain>` of an existing namespace, `_tcp...`) and a
// name with no record of the asked type are NODATA; other names in the zone are NXDOMAIN, both with
// the zone's SOA for the negative TTL. Names outside the zone (and reverse names the zone does not
// know) are the forwarder's.
//
// A change rebuilds the records of the one Service it touches and bumps `version` (the responder
// drops its precomputed answers then).
import type { Answer } from 'dns-packet';
import { isIPv4, isIPv6, normalizeName } from './names.ts';
import { emptySet, pushNew, serviceRecords, type RRSet } from './records.ts';
import { SERVICE_NAME_LABEL, type EndpointSlice, type Service } from './types.ts';

export type { SrvData } from './records.ts';

export type Rcode = 'NOERROR' | 'NXDOMAIN';

export type LookupResult =
  | { forward: true }
  | {
      forward: false;
      rcode: Rcode;
      answers: Answer[];
      authorities: Answer[];
      additionals: Answer[];
      /** a CNAME to a name outside the zone, whose records the server may add from upstream */
      chase?: string;
    };

export interface ClusterZoneOptions {
  /** the cluster domain, e.g. cluster.local */
  domain: string;
  /** TTL of every record, and the negative TTL (SOA minimum); CoreDNS's default is 5 s */
  ttl: number;
  /**
   * `<a-b-c-d>.<ns>.pod.<domain>` records: 'insecure' answers the IP the name spells (CoreDNS's
   * `pods insecure`, kubeadm's default, kept for kube-dns compatibility); 'disabled' NXDOMAIN.
   */
  pods?: 'insecure' | 'disabled';
}

/** The schema version of the Kubernetes DNS specification served (dns-version.<domain> TXT). */
export const SCHEMA_VERSION = '1.1.0';

const keyOf = (ns: string | undefined, name: string | undefined) => `${ns ?? 'default'}/${name ?? ''}`;
const isReverse = (n: string) => n.endsWith('.in-addr.arpa') || n.endsWith('.ip6.arpa');

export class ClusterZone {
  readonly domain: string;
  readonly ttl: number;
  private readonly pods: 'insecure' | 'disabled';
  /** bumped on every change of the records */
  version = 0;
  private serial = Math.floor(Date.now() / 1000);
  private readonly services = new Map<string, Service>();
  /** service key -> slice key -> slice */
  private readonly slices = new Map<string, Map<string, EndpointSlice>>();
  /** slice key -> the service key it was filed under */
  private readonly sliceOwner = new Map<string, string>();
  private readonly namespaces = new Set<string>();
  /** service key -> the records it contributes, by name */
  private readonly contributed = new Map<string, Map<string, RRSet>>();
  /** name -> service key -> records */
  private readonly names = new Map<string, Map<string, RRSet>>();
  /** empty non-terminals, with how many names hang below each */
  private readonly parents = new Map<string, number>();
  private readonly listeners = new Set<() => void>();

  constructor(o: ClusterZoneOptions) {
    this.domain = normalizeName(o.domain);
    this.ttl = o.ttl;
    this.pods = o.pods ?? 'insecure';
  }

  /** Called after every change of the records. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get serviceCount(): number {
    return this.services.size;
  }

  get nameCount(): number {
    return this.names.size;
  }

  setService(svc: Service): void {
    const key = keyOf(svc.metadata.namespace, svc.metadata.name);
    this.services.set(key, svc);
    this.rebuild(key);
  }

  deleteService(namespace: string | undefined, name: string): void {
    const key = keyOf(namespace, name);
    if (!this.services.delete(key)) return;
    this.rebuild(key);
  }

  setSlice(slice: EndpointSlice): void {
    const sliceKey = keyOf(slice.metadata.namespace, slice.metadata.name);
    const svcName = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    const svcKey = svcName ? keyOf(slice.metadata.namespace, svcName) : undefined;
    const before = this.sliceOwner.get(sliceKey);
    if (before && before !== svcKey) this.removeSlice(sliceKey, before);
    if (!svcKey) return;
    this.sliceOwner.set(sliceKey, svcKey);
    let m = this.slices.get(svcKey);
    if (!m) this.slices.set(svcKey, (m = new Map()));
    m.set(sliceKey, slice);
    if (this.services.has(svcKey)) this.rebuild(svcKey);
  }

  deleteSlice(slice: EndpointSlice): void {
    const sliceKey = keyOf(slice.metadata.namespace, slice.metadata.name);
    const owner = this.sliceOwner.get(sliceKey);
    if (owner) this.removeSlice(sliceKey, owner);
  }

  setNamespace(name: string): void {
    if (this.namespaces.has(name)) return;
    this.namespaces.add(name);
    this.changed();
  }

  deleteNamespace(name: string): void {
    if (this.namespaces.delete(name)) this.changed();
  }

  private removeSlice(sliceKey: string, svcKey: string): void {
    this.sliceOwner.delete(sliceKey);
    const m = this.slices.get(svcKey);
    if (!m?.delete(sliceKey)) return;
    if (!m.size) this.slices.delete(svcKey);
    if (this.services.has(svcKey)) this.rebuild(svcKey);
  }

  /** Replace what one Service contributes with what it and its slices say now. */
  private rebuild(svcKey: string): void {
    const old = this.contributed.get(svcKey);
    if (old) {
      for (const name of old.keys()) {
        const m = this.names.get(name)!;
        m.delete(svcKey);
        if (!m.size) this.names.delete(name);
        this.countParents(name, -1);
      }
    }
    const svc = this.services.get(svcKey);
    const now = svc ? serviceRecords(svc, this.slices.get(svcKey)?.values() ?? [], this.domain) : undefined;
    if (now?.size) {
      this.contributed.set(svcKey, now);
      for (const [name, set] of now) {
        let m = this.names.get(name);
        if (!m) this.names.set(name, (m = new Map()));
        m.set(svcKey, set);
        this.countParents(name, +1);
      }
    } else this.contributed.delete(svcKey);
    this.changed();
  }

  private changed(): void {
    this.version++;
    this.serial = Math.max(this.serial + 1, Math.floor(Date.now() / 1000));
    for (const fn of this.listeners) fn();
  }

  /** The names between a name and the zone apex exist (empty non-terminals). */
  private countParents(name: string, d: number): void {
    if (isReverse(name)) return;
    for (let i = name.indexOf('.'); i >= 0; i = name.indexOf('.', i + 1)) {
      const p = name.slice(i + 1);
      if (p.length <= this.domain.length) break;
      const c = (this.parents.get(p) ?? 0) + d;
      if (c > 0) this.parents.set(p, c);
      else this.parents.delete(p);
    }
  }

  private soa(): Answer {
    const d = this.domain;
    return {
      name: d,
      type: 'SOA',
      class: 'IN',
      ttl: this.ttl,
      data: { mname: `ns.dns.${d}`, rname: `hostmaster.${d}`, serial: this.serial >>> 0, refresh: 7200, retry: 1800, expire: 86400, minimum: this.ttl },
    };
  }

  private merged(name: string): RRSet | undefined {
    const m = this.names.get(name);
    if (!m) return undefined;
    if (m.size === 1) return m.values().next().value;
    const s = emptySet();
    for (const x of m.values()) {
      for (const ip of x.a) pushNew(s.a, ip);
      for (const ip of x.aaaa) pushNew(s.aaaa, ip);
      for (const p of x.ptr) pushNew(s.ptr, p);
      s.srv.push(...x.srv);
      s.cname ??= x.cname;
    }
    return s;
  }

  private inZone(n: string): boolean {
    return n === this.domain || n.endsWith(`.${this.domain}`);
  }

  /** Does a name exist in the zone without records of its own? */
  private emptyNonTerminal(n: string): boolean {
    if (this.parents.has(n)) return true;
    const rest = n.slice(0, -(this.domain.length + 1));
    if (rest === 'svc' || rest === 'pod') return true;
    const m = /^([^.]+)\.svc$/.exec(rest);
    return !!m && this.namespaces.has(m[1]);
  }

  /**
   * Answers a question. `qname` is the name as asked (its case is kept in the answers' owner
   * names); `qtype` a dns-packet type name ('A', 'AAAA', 'SRV', 'PTR', 'CNAME', 'ANY', ...).
   */
  lookup(qname: string, qtype: string): LookupResult {
    const n = normalizeName(qname);
    const owner = qname.endsWith('.') ? qname.slice(0, -1) : qname;
    if (isReverse(n)) {
      const set = this.merged(n);
      if (!set?.ptr.length) return { forward: true };
      const answers = qtype === 'PTR' || qtype === 'ANY' ? set.ptr.map((p) => this.rr(owner, 'PTR', p)) : [];
      return { forward: false, rcode: 'NOERROR', answers, authorities: [], additionals: [] };
    }
    if (!this.inZone(n)) return { forward: true };
    const answers: Answer[] = [];
    const additionals: Answer[] = [];
    const negative = (rcode: Rcode): LookupResult => ({ forward: false, rcode, answers: [], authorities: [this.soa()], additionals: [] });
    if (n === this.domain) {
      if (qtype === 'SOA' || qtype === 'ANY') answers.push({ ...this.soa(), name: owner });
      return answers.length ? { forward: false, rcode: 'NOERROR', answers, authorities: [], additionals } : negative('NOERROR');
    }
    if (n === `dns-version.${this.domain}`) {
      if (qtype !== 'TXT' && qtype !== 'ANY') return negative('NOERROR');
      return { forward: false, rcode: 'NOERROR', answers: [{ name: owner, type: 'TXT', class: 'IN', ttl: this.ttl, data: SCHEMA_VERSION }], authorities: [], additionals };
    }
    const pod = this.pods === 'insecure' ? this.podIP(n) : undefined;
    if (pod) {
      const want = pod.includes(':') ? 'AAAA' : 'A';
      if (qtype !== want && qtype !== 'ANY') return negative('NOERROR');
      return { forward: false, rcode: 'NOERROR', answers: [this.rr(owner, want, pod)], authorities: [], additionals };
    }
    const found = this.merged(n);
    if (!found) return negative(this.emptyNonTerminal(n) ? 'NOERROR' : 'NXDOMAIN');
    let set: RRSet = found;
    let at = owner;
    let chase: string | undefined;
    // follow CNAMEs inside the zone (an ExternalName naming another Service), a few steps at most
    for (let hops = 0; set.cname && qtype !== 'CNAME'; hops++) {
      answers.push(this.rr(at, 'CNAME', set.cname));
      const next: RRSet | undefined = hops < 8 && this.inZone(set.cname) ? this.merged(set.cname) : undefined;
      if (!next) {
        if (!this.inZone(set.cname)) chase = set.cname;
        return { forward: false, rcode: 'NOERROR', answers, authorities: [], additionals, ...(chase ? { chase } : {}) };
      }
      at = set.cname;
      set = next;
    }
    const any = qtype === 'ANY';
    if (qtype === 'A' || any) for (const ip of set.a) answers.push(this.rr(at, 'A', ip));
    if (qtype === 'AAAA' || any) for (const ip of set.aaaa) answers.push(this.rr(at, 'AAAA', ip));
    if ((qtype === 'CNAME' || any) && set.cname) answers.push(this.rr(at, 'CNAME', set.cname));
    if (qtype === 'SRV' || any) {
      for (const s of set.srv) {
        answers.push({ name: at, type: 'SRV', class: 'IN', ttl: this.ttl, data: { priority: s.priority, weight: s.weight, port: s.port, target: s.target } });
        const t = this.merged(s.target);
        for (const ip of t?.a ?? []) additionals.push(this.rr(s.target, 'A', ip));
        for (const ip of t?.aaaa ?? []) additionals.push(this.rr(s.target, 'AAAA', ip));
      }
    }
    if (!answers.length) return negative('NOERROR');
    return { forward: false, rcode: 'NOERROR', answers, authorities: [], additionals };
  }

  /** The IP a pod name spells (1-2-3-4.<ns>.pod.<domain>; IPv6 with dashes for colons). */
  private podIP(n: string): string | undefined {
    const m = /^([0-9a-f-]+)\.[^.]+\.pod$/.exec(n.slice(0, -(this.domain.length + 1)));
    if (!m) return undefined;
    const v4 = m[1].replace(/-/g, '.');
    if (isIPv4(v4)) return v4;
    const v6 = m[1].replace(/-/g, ':');
    return isIPv6(v6) ? v6 : undefined;
  }

  private rr(name: string, type: 'A' | 'AAAA' | 'CNAME' | 'PTR', data: string): Answer {
    return { name, type, class: 'IN', ttl: this.ttl, data } as Answer;
  }
}
