// The kernel bus server: serves a Kernel on NATS (see protocol.ts). Data operations and watches
// use the queue group `skiff-kernel`, so kernel replicas share the load; registrations are
// broadcast to every replica. Anything thrown becomes a Status in the reply; nothing a client
// sends can crash it.
import { nuid, type Msg, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import { errors, toStatus } from '../status.ts';
import { checkBodyDepth, MAX_NAME_LENGTH, MAX_NAMESPACE_LENGTH } from '../schema/limits.ts';
import type { DeleteOptions, Disposable, Kernel, ListOptions, PatchType, WriteOptions } from '../types.ts';
import type { KindDefinition } from '../schema/kind-definition.ts';
import {
  DEFAULT_PREFIX,
  KEEPALIVE_TTL_MS,
  QUEUE_GROUP,
  body,
  decode,
  encode,
  isObj,
  kobject,
  need,
  optObj,
  optStr,
  ref,
  registration,
  str,
  strings,
  subjects,
  type AdmissionRegistration,
  type Reply,
} from './protocol.ts';
import { AdmissionRegistry } from './server-admission.ts';
import { WatchRegistry } from './server-watch.ts';

export interface BusServerOptions {
  /** subject prefix (default `skiff.kernel`) */
  prefix?: string;
  /** watches and admission registrations not kept alive for this long are dropped (default 30 s) */
  keepaliveTtlMs?: number;
}

export interface BusServer {
  readonly prefix: string;
  /** live counts, for tests and metrics */
  stats(): { watches: number; admissionHandlers: number; kinds: number };
  stop(): Promise<void>;
}

type Handler = (b: Record<string, unknown>) => unknown;

/** Large replies waiting to be fetched piece by piece. */
class ChunkStore {
  private readonly pending = new Map<string, { pieces: Uint8Array[]; expires: number }>();
  put(pieces: Uint8Array[]): string {
    const id = nuid.next();
    this.pending.set(id, { pieces, expires: Date.now() + 60_000 });
    return id;
  }
  take(id: string, index: number): Uint8Array {
    const p = this.pending.get(id);
    if (!p || !(index >= 0 && index < p.pieces.length)) return new Uint8Array(0);
    const piece = p.pieces[index]!;
    if (index === p.pieces.length - 1) this.pending.delete(id);
    return piece;
  }
  sweep(): void {
    const now = Date.now();
    for (const [id, p] of this.pending) if (p.expires < now) this.pending.delete(id);
  }
}

/** Longest reply subject (inbox) a client may name: the server publishes to it. */
export const MAX_INBOX_LENGTH = 512;

/**
 * A subject the server will publish or send requests to: one a client names must be a plain NATS
 * subject (no wildcards, no spaces, no empty tokens) and short. A subject whose control line passes
 * NATS' 4 KB limit would make the server drop the kernel's own connection.
 */
function checkSubject(v: unknown, what: string): void {
  need(typeof v === 'string' && v.length > 0, `${what} must be a non-empty string`);
  need(v.length <= MAX_INBOX_LENGTH, `${what} is longer than ${MAX_INBOX_LENGTH} characters`);
  need(/^[^\s.*>]+(\.[^\s.*>]+)*$/.test(v), `${what} must be a NATS subject without wildcards or spaces`);
}

export async function serveKernelBus(nc: NatsConnection, kernel: Kernel, opts: BusServerOptions = {}): Promise<BusServer> {
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  const ttl = opts.keepaliveTtlMs ?? KEEPALIVE_TTL_MS;
  const s = subjects(prefix);
  const serverId = nuid.next();
  const chunkSubject = s.chunk(serverId);
  const watches = new WatchRegistry(nc, kernel, ttl);
  const admission = new AdmissionRegistry(nc, kernel, ttl);
  const kinds = new Map<string, Disposable>();
  const chunks = new ChunkStore();
  const subs: Subscription[] = [];
  const inflight = new Set<Promise<void>>();
  let stopping = false;

  const maxPayload = () => Math.max(4096, (nc.info?.max_payload ?? 1024 * 1024) - 1024);

  function respond(m: Msg, reply: Reply<unknown>): void {
    if (!m.reply) return;
    let data: Uint8Array;
    try {
      data = encode(reply);
    } catch (e) {
      data = encode({ error: errors.internal(`kernel bus: cannot encode the reply: ${(e as Error).message}`).status });
    }
    const max = maxPayload();
    if (data.length > max) {
      const pieces: Uint8Array[] = [];
      for (let i = 0; i < data.length; i += max) pieces.push(data.subarray(i, i + max));
      data = encode({ chunked: { subject: chunkSubject, id: chunks.put(pieces), count: pieces.length } });
    }
    try {
      m.respond(data);
    } catch {
      // connection closing: nothing to answer on
    }
  }

  /** Subscribe `subject`; `handler` gets the validated-as-object body and returns the result. */
  function serve(subject: string, handler: Handler, queue = true): void {
    const callback = (err: Error | null, m: Msg) => {
      if (err || stopping) return;
      const p = (async () => {
        try {
          const b = body(decode(m.data));
          checkBodyDepth(b, 'the kernel bus request');
          respond(m, { ok: (await handler(b)) ?? {} });
        } catch (e) {
          respond(m, { error: toStatus(e) });
        }
      })();
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    };
    subs.push(nc.subscribe(subject, queue ? { queue: QUEUE_GROUP, callback } : { callback }));
  }

  const nsName = (b: Record<string, unknown>) => ({ namespace: optStr(b, 'namespace'), name: str(b, 'name') });

  serve(s.get, (b) => {
    const { namespace, name } = nsName(b);
    return kernel.get(ref(b), namespace, name);
  });
  serve(s.list, (b) => kernel.list(ref(b), optObj<ListOptions>(b, 'opts')));
  serve(s.create, (b) => kernel.create(ref(b), kobject(b), optObj<WriteOptions>(b, 'opts')));
  serve(s.update, (b) => kernel.update(ref(b), kobject(b), optObj<WriteOptions>(b, 'opts')));
  serve(s.patch, (b) => {
    const { namespace, name } = nsName(b);
    const pt = b.patchType;
    need(pt === 'json' || pt === 'merge' || pt === 'strategic' || pt === 'apply', '`patchType` must be json, merge, strategic or apply');
    need(b.patch !== undefined, '`patch` is required');
    return kernel.patch(ref(b), namespace, name, pt as PatchType, b.patch, optObj<WriteOptions>(b, 'opts'));
  });
  serve(s.delete, (b) => {
    const { namespace, name } = nsName(b);
    return kernel.delete(ref(b), namespace, name, optObj<DeleteOptions>(b, 'opts'));
  });
  serve(s.kinds, () => kernel.kinds());
  serve(s.kindFor, (b) => kernel.kindFor(ref(b)));
  serve(s.kindSchema, async (b) => ({ schema: (await kernel.kindSchema?.(ref(b))) ?? null }));
  serve(s.watch, (b) => {
    checkSubject(b.inbox, '`inbox`');
    return watches.start(b);
  });

  // registrations: every replica
  serve(
    s.registerKind,
    (b) => {
      const d = b.def;
      need(isObj(d), '`def` must be an object');
      for (const f of ['group', 'version', 'kind', 'resource']) need(typeof d[f] === 'string' && (f === 'group' || d[f]), `\`def.${f}\` must be a string`);
      // group, version and resource go into every store key of the kind: Kubernetes' lengths
      for (const [f, max] of [['group', MAX_NAME_LENGTH], ['version', MAX_NAMESPACE_LENGTH], ['resource', MAX_NAMESPACE_LENGTH], ['kind', MAX_NAMESPACE_LENGTH]] as const) {
        need((d[f] as string).length <= max, `\`def.${f}\` is longer than ${max} characters`);
      }
      need(typeof d.namespaced === 'boolean', '`def.namespaced` must be a boolean');
      const id = typeof b.id === 'string' && b.id ? b.id : nuid.next();
      if (!kinds.has(id)) kinds.set(id, kernel.registerKind(d as unknown as KindDefinition));
      return { id };
    },
    false,
  );
  serve(
    s.unregisterKind,
    (b) => {
      const id = str(b, 'id');
      kinds.get(id)?.dispose();
      kinds.delete(id);
    },
    false,
  );
  serve(
    s.admissionRegister,
    (b) => {
      const reg = registration(b);
      checkSubject(reg.inbox, '`inbox`');
      admission.register(reg);
      return { id: reg.id };
    },
    false,
  );
  serve(s.admissionUnregister, (b) => void admission.unregister(str(b, 'id')), false);

  // fire-and-forget: the replica holding the id acts
  serve(s.watchStop, (b) => void watches.stop(strings(b, 'ids')), false);
  serve(s.watchKeepalive, (b) => void watches.keepalive(strings(b, 'ids')), false);
  serve(
    s.admissionKeepalive,
    (b) => {
      const regs = b.registrations;
      need(Array.isArray(regs), '`registrations` must be an array');
      admission.keepalive(
        regs.map((r) => {
          const reg = registration(r) as AdmissionRegistration;
          checkSubject(reg.inbox, '`inbox`');
          return reg;
        }),
      );
    },
    false,
  );

  // pieces of large replies: raw bytes, only from this replica
  subs.push(
    nc.subscribe(chunkSubject, {
      callback: (err, m) => {
        if (err) return;
        let piece: Uint8Array = new Uint8Array(0);
        try {
          const b = body(decode(m.data));
          piece = chunks.take(str(b, 'id'), Number(b.index));
        } catch {
          // malformed: an empty piece
        }
        try {
          m.respond(piece);
        } catch {
          // closing
        }
      },
    }),
  );

  const sweeper = setInterval(
    () => {
      watches.sweep();
      admission.sweep();
      chunks.sweep();
    },
    Math.min(5_000, Math.max(50, ttl / 3)),
  );
  sweeper.unref();

  // the SUBs are on the wire before anyone is told the bus is up
  await nc.flush();

  return {
    prefix,
    stats: () => ({ watches: watches.size, admissionHandlers: admission.size, kinds: kinds.size }),
    async stop() {
      if (stopping) return;
      stopping = true;
      clearInterval(sweeper);
      for (const sub of subs) sub.unsubscribe();
      await Promise.allSettled([...inflight]);
      await watches.stopAll();
      admission.stopAll();
      for (const d of kinds.values()) d.dispose();
      kinds.clear();
      if (!nc.isClosed()) await nc.flush().catch(() => {});
    },
  };
}
