// CustomResourceDefinitions served like built-in kinds, by every kernel (as every kube-apiserver
// serves them): the kernel watches its own CRD objects and keeps one registered kind per served
// version, stored in the CRD's storage version. A CRD whose names clash with a kind already served
// is not served (the CRD controller reports NamesAccepted=False); one being deleted is still served
// for reads and deletes (its objects are being removed) but refuses creates, as kube does.
// Every kernel also keeps the CRD's status (acceptedNames, NamesAccepted, Established, storedVersions)
// and, once it is deleted, removes its objects and then the customresourcecleanup finalizer, as
// apiextensions-apiserver's controllers do in every API server (writes are compare-and-set: two
// kernels doing the same work lose a race harmlessly and look again).
import type { KindDefinition } from './schema/kind-definition.ts';
import { kindsFromCRD } from './schema/builtin/crd-kinds.ts';
import { CRD_CLEANUP_FINALIZER } from './schema/builtin/apiextensions.ts';
import { desiredCRDStatus, sameCRDStatus } from './crd-status.ts';
import { errors, StatusError } from './status.ts';
import type { Disposable, Kernel, KObject, ResourceRef, Watch } from './types.ts';

export const CRD_REF: ResourceRef = { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions' };

interface Served {
  /** what the registration was made from (spec and whether it is terminating) */
  fingerprint: string;
  regs: Disposable[];
  /** the preferred version's resource (what the cleanup lists and deletes) */
  ref?: ResourceRef;
  namespaced?: boolean;
}

const RETRY_MS = 1000;

/** kube's version priority (GA > beta > alpha, higher first; other names last, alphabetically): the first is preferred. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return { rank: 3, major: 0, minor: 0 };
    return { rank: m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2, major: Number(m[1]), minor: Number(m[3] ?? 0) };
  };
  const x = parse(a);
  const y = parse(b);
  if (x.rank !== y.rank) return x.rank - y.rank;
  if (x.rank === 3) return a < b ? -1 : a > b ? 1 : 0;
  return y.major - x.major || y.minor - x.minor;
}

/** The kinds a CRD serves: kindsFromCRD, preferred version first, stored as the storage version, creates refused while terminating. */
export function servedKinds(crd: KObject): KindDefinition[] {
  const spec = (crd.spec ?? {}) as { group?: string; versions?: { name?: string; storage?: boolean; served?: boolean; deprecated?: boolean; deprecationWarning?: string }[] };
  const versions = (spec.versions ?? []).filter((v) => v && typeof v.name === 'string');
  const storage = versions.find((v) => v.storage === true)?.name;
  const terminating = !!crd.metadata.deletionTimestamp;
  // apiextensions' defaultDeprecationWarning: the newest served, not deprecated version to use instead
  const warning = (d: KindDefinition): string | undefined => {
    const v = versions.find((x) => x.name === d.version);
    if (!v?.deprecated) return undefined;
    if (typeof v.deprecationWarning === 'string') return v.deprecationWarning;
    const newer = versions.filter((x) => x.served !== false && !x.deprecated && compareVersions(x.name!, d.version) < 0).map((x) => x.name!).sort(compareVersions);
    return `${d.group}/${d.version} ${d.kind} is deprecated${newer.length ? `; use ${d.group}/${newer[0]} ${d.kind}` : ''}`;
  };
  return kindsFromCRD(crd)
    .sort((a, b) => compareVersions(a.version, b.version))
    .map((d) => {
      const w = warning(d);
      const def: KindDefinition = { ...d, ...(storage ? { storageVersion: storage } : {}), ...(w ? { deprecationWarning: w } : {}) };
      if (!terminating) return def;
      const validate = d.validate;
      return {
        ...def,
        validate: (o: KObject, old?: KObject) => {
          if (!old) throw errors.methodNotAllowed('create not allowed while custom resource definition is terminating');
          return validate ? validate(o, old) : [];
        },
      };
    });
}

export class CrdServing {
  private readonly served = new Map<string, Served>();
  /** CRD name -> why it is not served (a names conflict) */
  readonly refused = new Map<string, string>();
  private readonly refusedCRDs = new Map<string, KObject>();
  private watch?: Watch;
  private stopped = false;

  constructor(private readonly kernel: Kernel) {}

  /** Serve what exists now, then follow changes. */
  async start(): Promise<void> {
    const list = await this.kernel.list(CRD_REF);
    for (const crd of list.items) this.apply(crd);
    for (const crd of list.items) this.schedule(crd.metadata.name!);
    void this.follow(list.metadata.resourceVersion);
  }

  private async follow(rv: string | undefined): Promise<void> {
    while (!this.stopped) {
      const t0 = Date.now();
      let failed = false;
      try {
        this.watch = this.kernel.watch(CRD_REF, { resourceVersion: rv, allowWatchBookmarks: true });
        for await (const ev of this.watch) {
          if (ev.type === 'ERROR') throw new Error('watch error');
          rv = ev.object.metadata.resourceVersion ?? rv;
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED') {
            this.apply(ev.object);
            this.schedule(ev.object.metadata.name!);
          } else if (ev.type === 'DELETED') this.remove(ev.object.metadata.name!);
        }
      } catch {
        failed = true;
      }
      if (this.stopped) return;
      // a watch that ended at once (the store away) is not opened again at once: no busy loop
      if (failed || Date.now() - t0 < 1000) await new Promise((r) => setTimeout(r, 500).unref());
      if (!failed) continue;
      // a gap (410) or an outage: start again from a fresh list
      try {
        const list = await this.kernel.list(CRD_REF);
        const names = new Set(list.items.map((c) => c.metadata.name!));
        for (const n of [...this.served.keys()]) if (!names.has(n)) this.remove(n);
        for (const crd of list.items) this.apply(crd);
        for (const crd of list.items) this.schedule(crd.metadata.name!);
        rv = list.metadata.resourceVersion;
      } catch {
        rv = undefined;
      }
    }
  }

  private apply(crd: KObject): void {
    const name = crd.metadata.name!;
    const fingerprint = JSON.stringify([crd.spec, !!crd.metadata.deletionTimestamp]);
    if (this.served.get(name)?.fingerprint === fingerprint) return;
    this.remove(name);
    const regs: Disposable[] = [];
    let first: KindDefinition | undefined;
    try {
      const defs = servedKinds(crd);
      for (const def of defs) regs.push(this.kernel.registerKind(def));
      first = defs[0];
    } catch (e) {
      for (const r of regs) r.dispose();
      regs.length = 0;
      this.refused.set(name, e instanceof StatusError ? e.message : String(e));
      this.refusedCRDs.set(name, crd);
    }
    if (!regs.length) first = undefined;
    this.served.set(name, { fingerprint, regs, ...(first ? { ref: { group: first.group, version: first.version, resource: first.resource }, namespaced: first.namespaced } : {}) });
  }

  // ---- status and cleanup: apiextensions-apiserver's naming, establishing and finalizer controllers

  private readonly pending = new Set<string>();
  private draining = false;

  private schedule(name: string): void {
    if (this.stopped) return;
    this.pending.add(name);
    void this.drain();
  }

  private later(name: string, ms = RETRY_MS): void {
    setTimeout(() => this.schedule(name), ms).unref();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.pending.size && !this.stopped) {
        const name = this.pending.values().next().value as string;
        this.pending.delete(name);
        try {
          await this.reconcile(name);
        } catch (e) {
          if (process.env.CRD_DEBUG) console.error("crd reconcile", name, e);
          // a lost race with another kernel, or the store away for a moment
          this.later(name, e instanceof StatusError && e.code === 409 ? 50 : RETRY_MS);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async reconcile(name: string): Promise<void> {
    let crd: KObject;
    try {
      crd = await this.kernel.get(CRD_REF, undefined, name);
    } catch (e) {
      if (e instanceof StatusError && e.code === 404) return;
      throw e;
    }
    const refused = this.refused.get(name);
    if (!crd.metadata.deletionTimestamp) {
      const status = desiredCRDStatus(crd, refused);
      if (!sameCRDStatus(status, crd.status)) await this.kernel.update(CRD_REF, { ...crd, status }, { subresource: 'status' });
      return;
    }
    if (!(crd.metadata.finalizers ?? []).includes(CRD_CLEANUP_FINALIZER)) return;
    let failed: string | undefined;
    let left = 0;
    const s = this.served.get(name);
    if (s?.ref) {
      try {
        left = await this.deleteInstances(s.ref);
      } catch (e) {
        failed = (e as Error).message;
      }
    }
    if (left === 0 && !failed) {
      const finalizers = (crd.metadata.finalizers ?? []).filter((f) => f !== CRD_CLEANUP_FINALIZER);
      await this.kernel.update(CRD_REF, { ...crd, metadata: { ...crd.metadata, finalizers } });
      return;
    }
    const status = desiredCRDStatus(crd, refused, { failed });
    if (!sameCRDStatus(status, crd.status)) await this.kernel.update(CRD_REF, { ...crd, status }, { subresource: 'status' });
    this.later(name);
  }

  /** Delete every object of the CRD; how many are left (waiting for their own finalizers). */
  private async deleteInstances(ref: ResourceRef): Promise<number> {
    const { items } = await this.kernel.list(ref);
    for (const o of items) {
      if (o.metadata.deletionTimestamp) continue;
      try {
        await this.kernel.delete(ref, o.metadata.namespace, o.metadata.name!, { propagationPolicy: 'Background' });
      } catch (e) {
        if (!(e instanceof StatusError && e.code === 404)) throw e;
      }
    }
    return items.length;
  }

  private remove(name: string): void {
    const s = this.served.get(name);
    if (!s) return;
    for (const r of s.regs) r.dispose();
    this.served.delete(name);
    this.refused.delete(name);
    this.refusedCRDs.delete(name);
    // names this CRD held may be free now for one refused before
    if (s.regs.length) for (const [n, crd] of [...this.refusedCRDs]) if (n !== name) this.retry(crd);
  }

  private retry(crd: KObject): void {
    this.served.delete(crd.metadata.name!);
    this.refused.delete(crd.metadata.name!);
    this.refusedCRDs.delete(crd.metadata.name!);
    this.apply(crd);
  }

  stop(): void {
    this.stopped = true;
    this.watch?.stop();
    for (const n of [...this.served.keys()]) this.remove(n);
  }
}
