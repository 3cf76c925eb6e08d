// Versions the kernel does not store, served by conversion: autoscaling/v1 HorizontalPodAutoscaler
// over the stored autoscaling/v2 one (kubectl 1.32's `kubectl autoscale` creates v1), and
// events.k8s.io/v1 Event over the core v1 one (events-v1.ts). The kernel
// keeps one version per kind; this wrapper is a Kernel that answers for the extra version by
// converting on the way in and out, so the REST handlers serve it like any other kind.
import {
  applyPatch,
  errors,
  eventsV1CreateCauses,
  StatusError,
  type StatusCause,
  type DeleteOptions,
  type Disposable,
  type Kernel,
  type KindInfo,
  type KList,
  type KObject,
  type ListOptions,
  type PatchType,
  type ResourceRef,
  type Watch,
  type WatchEvent,
  type WatchOptions,
  type WriteOptions,
} from '@skiff/kernel';
import { hpaToV1, hpaToV2 } from './hpa-v1.ts';
import { eventsV1ToCore, eventToEventsV1 } from './events-v1.ts';

interface VersionAlias {
  /** what is served */
  info: KindInfo;
  /** what a create in the served version must hold beyond what the stored kind checks (422 causes) */
  createCauses?(o: KObject): StatusCause[];
  /** what the kernel stores */
  stored: ResourceRef;
  toServed(o: KObject): KObject;
  toStored(o: KObject): KObject;
}

const HPA_V1: VersionAlias = {
  info: {
    group: 'autoscaling',
    version: 'v1',
    kind: 'HorizontalPodAutoscaler',
    resource: 'horizontalpodautoscalers',
    singular: 'horizontalpodautoscaler',
    listKind: 'HorizontalPodAutoscalerList',
    namespaced: true,
    shortNames: ['hpa'],
    categories: ['all'],
    subresources: ['status'],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  },
  stored: { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers' },
  toServed: hpaToV1,
  toStored: hpaToV2,
};

const EVENTS_V1: VersionAlias = {
  info: {
    group: 'events.k8s.io',
    version: 'v1',
    kind: 'Event',
    resource: 'events',
    singular: 'event',
    listKind: 'EventList',
    namespaced: true,
    shortNames: ['ev'],
    categories: [],
    subresources: [],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  },
  stored: { group: '', version: 'v1', resource: 'events' },
  toServed: eventToEventsV1,
  toStored: eventsV1ToCore,
  createCauses: (o) => eventsV1CreateCauses(o as unknown as Record<string, unknown>),
};

/** the groups with aliases: the search is skipped for the rest */
const ALIAS_GROUPS = new Set(['autoscaling', 'events.k8s.io']);

const PATCH_ATTEMPTS = 8;
const sameRef = (a: ResourceRef, b: { group: string; version: string; resource: string }) => a.group === b.group && a.version === b.version && a.resource === b.resource;
const apiVersionOf = (i: KindInfo) => (i.group ? `${i.group}/${i.version}` : i.version);

export class VersionAliasKernel implements Kernel {
  private readonly aliases: VersionAlias[] = [HPA_V1, EVENTS_V1];
  private kindsOf?: { base: KindInfo[]; all: KindInfo[] };

  constructor(private readonly base: Kernel) {}

  private alias(ref: ResourceRef): VersionAlias | undefined {
    if (!ALIAS_GROUPS.has(ref.group)) return undefined;
    const a = this.aliases.find((x) => sameRef(ref, x.info));
    // served only while the stored version is (a kernel without it has no alias either)
    return a && this.base.kinds().some((k) => sameRef(a.stored, k)) ? a : undefined;
  }

  /** The object a client sent, in the served version: its apiVersion and kind must be the alias's. */
  private incoming(a: VersionAlias, obj: KObject): KObject {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw errors.badRequest('the request body must be a JSON object');
    const want = apiVersionOf(a.info);
    if (obj.apiVersion !== undefined && obj.apiVersion !== want)
      throw errors.badRequest(`the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${want})`);
    if (obj.kind !== undefined && obj.kind !== a.info.kind) throw errors.badRequest(`the kind in the data (${String(obj.kind)}) does not match the expected kind (${a.info.kind})`);
    return a.toStored({ ...obj, metadata: typeof obj.metadata === 'object' && obj.metadata ? obj.metadata : {} });
  }

  kinds(): KindInfo[] {
    const base = this.base.kinds();
    if (this.kindsOf?.base !== base) {
      const extra = this.aliases.filter((a) => base.some((k) => sameRef(a.stored, k)) && !base.some((k) => sameRef(a.info, k))).map((a) => a.info);
      this.kindsOf = { base, all: extra.length ? [...base, ...extra] : base };
    }
    return this.kindsOf.all;
  }

  kindFor(ref: ResourceRef): KindInfo {
    return this.alias(ref)?.info ?? this.base.kindFor(ref);
  }

  async get(ref: ResourceRef, namespace: string | undefined, name: string): Promise<KObject> {
    const a = this.alias(ref);
    if (!a) return this.base.get(ref, namespace, name);
    return a.toServed(await this.base.get(a.stored, namespace, name));
  }

  async list(ref: ResourceRef, opts?: ListOptions): Promise<KList> {
    const a = this.alias(ref);
    if (!a) return this.base.list(ref, opts);
    const l = await this.base.list(a.stored, opts);
    return { ...l, apiVersion: apiVersionOf(a.info), kind: a.info.listKind, items: l.items.map(a.toServed) };
  }

  async create(ref: ResourceRef, obj: KObject, opts?: WriteOptions): Promise<KObject> {
    const a = this.alias(ref);
    if (!a) return this.base.create(ref, obj, opts);
    const stored = this.incoming(a, obj); // (a body that is no object is a 400 first)
    const causes = a.createCauses?.(obj) ?? [];
    if (causes.length) throw errors.invalid({ group: a.info.group, resource: a.info.resource, kind: a.info.kind }, obj.metadata?.name ?? '', causes);
    return a.toServed(await this.base.create(a.stored, stored, opts));
  }

  async update(ref: ResourceRef, obj: KObject, opts?: WriteOptions): Promise<KObject> {
    const a = this.alias(ref);
    if (!a) return this.base.update(ref, obj, opts);
    return a.toServed(await this.base.update(a.stored, this.incoming(a, obj), opts));
  }

  /** A patch of the served version: applied to the converted object, written back at its resourceVersion. */
  async patch(ref: ResourceRef, namespace: string | undefined, name: string, patchType: PatchType, patch: unknown, opts?: WriteOptions): Promise<KObject> {
    const a = this.alias(ref);
    if (!a) return this.base.patch(ref, namespace, name, patchType, patch, opts);
    for (let attempt = 1; ; attempt++) {
      const cur = a.toServed(await this.base.get(a.stored, namespace, name));
      const next = applyPatch(cur, patchType === 'apply' ? 'merge' : patchType, patch) as KObject;
      const setRV = next.metadata?.resourceVersion !== cur.metadata.resourceVersion;
      try {
        return a.toServed(await this.base.update(a.stored, this.incoming(a, next), opts));
      } catch (e) {
        // a lost race is retried; a resourceVersion the patch itself set is the caller's precondition
        if (!(e instanceof StatusError && e.code === 409) || setRV || attempt >= PATCH_ATTEMPTS) throw e;
      }
    }
  }

  async delete(ref: ResourceRef, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<KObject> {
    const a = this.alias(ref);
    if (!a) return this.base.delete(ref, namespace, name, opts);
    return a.toServed(await this.base.delete(a.stored, namespace, name, opts));
  }

  watch(ref: ResourceRef, opts?: WatchOptions): Watch {
    const a = this.alias(ref);
    if (!a) return this.base.watch(ref, opts);
    const w = this.base.watch(a.stored, opts);
    const served = apiVersionOf(a.info);
    const convert = (ev: WatchEvent): WatchEvent => {
      if (ev.type === 'ERROR') return ev;
      if (ev.type === 'BOOKMARK') return { type: ev.type, object: { ...ev.object, apiVersion: served } };
      return { type: ev.type, object: a.toServed(ev.object) };
    };
    return {
      stop: () => w.stop(),
      async *[Symbol.asyncIterator]() {
        for await (const ev of w) yield convert(ev);
      },
    };
  }

  /** A served alias has no schema of its own (its objects are converted): none is published. */
  async kindSchema(ref: ResourceRef): Promise<Record<string, unknown> | undefined> {
    return this.alias(ref) ? undefined : this.base.kindSchema?.(ref);
  }

  registerKind(def: Parameters<Kernel['registerKind']>[0]): Disposable {
    return this.base.registerKind(def);
  }

  registerAdmission(handler: Parameters<Kernel['registerAdmission']>[0]): Disposable {
    return this.base.registerAdmission(handler);
  }
}
