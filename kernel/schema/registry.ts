// The kinds registry: registration, lookups by GVR / GVK / the names kubectl accepts, and discovery.
import type { KindInfo, ResourceRef } from '../types.ts';
import { errors } from '../status.ts';
import type { KindDefinition } from './kind-definition.ts';

export const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
/** what a kind served from memory (KindDefinition.served) allows */
export const SERVED_VERBS = ['get', 'list'];

export function toKindInfo(def: KindDefinition): KindInfo {
  return {
    group: def.group,
    version: def.version,
    kind: def.kind,
    resource: def.resource,
    singular: def.singular || def.kind.toLowerCase(),
    listKind: def.listKind || `${def.kind}List`,
    namespaced: def.namespaced,
    shortNames: [...(def.shortNames ?? [])],
    categories: [...(def.categories ?? [])],
    subresources: [...(def.subresources ?? [])],
    verbs: def.review ? ['create'] : def.served ? [...SERVED_VERBS] : def.deleteCollection === false ? VERBS.filter((v) => v !== 'deletecollection') : [...VERBS],
    ...(def.printerColumns ? { printerColumns: def.printerColumns.map((c) => ({ ...c })) } : {}),
    ...(def.scale ? { scale: { ...def.scale } } : {}),
    ...(def.deprecationWarning ? { deprecationWarning: def.deprecationWarning } : {}),
  };
}

export interface GroupVersions {
  /** "" for the core group */
  name: string;
  /** in registration order; the first is the preferred version */
  versions: string[];
  preferredVersion: string;
}

const gvr = (group: string, version: string, resource: string) => `${group}/${version}/${resource}`;
const gvk = (group: string, version: string, kind: string) => `${group}/${version}/${kind}`;

export class KindRegistry {
  private readonly byGVR = new Map<string, KindDefinition>();
  private readonly byGVK = new Map<string, KindDefinition>();
  /** registration order (used to prefer core kinds and first-registered versions) */
  private readonly ordered: KindDefinition[] = [];

  constructor(defs: KindDefinition[] = []) {
    for (const d of defs) this.register(d);
  }

  /** Register a kind; returns the function that unregisters it. 409 when the group/version/resource is taken. */
  register(def: KindDefinition): () => void {
    const k = gvr(def.group, def.version, def.resource);
    if (this.byGVR.has(k) || this.byGVK.has(gvk(def.group, def.version, def.kind)))
      throw errors.conflict({ group: def.group, resource: def.resource }, def.kind, `${def.resource}${def.group ? '.' + def.group : ''}/${def.version} is already registered`);
    this.byGVR.set(k, def);
    this.byGVK.set(gvk(def.group, def.version, def.kind), def);
    this.ordered.push(def);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (this.byGVR.get(k) === def) this.byGVR.delete(k);
      if (this.byGVK.get(gvk(def.group, def.version, def.kind)) === def) this.byGVK.delete(gvk(def.group, def.version, def.kind));
      const i = this.ordered.indexOf(def);
      if (i >= 0) this.ordered.splice(i, 1);
    };
  }

  get(ref: ResourceRef): KindDefinition | undefined {
    return this.byGVR.get(gvr(ref.group, ref.version, ref.resource));
  }

  /** Like get, but throws a 404 StatusError. */
  mustGet(ref: ResourceRef): KindDefinition {
    const d = this.get(ref);
    if (!d) throw errors.noSuchResource(`the server could not find the requested resource (${ref.resource}${ref.group ? '.' + ref.group : ''}/${ref.version})`);
    return d;
  }

  byKind(group: string, version: string, kind: string): KindDefinition | undefined {
    return this.byGVK.get(gvk(group, version, kind));
  }

  /** By apiVersion ("apps/v1", "v1") and kind, as objects name their kind. */
  forObject(apiVersion: string, kind: string): KindDefinition | undefined {
    const i = apiVersion.indexOf('/');
    return i < 0 ? this.byKind('', apiVersion, kind) : this.byKind(apiVersion.slice(0, i), apiVersion.slice(i + 1), kind);
  }

  definitions(): KindDefinition[] {
    return [...this.ordered];
  }

  kinds(): KindInfo[] {
    return this.ordered.map(toKindInfo);
  }

  /**
   * Resolve what a user typed, as kubectl does: `po`, `pods`, `pod`, `Pod`, `deploy`, `deployments.apps`,
   * `deployments.v1.apps`. Case-insensitive; the core group wins, then registration order (preferred version).
   */
  resolve(name: string): KindDefinition | undefined {
    return this.resolveAll(name)[0];
  }

  /** Every kind the name could mean, best first. */
  resolveAll(name: string): KindDefinition[] {
    const lower = name.toLowerCase();
    const candidates: { res: string; group?: string; version?: string }[] = [{ res: lower }];
    const dot = lower.indexOf('.');
    if (dot > 0) {
      const res = lower.slice(0, dot);
      const rest = lower.slice(dot + 1);
      candidates.push({ res, group: rest });
      const dot2 = rest.indexOf('.');
      if (dot2 > 0) candidates.push({ res, version: rest.slice(0, dot2), group: rest.slice(dot2 + 1) });
    }
    const out: KindDefinition[] = [];
    for (const c of candidates) {
      const matches = this.ordered.filter(
        (d) =>
          (c.group === undefined || d.group.toLowerCase() === c.group) &&
          (c.version === undefined || d.version.toLowerCase() === c.version) &&
          (d.resource.toLowerCase() === c.res ||
            (d.singular || d.kind).toLowerCase() === c.res ||
            d.kind.toLowerCase() === c.res ||
            (d.shortNames ?? []).some((s) => s.toLowerCase() === c.res)),
      );
      matches.sort((a, b) => (a.group === '' ? 0 : 1) - (b.group === '' ? 0 : 1));
      for (const m of matches) if (!out.includes(m)) out.push(m);
    }
    return out;
  }

  /** Kinds in a category (`kubectl get all`). */
  inCategory(category: string): KindDefinition[] {
    const seen = new Set<string>();
    return this.ordered.filter((d) => {
      const k = `${d.group}/${d.resource}`;
      if (!(d.categories ?? []).includes(category) || seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  }

  /** Groups and their versions, for discovery (/api and /apis). */
  groups(): GroupVersions[] {
    const map = new Map<string, string[]>();
    for (const d of this.ordered) {
      const vs = map.get(d.group) ?? [];
      if (!vs.includes(d.version)) vs.push(d.version);
      map.set(d.group, vs);
    }
    return [...map].map(([name, versions]) => ({ name, versions, preferredVersion: versions[0] }));
  }

  /** The kinds served in one group/version (discovery of /apis/<group>/<version>). */
  resources(group: string, version: string): KindInfo[] {
    return this.ordered.filter((d) => d.group === group && d.version === version).map(toKindInfo);
  }
}
