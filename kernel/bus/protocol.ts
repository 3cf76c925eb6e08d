// The kernel bus: the `Kernel` interface over NATS request/reply, JSON-encoded.
//
// Subjects (prefix default `skiff.kernel`, configurable so several clusters can share one NATS):
//   <p>.get .list .create .update .patch .delete .kinds .kindFor .watch
//       queue group `skiff-kernel`: one kernel replica answers each request.
//   <p>.registerKind .unregisterKind .admission.register .admission.unregister
//       plain subscriptions: every replica registers (each runs its own admission chain and kind
//       registry); the client takes the first reply.
//   <p>.watch.stop .watch.keepalive .admission.keepalive
//       plain subscriptions, fire-and-forget: the replica holding the id acts, others ignore it.
//   <p>.chunk.<serverId>
//       one replica's large replies, fetched piece by piece (see below).
//
// Requests are the arguments of the Kernel method as an object (GetRequest, ...). Every reply is
// `{ok: result}` or `{error: Status}`; the client turns `error` back into a StatusError with the
// same code/reason/message/details. A malformed request gets a 400 BadRequest. A reply larger than
// the server's max_payload is `{chunked: {subject, id, count}}`: the client requests `{id, index}`
// on `subject` for each index and concatenates the raw bytes (an empty piece means it expired).
//
// Watch: the client subscribes to a fresh inbox, then requests `.watch` with `{watchId, inbox,
// ref, opts}`. The server answers `{ok: {watchId}}` (or an error) and publishes to the inbox
// `{seq, event}` (seq 1, 2, ...), then `{seq, end: true}` or `{seq, error: Status}`. A gap in seq
// (core NATS drops messages for slow consumers) ends the watch with a 410 ERROR event. The client
// publishes `{ids}` on `.watch.keepalive` every 5 s; the server answers each known id with
// `{hb: true}` on its inbox and stops watches not kept alive for 30 s. `.watch.stop` `{ids}` stops.
//
// Admission: `.admission.register` with an AdmissionRegistration; the server calls the handler
// with a request of the AdmissionRequest on the registration's inbox, answered `{object}`
// (mutating: the new object), `{}` (allowed, unchanged), `{error: Status}` (rejected) or
// `{crash: message}` (the handler failed: the failurePolicy decides). `.admission.keepalive`
// `{registrations}` every 5 s keeps them (and re-registers them on a replica that lost them);
// not kept alive for 30 s, unregistered, or its inbox gone (no responders): dropped.
import { errors, StatusError, type Status } from '../status.ts';
import type {
  AdmissionOperation,
  DeleteOptions,
  KindInfo,
  KObject,
  ListOptions,
  PatchType,
  ResourceRef,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from '../types.ts';
import type { KindDefinition } from '../schema/kind-definition.ts';

export const DEFAULT_PREFIX = 'skiff.kernel';
export const QUEUE_GROUP = 'skiff-kernel';
/** clients send a keepalive for their watches this often; the server answers each with a heartbeat */
export const KEEPALIVE_MS = 2_000;
/** a server drops a watch no keepalive has come for in this long (a client gone) */
export const KEEPALIVE_TTL_MS = 30_000;
/**
 * a client ends a watch that has heard nothing (no event, no heartbeat) for this long: its server is
 * gone (killed, partitioned). Four missed heartbeats: fast enough for a controller's informer to
 * re-list from a surviving server well inside a leader hand-over, slow enough for a busy server.
 */
export const WATCH_SILENCE_MS = 8_000;

export function subjects(prefix = DEFAULT_PREFIX) {
  return {
    get: `${prefix}.get`,
    list: `${prefix}.list`,
    create: `${prefix}.create`,
    update: `${prefix}.update`,
    patch: `${prefix}.patch`,
    delete: `${prefix}.delete`,
    kinds: `${prefix}.kinds`,
    kindFor: `${prefix}.kindFor`,
    kindSchema: `${prefix}.kindSchema`,
    registerKind: `${prefix}.registerKind`,
    unregisterKind: `${prefix}.unregisterKind`,
    watch: `${prefix}.watch`,
    watchStop: `${prefix}.watch.stop`,
    watchKeepalive: `${prefix}.watch.keepalive`,
    admissionRegister: `${prefix}.admission.register`,
    admissionUnregister: `${prefix}.admission.unregister`,
    admissionKeepalive: `${prefix}.admission.keepalive`,
    chunk: (serverId: string) => `${prefix}.chunk.${serverId}`,
  };
}
export type Subjects = ReturnType<typeof subjects>;

// ---- requests

export interface GetRequest { ref: ResourceRef; namespace?: string; name: string }
export interface ListRequest { ref: ResourceRef; opts?: ListOptions }
export interface WriteRequest { ref: ResourceRef; object: KObject; opts?: WriteOptions }
export interface PatchRequest { ref: ResourceRef; namespace?: string; name: string; patchType: PatchType; patch: unknown; opts?: WriteOptions }
export interface DeleteRequest { ref: ResourceRef; namespace?: string; name: string; opts?: DeleteOptions }
export interface KindForRequest { ref: ResourceRef }
/** The data part of a KindDefinition: functions (default, validate, selectableFields) do not cross the bus. */
export type KindDefinitionData = Omit<KindDefinition, 'default' | 'validate' | 'selectableFields'>;
/** `id` chosen by the client, so every replica files the kind under the same id. */
export interface RegisterKindRequest { id: string; def: KindDefinitionData }
export interface IdRequest { id: string }
export interface IdsMessage { ids: string[] }
export interface WatchRequest { watchId: string; inbox: string; ref: ResourceRef; opts?: WatchOptions }

/** Which requests a remote admission handler sees, decided on the server (no round trip otherwise). */
export interface AdmissionMatch {
  group?: string;
  resource?: string;
  operations?: AdmissionOperation[];
}
export interface AdmissionRegistration {
  id: string;
  name: string;
  phase: 'mutating' | 'validating';
  timeoutMs: number;
  failurePolicy: 'Fail' | 'Ignore';
  inbox: string;
  match?: AdmissionMatch;
}
export interface AdmissionKeepalive { registrations: AdmissionRegistration[] }
export interface AdmissionAnswer { object?: KObject; error?: Status; crash?: string }

// ---- replies

export interface Chunked { subject: string; id: string; count: number }
export type Reply<T> = { ok: T; error?: undefined; chunked?: undefined } | { error: Status; ok?: undefined; chunked?: undefined } | { chunked: Chunked; ok?: undefined; error?: undefined };

export type WatchMessage =
  | { seq: number; event: WatchEvent }
  | { seq: number; end: true }
  | { seq: number; error: Status }
  | { hb: true };

export type KindsReply = KindInfo[];

// ---- encoding

const enc = new TextEncoder();
const dec = new TextDecoder();
export const encode = (v: unknown): Uint8Array => enc.encode(JSON.stringify(v));
export function decode(data: Uint8Array): unknown {
  if (data.length === 0) throw errors.badRequest('empty message');
  try {
    return JSON.parse(dec.decode(data));
  } catch (e) {
    throw errors.badRequest(`malformed JSON: ${(e as Error).message}`);
  }
}

/** A Status received over the wire, back into a StatusError (something else: a 500). */
export function statusError(s: unknown): StatusError {
  const st = s as Status;
  if (st && typeof st === 'object' && typeof st.code === 'number' && typeof st.message === 'string' && typeof st.reason === 'string') {
    return new StatusError(st);
  }
  return errors.internal(`kernel bus: malformed error reply: ${JSON.stringify(s)}`);
}

// ---- request validation (malformed requests are 400s, never crashes)

type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function need(cond: unknown, what: string): asserts cond {
  if (!cond) throw errors.badRequest(`kernel bus: malformed request: ${what}`);
}

export function body(v: unknown): Obj {
  need(isObj(v), 'the body must be a JSON object');
  return v;
}

export function ref(b: Obj): ResourceRef {
  const r = b.ref;
  need(isObj(r) && typeof r.group === 'string' && typeof r.version === 'string' && typeof r.resource === 'string', '`ref` must be {group, version, resource} strings');
  return { group: r.group, version: r.version, resource: r.resource };
}

export function str(b: Obj, field: string): string {
  const v = b[field];
  need(typeof v === 'string' && v.length > 0, `\`${field}\` must be a non-empty string`);
  return v;
}

export function optStr(b: Obj, field: string): string | undefined {
  const v = b[field];
  need(v === undefined || v === null || typeof v === 'string', `\`${field}\` must be a string`);
  return (v ?? undefined) as string | undefined;
}

export function optObj<T>(b: Obj, field: string): T | undefined {
  const v = b[field];
  need(v === undefined || v === null || isObj(v), `\`${field}\` must be an object`);
  return (v ?? undefined) as T | undefined;
}

export function kobject(b: Obj): KObject {
  const o = b.object;
  need(isObj(o) && isObj(o.metadata), '`object` must be an object with `metadata`');
  return o as KObject;
}

export function strings(b: Obj, field: string): string[] {
  const v = b[field];
  need(Array.isArray(v) && v.every((x) => typeof x === 'string'), `\`${field}\` must be an array of strings`);
  return v as string[];
}

export function registration(v: unknown): AdmissionRegistration {
  const b = body(v);
  const phase = b.phase;
  need(phase === 'mutating' || phase === 'validating', '`phase` must be mutating or validating');
  const fp = b.failurePolicy ?? 'Fail';
  need(fp === 'Fail' || fp === 'Ignore', '`failurePolicy` must be Fail or Ignore');
  const t = b.timeoutMs ?? 10_000;
  need(typeof t === 'number' && t > 0, '`timeoutMs` must be a positive number');
  const m = optObj<AdmissionMatch>(b, 'match');
  if (m) {
    need(m.group === undefined || typeof m.group === 'string', '`match.group` must be a string');
    need(m.resource === undefined || typeof m.resource === 'string', '`match.resource` must be a string');
    need(m.operations === undefined || Array.isArray(m.operations), '`match.operations` must be an array');
  }
  return { id: str(b, 'id'), name: str(b, 'name'), phase, timeoutMs: t, failurePolicy: fp, inbox: str(b, 'inbox'), match: m };
}
