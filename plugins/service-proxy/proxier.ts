// The proxier: holds the Services, EndpointSlices and this node's addresses it was told about, and
// keeps `table inet skiff`'s `svc-` objects in line with them, one `nft -f` transaction per sync.
//
// - A full sync rewrites every `svc-` object (flush and refill), and deletes `svc-` chains and sets
//   the table has that nothing needs any more (found by listing the table): at start, periodically,
//   and after any failed transaction.
// - Between full syncs, a sync touches only the Services that changed: their map elements (deleted
//   and added by difference) and those of their chains whose rules changed.
// - A transaction nft refuses changes nothing (nft applies all or none): the previous rules stay in
//   force, the proxier logs it and retries with a full sync after a back-off.
import type { Service } from '@skiff/api';
import type { Logger } from '@skiff/kernel/plugins';
import { SyncLoop } from '@skiff/client';
import { Nft, NftTransaction, SKIFF_TABLE, type SetSpec } from '@skiff/client/nftables';
import type { Conntrack } from './conntrack.ts';
import { serviceKey, servicePorts, sliceService, type EndpointSlice, type ServicePortState } from './model.ts';
import { ELEMENT_SETS, fixedNames, fixedObjects, portObjects, PREFIX, SET_HAIRPIN, SET_NODE_IPS, type PortObjects, type RuleOptions } from './rules.ts';

export interface ProxierOptions extends RuleOptions {
  nft: Nft;
  nodeName: string;
  logger?: Logger;
  conntrack?: Conntrack;
  /** wait this long after a change before syncing, to batch a burst (default 0) */
  syncDelayMs?: number;
  /** a full sync at least this often (default 300 s; 0: only at start and after failures) */
  fullSyncSeconds?: number;
  /** first retry after a failed sync (doubles up to 30 s) */
  retryMs?: number;
  /** called after each applied sync (figures for the plugin's runtime report and benchmarks) */
  onSync?: (s: SyncReport) => void;
  /** called after a failed sync (the previous rules stay in force) */
  onError?: (message: string, full: boolean) => void;
}

export interface SyncReport {
  full: boolean;
  /** Service ports whose objects changed */
  changedPorts: number;
  /** transaction lines */
  lines: number;
  /** compute + apply */
  ms: number;
  /** monotonic count of applied syncs */
  syncs: number;
}

interface Applied {
  /** per Service `ns/name`: its ports' objects */
  services: Map<string, Map<string, { sp: ServicePortState; objs: PortObjects }>>;
  nodeIPs: string[];
  /** endpoint addresses in svc-hairpin */
  hairpin: Set<string>;
}

export class Proxier {
  private readonly services = new Map<string, Service>();
  private readonly slices = new Map<string, Map<string, EndpointSlice>>();
  private nodeIPs: string[] = [];
  private readonly dirty = new Set<string>();
  private nodeIPsDirty = true;
  private applied: Applied = { services: new Map(), nodeIPs: [], hairpin: new Set() };
  private readonly loop: SyncLoop;
  /** the `svc-` chains and sets in the table (undefined: list them at the next full sync) */
  private known: { chains: Set<string>; sets: Set<string> } | undefined;
  syncs = 0;
  failures = 0;
  lastError: string | undefined;

  constructor(private readonly o: ProxierOptions) {
    this.loop = new SyncLoop({
      sync: (full) => this.syncOnce(full),
      delayMs: o.syncDelayMs ?? 0,
      fullSyncMs: (o.fullSyncSeconds ?? 300) * 1000,
      retryMs: o.retryMs ?? 1000,
    });
  }

  // ---- what the informers tell it ----

  setService(svc: Service): void {
    this.services.set(serviceKey(svc), svc);
    this.markDirty(serviceKey(svc));
  }

  deleteService(svc: Service): void {
    this.services.delete(serviceKey(svc));
    this.markDirty(serviceKey(svc));
  }

  setSlice(slice: EndpointSlice, old?: EndpointSlice): void {
    const oldSvc = old && sliceService(old);
    const svc = sliceService(slice);
    const k = serviceKey(slice);
    if (oldSvc && oldSvc !== svc) this.removeSlice(oldSvc, k);
    if (svc) {
      let m = this.slices.get(svc);
      if (!m) this.slices.set(svc, (m = new Map()));
      m.set(k, slice);
      this.markDirty(svc);
    }
  }

  deleteSlice(slice: EndpointSlice): void {
    const svc = sliceService(slice);
    if (svc) this.removeSlice(svc, serviceKey(slice));
  }

  setNodeIPs(ips: string[]): void {
    const next = [...new Set(ips)].sort();
    if (next.join() === this.nodeIPs.join()) return;
    this.nodeIPs = next;
    this.nodeIPsDirty = true;
    this.loop.request();
  }

  private removeSlice(svc: string, key: string): void {
    const m = this.slices.get(svc);
    if (!m?.delete(key)) return;
    if (!m.size) this.slices.delete(svc);
    this.markDirty(svc);
  }

  private markDirty(svc: string): void {
    this.dirty.add(svc);
    this.loop.request();
  }

  // ---- running ----

  /** Start: a full sync now, then periodic ones (nothing syncs before). */
  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Force a full sync at the next turn (tests, benchmarks). */
  requestFullSync(): void {
    this.loop.requestFull();
  }

  /** Resolves when no change is waiting and no sync is running. */
  idle(): Promise<void> {
    return this.loop.idle();
  }

  private async syncOnce(full: boolean): Promise<void> {
    const t0 = performance.now();
    const dirty = full ? new Set([...this.services.keys(), ...this.applied.services.keys()]) : new Set(this.dirty);
    this.dirty.clear();
    const nodeIPsDirty = this.nodeIPsDirty;
    this.nodeIPsDirty = false;
    try {
      const next = this.compute(dirty);
      const hairpin = this.hairpinAfter(next);
      const { tx, changed, removedUdp } = full ? await this.fullTransaction(next) : this.partialTransaction(next, dirty, nodeIPsDirty);
      if (full) tx.addElements(SET_HAIRPIN, [...hairpin].map((ip) => `${ip} . ${ip}`));
      else {
        tx.deleteElements(SET_HAIRPIN, [...this.applied.hairpin].filter((ip) => !hairpin.has(ip)).map((ip) => `${ip} . ${ip}`));
        tx.addElements(SET_HAIRPIN, [...hairpin].filter((ip) => !this.applied.hairpin.has(ip)).map((ip) => `${ip} . ${ip}`));
      }
      if (tx.size) await this.o.nft.apply(tx.toString());
      // only now: what failed stays as it was
      for (const svc of dirty) {
        const m = next.get(svc);
        if (m?.size) this.applied.services.set(svc, m);
        else this.applied.services.delete(svc);
      }
      this.applied.nodeIPs = this.nodeIPs;
      this.applied.hairpin = hairpin;
      this.known = this.objectsNow();
      this.syncs++;
      this.lastError = undefined;
      this.o.onSync?.({ full, changedPorts: changed, lines: tx.size, ms: performance.now() - t0, syncs: this.syncs });
      if (removedUdp.length && this.o.conntrack) await this.o.conntrack.clearUdp(removedUdp);
    } catch (e) {
      this.failures++;
      this.known = undefined;
      this.lastError = e instanceof Error ? e.message : String(e);
      for (const svc of dirty) this.dirty.add(svc);
      if (nodeIPsDirty) this.nodeIPsDirty = true;
      this.o.logger?.error('service proxy sync failed: the previous rules stay in force; retrying with a full sync', { full, error: this.lastError });
      this.o.onError?.(this.lastError, full);
      throw e; // the loop retries with a full sync after a back-off
    }
  }

  /** The `svc-` chains and sets the applied state has. */
  private objectsNow(): { chains: Set<string>; sets: Set<string> } {
    const fixed = fixedObjects(this.o);
    const chains = new Set<string>(fixed.chains.map((c) => c.name));
    const sets = new Set<string>([...fixed.sets, ...fixed.maps].map(([n]) => n));
    for (const m of this.applied.services.values())
      for (const { objs } of m.values()) {
        for (const n of objs.chains.keys()) chains.add(n);
        for (const n of objs.sets.keys()) sets.add(n);
      }
    return { chains, sets };
  }

  /** The endpoint addresses a pod could hairpin from (those not on another node), once `next` is applied. */
  private hairpinAfter(next: Map<string, Map<string, { sp: ServicePortState }>>): Set<string> {
    const out = new Set<string>();
    const addAll = (m: Map<string, { sp: ServicePortState }>) => {
      for (const { sp } of m.values()) for (const e of [...sp.clusterEndpoints, ...sp.localEndpoints]) if (!e.remote) out.add(e.ip);
    };
    for (const [svc, m] of this.applied.services) if (!next.has(svc)) addAll(m);
    for (const m of next.values()) addAll(m);
    return out;
  }

  /** The objects of the given Services' ports, as they should be. */
  private compute(svcs: Set<string>): Map<string, Map<string, { sp: ServicePortState; objs: PortObjects }>> {
    const out = new Map<string, Map<string, { sp: ServicePortState; objs: PortObjects }>>();
    for (const key of svcs) {
      const svc = this.services.get(key);
      const m = new Map<string, { sp: ServicePortState; objs: PortObjects }>();
      if (svc) for (const sp of servicePorts(svc, this.slices.get(key)?.values() ?? [], this.o.nodeName)) m.set(sp.key, { sp, objs: portObjects(sp, this.o) });
      out.set(key, m);
    }
    return out;
  }

  private async fullTransaction(next: Map<string, Map<string, { sp: ServicePortState; objs: PortObjects }>>) {
    const { nft } = this.o;
    // what `svc-` objects the table has: listed at the first sync and after a failure; otherwise known
    // from what the last transactions did (an object gone behind our back fails a flush: then a listing)
    if (!this.known) {
      const [chains, sets] = await Promise.all([nft.chainNames(SKIFF_TABLE.family, SKIFF_TABLE.name), nft.setNames(SKIFF_TABLE.family, SKIFF_TABLE.name)]);
      this.known = { chains: new Set(chains.filter((c) => c.startsWith(PREFIX))), sets: new Set(sets.filter((c) => c.startsWith(PREFIX))) };
    }
    const existingChains = this.known.chains;
    const existingSets = this.known.sets;
    const fixed = fixedObjects(this.o);
    const tx = new NftTransaction(SKIFF_TABLE.family, SKIFF_TABLE.name).addTable();
    for (const [n, spec] of fixed.maps) tx.addMap(n, spec).flushMap(n);
    for (const [n, spec] of fixed.sets) tx.addSet(n, spec).flushSet(n);
    const wanted = new Set(fixedNames(this.o));
    for (const c of fixed.chains) {
      tx.addChain(c.name, c.base);
      if (existingChains.has(c.name)) tx.flushChain(c.name);
    }
    const portChains: [string, string[]][] = [];
    const portSets: [string, SetSpec][] = [];
    const elements = new Map<string, string[]>();
    let changed = 0;
    for (const m of next.values())
      for (const { objs } of m.values()) {
        changed++;
        for (const c of objs.chains) portChains.push(c);
        for (const s of objs.sets) portSets.push(s);
        for (const [map, els] of objs.elements) {
          if (!elements.has(map)) elements.set(map, []);
          elements.get(map)!.push(...els);
        }
      }
    for (const [n, spec] of portSets) {
      wanted.add(n);
      if (!existingSets.has(n)) tx.addSet(n, spec);
    }
    for (const [n] of portChains) {
      wanted.add(n);
      tx.addChain(n);
      if (existingChains.has(n)) tx.flushChain(n);
    }
    const staleChains = [...existingChains].filter((c) => !wanted.has(c));
    for (const c of staleChains) tx.flushChain(c);
    for (const c of fixed.chains) for (const r of c.rules) tx.addRule(c.name, r);
    for (const [n, rules] of portChains) for (const r of rules) tx.addRule(n, r);
    for (const [map, els] of elements) tx.addElements(map, firstPerKey(els));
    tx.addElements(SET_NODE_IPS, this.nodeIPs);
    for (const c of staleChains) tx.deleteChain(c);
    for (const s of existingSets) if (!wanted.has(s)) tx.deleteSet(s);
    return { tx, changed, removedUdp: this.removedUdp(next) };
  }

  private partialTransaction(next: Map<string, Map<string, { sp: ServicePortState; objs: PortObjects }>>, dirty: Set<string>, nodeIPsDirty: boolean) {
    const tx = new NftTransaction(SKIFF_TABLE.family, SKIFF_TABLE.name);
    const delEls = new Map<string, string[]>();
    const addEls = new Map<string, string[]>();
    const newChains: [string, string[]][] = [];
    const changedChains: [string, string[]][] = [];
    const goneChains: string[] = [];
    const newSets: [string, SetSpec][] = [];
    const goneSets: string[] = [];
    let changed = 0;
    const push = (m: Map<string, string[]>, k: string, v: string) => (m.get(k) ?? m.set(k, []).get(k)!).push(v);
    const count = (m: Map<string, string[]>) => [...m.values()].reduce((n, v) => n + v.length, 0);
    for (const svc of dirty) {
      const addsBefore = count(addEls);
      const delsBefore = count(delEls);
      const before = merged(this.applied.services.get(svc));
      const after = merged(next.get(svc));
      for (const [map, els] of after.elements) for (const e of els) if (!before.elements.get(map)?.has(e)) push(addEls, map, e);
      for (const [map, els] of before.elements) for (const e of els) if (!after.elements.get(map)?.has(e)) push(delEls, map, e.split(' : ')[0]!);
      let touched = false;
      for (const [n, rules] of after.chains) {
        const old = before.chains.get(n);
        if (!old) newChains.push([n, rules]);
        else if (old.join('\n') !== rules.join('\n')) changedChains.push([n, rules]);
        else continue;
        touched = true;
      }
      for (const n of before.chains.keys()) if (!after.chains.has(n)) (goneChains.push(n), (touched = true));
      for (const [n, spec] of after.sets) if (!before.sets.has(n)) newSets.push([n, spec]);
      for (const n of before.sets.keys()) if (!after.sets.has(n)) goneSets.push(n);
      if (touched || count(addEls) !== addsBefore || count(delEls) !== delsBefore) changed++;
    }
    // order: elements out, chains in place, rules, elements in, then what nothing refers to any more
    for (const [map, keys] of delEls) tx.deleteElements(map, keys);
    for (const [n, spec] of newSets) tx.addSet(n, spec);
    for (const [n] of newChains) tx.addChain(n);
    for (const [n] of changedChains) tx.flushChain(n);
    for (const n of goneChains) tx.flushChain(n);
    for (const [n, rules] of [...newChains, ...changedChains]) for (const r of rules) tx.addRule(n, r);
    for (const [map, els] of addEls) tx.addElements(map, els);
    for (const n of goneChains) tx.deleteChain(n);
    for (const n of goneSets) tx.deleteSet(n);
    if (nodeIPsDirty) tx.flushSet(SET_NODE_IPS).addElements(SET_NODE_IPS, this.nodeIPs);
    return { tx, changed, removedUdp: this.removedUdp(next) };
  }

  /** UDP endpoints that traffic could reach before and no longer can (their conntrack entries go). */
  private removedUdp(next: Map<string, Map<string, { sp: ServicePortState }>>): UdpFlow[] {
    const out: UdpFlow[] = [];
    for (const [svc, ports] of next) {
      const before = this.applied.services.get(svc);
      if (!before) continue;
      for (const [key, { sp: old }] of before) {
        if (old.proto !== 'udp') continue;
        const now = ports.get(key)?.sp;
        const still = new Set(now ? [...now.clusterEndpoints, ...now.localEndpoints].map((e) => e.ip) : []);
        for (const e of [...old.clusterEndpoints, ...old.localEndpoints]) {
          if (still.has(e.ip)) continue;
          out.push({ endpointIP: e.ip, serviceIPs: old.clusterIPs, ...(old.nodePort ? { nodePort: old.nodePort } : {}) });
        }
      }
    }
    return out;
  }

  /** Counts for reports. */
  get stats(): { services: number; servicePorts: number; syncs: number; failures: number } {
    let ports = 0;
    for (const m of this.applied.services.values()) ports += m.size;
    return { services: this.services.size, servicePorts: ports, syncs: this.syncs, failures: this.failures };
  }
}

export interface UdpFlow {
  endpointIP: string;
  serviceIPs: string[];
  nodePort?: number;
}

/** One element per key (two Services claiming one address and port: the first keeps it). */
function firstPerKey(els: string[]): string[] {
  const seen = new Set<string>();
  return els.filter((e) => {
    const k = e.split(' : ')[0]!;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/** One Service's ports' objects merged (elements as sets, for differences). */
function merged(m: Map<string, { objs: PortObjects }> | undefined) {
  const chains = new Map<string, string[]>();
  const sets = new Map<string, SetSpec>();
  const elements = new Map<string, Set<string>>(ELEMENT_SETS.map((m) => [m, new Set<string>()]));
  for (const { objs } of m?.values() ?? []) {
    for (const c of objs.chains) chains.set(...c);
    for (const s of objs.sets) sets.set(...s);
    for (const [map, els] of objs.elements) for (const e of els) elements.get(map)!.add(e);
  }
  return { chains, sets, elements };
}
