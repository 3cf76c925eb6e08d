// The kernel bus client: the Kernel interface over NATS. Out-of-process plugins and node agents get
// this instead of SkiffKernel and cannot tell the difference: same results, same StatusErrors.
import { createInbox, nuid, RequestError, TimeoutError, type Msg, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import { errors, isStatusError, StatusError } from '../status.ts';
import type { KindDefinition } from '../schema/kind-definition.ts';
import type {
  AdmissionHandler,
  AdmissionRequest,
  DeleteOptions,
  Disposable,
  Kernel,
  KindInfo,
  KList,
  KObject,
  ListOptions,
  PatchType,
  ResourceRef,
  Watch,
  WatchOptions,
  WriteOptions,
} from '../types.ts';
import { BusWatch } from './client-watch.ts';
import {
  DEFAULT_PREFIX,
  KEEPALIVE_MS,
  WATCH_SILENCE_MS,
  decode,
  encode,
  isObj,
  statusError,
  subjects,
  type AdmissionAnswer,
  type AdmissionMatch,
  type AdmissionRegistration,
  type Chunked,
  type Reply,
  type Subjects,
} from './protocol.ts';

export interface KernelClientOptions {
  /** subject prefix (default `skiff.kernel`) */
  prefix?: string;
  /** per-request timeout (default 10 s) */
  timeoutMs?: number;
  /** keepalive period for watches and admission handlers (default 2 s) */
  keepaliveMs?: number;
  /** a watch the server has not answered for this long is ended (default 8 s) */
  watchSilenceMs?: number;
  /** how often the kinds list is refreshed (default 30 s) */
  kindsRefreshMs?: number;
}

/** An admission handler for the bus: `matchSpec` is decided on the server, sparing round trips. */
export interface RemoteAdmissionHandler extends AdmissionHandler {
  matchSpec?: AdmissionMatch;
}

export async function connectKernel(nc: NatsConnection, opts: KernelClientOptions = {}): Promise<KernelBusClient> {
  const c = new KernelBusClient(nc, opts);
  await c.refreshKinds();
  return c;
}

export class KernelBusClient implements Kernel {
  private readonly s: Subjects;
  private readonly timeoutMs: number;
  private kindList: KindInfo[] = [];
  private readonly schemas = new Map<string, Promise<Record<string, unknown> | undefined>>();
  private schemasOf?: KindInfo[];
  private refreshing?: Promise<void>;
  private readonly watches = new Map<string, { watch: BusWatch; sub: Subscription }>();
  private readonly admissions = new Map<string, { reg: AdmissionRegistration; sub: Subscription }>();
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly opts: KernelClientOptions = {},
  ) {
    this.s = subjects(opts.prefix ?? DEFAULT_PREFIX);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    const ka = setInterval(() => this.keepalive(), opts.keepaliveMs ?? KEEPALIVE_MS);
    const kr = setInterval(() => void this.refreshKinds().catch(() => {}), opts.kindsRefreshMs ?? 30_000);
    for (const t of [ka, kr]) t.unref();
    this.timers.push(ka, kr);
  }

  // ---- plumbing

  private async call<T>(subject: string, body: unknown): Promise<T> {
    if (this.closed) throw errors.serviceUnavailable('kernel bus client is closed');
    let m: Msg;
    try {
      m = await this.nc.request(subject, encode(body), { timeout: this.timeoutMs });
    } catch (e) {
      throw requestFailure(e, subject);
    }
    let reply = decode(m.data) as Reply<T>;
    if (isObj(reply) && reply.chunked) reply = decode(await this.fetchChunks(reply.chunked)) as Reply<T>;
    if (!isObj(reply)) throw errors.internal(`kernel bus: malformed reply on ${subject}`);
    if (reply.error !== undefined) throw statusError(reply.error);
    return reply.ok as T;
  }

  private async fetchChunks(c: Chunked): Promise<Uint8Array> {
    const pieces: Uint8Array[] = [];
    for (let index = 0; index < c.count; index++) {
      let m: Msg;
      try {
        m = await this.nc.request(c.subject, encode({ id: c.id, index }), { timeout: this.timeoutMs });
      } catch (e) {
        throw requestFailure(e, c.subject);
      }
      if (m.data.length === 0) throw errors.gone('kernel bus: the reply expired before it was fetched');
      pieces.push(m.data);
    }
    const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of pieces) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  private keepalive(): void {
    if (this.closed || this.nc.isClosed()) return;
    const silent = Date.now() - (this.opts.watchSilenceMs ?? WATCH_SILENCE_MS);
    for (const { watch } of this.watches.values()) if (watch.lastHeard < silent) watch.lost();
    try {
      if (this.watches.size) this.nc.publish(this.s.watchKeepalive, encode({ ids: [...this.watches.keys()] }));
      if (this.admissions.size) {
        this.nc.publish(this.s.admissionKeepalive, encode({ registrations: [...this.admissions.values()].map((a) => a.reg) }));
      }
    } catch {
      // reconnecting or closing: the next tick tries again
    }
  }

  // ---- kinds

  /** Fetch the kinds list now (connect, registerKind and a kindFor miss do it too). */
  refreshKinds(): Promise<void> {
    this.refreshing ??= this.call<KindInfo[]>(this.s.kinds, {})
      .then((k) => void (this.kindList = k))
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  kinds(): KindInfo[] {
    return this.kindList.slice();
  }

  kindFor(ref: ResourceRef): KindInfo {
    const k = this.kindList.find((i) => i.group === ref.group && i.version === ref.version && i.resource === ref.resource);
    if (k) return k;
    void this.refreshKinds().catch(() => {});
    const gv = ref.group ? `${ref.group}/${ref.version}` : ref.version;
    throw errors.noSuchResource(`the server could not find the requested resource (${ref.resource} in ${gv})`);
  }

  /** A kind's schema, asked of the kernel once per kinds list (a re-registered kind may bring a new one). */
  kindSchema(ref: ResourceRef): Promise<Record<string, unknown> | undefined> {
    if (this.schemasOf !== this.kindList) {
      this.schemasOf = this.kindList;
      this.schemas.clear();
    }
    const k = `${ref.group}/${ref.version}/${ref.resource}`;
    let p = this.schemas.get(k);
    if (!p) {
      p = this.call<{ schema: Record<string, unknown> | null }>(this.s.kindSchema, { ref }).then((r) => r.schema ?? undefined);
      p.catch(() => this.schemas.delete(k));
      this.schemas.set(k, p);
    }
    return p;
  }

  /** Registers the data of the definition: default/validate/selectableFields do not cross the bus. */
  registerKind(def: KindDefinition): Disposable {
    const d = this.registerKindAsync(def);
    d.catch(() => {});
    return { dispose: () => void d.then((x) => x.dispose(), () => {}) };
  }

  /** registerKind, waiting for the kernel's answer (errors are thrown, not lost). */
  async registerKindAsync(def: KindDefinition): Promise<Disposable> {
    const id = nuid.next();
    const { default: _d, validate: _v, selectableFields: _s, ...data } = def;
    await this.call(this.s.registerKind, { id, def: data });
    await this.refreshKinds();
    return { dispose: () => void this.call(this.s.unregisterKind, { id }).then(() => this.refreshKinds()).catch(() => {}) };
  }

  // ---- admission

  registerAdmission(handler: AdmissionHandler): Disposable {
    const d = this.registerAdmissionAsync(handler);
    return { dispose: () => void d.then((x) => x.dispose()).catch(() => {}) };
  }

  /** registerAdmission that resolves once the kernel has the handler. */
  async registerAdmissionAsync(handler: RemoteAdmissionHandler): Promise<Disposable> {
    const id = nuid.next();
    const inbox = createInbox();
    const sub = this.nc.subscribe(inbox, { callback: (err, m) => void (err || this.answer(handler, m)) });
    const reg: AdmissionRegistration = {
      id,
      name: handler.name,
      phase: handler.phase,
      timeoutMs: handler.timeoutMs ?? 10_000,
      failurePolicy: handler.failurePolicy ?? 'Fail',
      inbox,
      match: handler.matchSpec,
    };
    this.admissions.set(id, { reg, sub });
    const dispose = () => {
      if (!this.admissions.delete(id)) return;
      sub.unsubscribe();
      void this.call(this.s.admissionUnregister, { id }).catch(() => {});
    };
    try {
      await this.call(this.s.admissionRegister, reg);
    } catch (e) {
      dispose();
      throw e;
    }
    return { dispose };
  }

  private async answer(h: AdmissionHandler, m: Msg): Promise<void> {
    let a: AdmissionAnswer;
    try {
      const req = decode(m.data) as AdmissionRequest;
      if (h.match && !h.match(req)) a = {};
      else {
        const out = await h.handle(req);
        a = out && typeof out === 'object' ? { object: out } : {};
      }
    } catch (e) {
      a = isStatusError(e) ? { error: e.status } : { crash: e instanceof Error ? e.message : String(e) };
    }
    try {
      m.respond(encode(a));
    } catch {
      // closing
    }
  }

  // ---- objects

  get(ref: ResourceRef, namespace: string | undefined, name: string): Promise<KObject> {
    return this.call(this.s.get, { ref, namespace, name });
  }

  list(ref: ResourceRef, opts?: ListOptions): Promise<KList> {
    return this.call(this.s.list, { ref, opts });
  }

  create(ref: ResourceRef, obj: KObject, opts?: WriteOptions): Promise<KObject> {
    return this.call(this.s.create, { ref, object: obj, opts });
  }

  update(ref: ResourceRef, obj: KObject, opts?: WriteOptions): Promise<KObject> {
    return this.call(this.s.update, { ref, object: obj, opts });
  }

  patch(ref: ResourceRef, namespace: string | undefined, name: string, patchType: PatchType, patch: unknown, opts?: WriteOptions): Promise<KObject> {
    return this.call(this.s.patch, { ref, namespace, name, patchType, patch, opts });
  }

  delete(ref: ResourceRef, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<KObject> {
    return this.call(this.s.delete, { ref, namespace, name, opts });
  }

  watch(ref: ResourceRef, opts?: WatchOptions): Watch {
    const watchId = nuid.next();
    const inbox = createInbox();
    const w = new BusWatch(watchId, (id, tellServer) => {
      const e = this.watches.get(id);
      if (!e) return;
      this.watches.delete(id);
      e.sub.unsubscribe();
      if (tellServer && !this.nc.isClosed()) {
        try {
          this.nc.publish(this.s.watchStop, encode({ ids: [id] }));
        } catch {
          // the server's keepalive timeout stops it
        }
      }
    });
    // subscribe first: the SUB reaches the server before the watch request does
    const sub = this.nc.subscribe(inbox, { callback: (err, m) => (err ? w.fail(errors.internal(err.message)) : w.deliver(m.data)) });
    this.watches.set(watchId, { watch: w, sub });
    this.call(this.s.watch, { watchId, inbox, ref, opts }).catch((e) => w.fail(isStatusError(e) ? e : errors.internal(String(e))));
    return w;
  }

  /** Stop watches and admission handlers, and the timers. Does not close the NATS connection. */
  async close(): Promise<void> {
    for (const { watch } of [...this.watches.values()]) watch.stop();
    const ids = [...this.admissions.keys()];
    for (const { sub } of this.admissions.values()) sub.unsubscribe();
    this.admissions.clear();
    await Promise.allSettled(ids.map((id) => this.call(this.s.admissionUnregister, { id })));
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
  }
}

function requestFailure(e: unknown, subject: string): StatusError {
  if (e instanceof StatusError) return e;
  if (e instanceof RequestError && e.isNoResponders()) return errors.serviceUnavailable(`kernel bus: no kernel is serving ${subject}`);
  if (e instanceof TimeoutError || (e instanceof RequestError && e.cause instanceof TimeoutError)) {
    return errors.timeout(`kernel bus: no answer on ${subject} in time`);
  }
  const msg = e instanceof Error ? e.message : String(e);
  if (/max.?payload/i.test(msg)) return new StatusError({ ...errors.badRequest('').status, code: 413, reason: 'RequestEntityTooLarge', message: `kernel bus: ${msg}` });
  return errors.serviceUnavailable(`kernel bus: ${msg}`);
}
