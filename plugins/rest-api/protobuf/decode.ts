// Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`, what kubectl's typed
// clients send) → the JSON object the client would have sent as `application/json`.
//
// Wire format: the four bytes "k8s\0", then a runtime.Unknown {typeMeta{apiVersion, kind}, raw,
// contentEncoding, contentType} whose `raw` is the object's own message (e.g. core/v1 Namespace).
// The JSON follows Go's encoding/json over the Kubernetes types: JSON field names, `omitempty` zero
// values left out, pointers written when set (even to zero), Time as RFC 3339 seconds, Quantity as its
// string, IntOrString as a number or a string, bytes as base64, inline structs merged into the parent.
import type { KObject } from '@skiff/kernel';
import { errors } from '@skiff/kernel';
import protobuf from 'protobufjs';
import {
  ENVELOPE_TYPE,
  INT_OR_STRING_TYPE,
  KIND_MESSAGES,
  QUANTITY_TYPE,
  TIME_TYPE,
  goJson,
  messageType,
} from './schema.ts';

export const KUBERNETES_PROTOBUF = 'application/vnd.kubernetes.protobuf';
/** "k8s\0" */
export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Msg = protobuf.Message<Record<string, unknown>> & Record<string, unknown> & { $unknowns?: Uint8Array[] };
type Json = Record<string, unknown>;

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Decode a `k8s\0`-prefixed protobuf body into the object's JSON form. Throws a StatusError (400/415). */
export function decodeKubernetesProtobuf(body: Buffer): KObject {
  if (body.length < PROTOBUF_MAGIC.length || !body.subarray(0, PROTOBUF_MAGIC.length).equals(PROTOBUF_MAGIC)) {
    throw errors.badRequest('error decoding the request body as protobuf: it does not start with the Kubernetes protobuf prefix "k8s\\x00"');
  }
  let envelope: Msg;
  try {
    envelope = messageType(ENVELOPE_TYPE).decode(body.subarray(PROTOBUF_MAGIC.length)) as Msg;
  } catch (e) {
    throw errors.badRequest(`error decoding the request body as protobuf: malformed envelope (runtime.Unknown): ${(e as Error).message}`);
  }
  const typeMeta = (envelope.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const apiVersion = typeMeta.apiVersion ?? '';
  const kind = typeMeta.kind ?? '';
  if (!apiVersion || !kind) {
    throw errors.badRequest('error decoding the request body as protobuf: the envelope (runtime.Unknown) has no apiVersion or kind');
  }
  const contentEncoding = typeof envelope.contentEncoding === 'string' ? envelope.contentEncoding : '';
  if (contentEncoding !== '') {
    throw errors.unsupportedMediaType(`protobuf content encoding "${contentEncoding}" is not supported for ${apiVersion}/${kind}; send JSON (application/json)`);
  }
  const contentType = typeof envelope.contentType === 'string' ? envelope.contentType : '';
  if (contentType !== '' && contentType.split(';')[0]!.trim() !== KUBERNETES_PROTOBUF) {
    throw errors.unsupportedMediaType(`protobuf envelope content type "${contentType}" is not supported for ${apiVersion}/${kind}; send JSON (application/json)`);
  }
  const typeName = KIND_MESSAGES[`${apiVersion}/${kind}`];
  if (!typeName) {
    throw errors.unsupportedMediaType(`protobuf encoding is not supported for ${apiVersion}/${kind}; send JSON (application/json)`);
  }
  const type = messageType(typeName);
  const raw = envelope.raw instanceof Uint8Array ? envelope.raw : new Uint8Array(0);
  let message: Msg;
  try {
    const reader = protobuf.Reader.create(raw);
    // keep unknown fields, so that a field Skiff does not know is refused rather than silently lost
    reader.discardUnknown = false;
    message = type.decode(reader) as Msg;
  } catch (e) {
    throw errors.badRequest(`error decoding the protobuf body of ${apiVersion}/${kind}: ${(e as Error).message}`);
  }
  const json = messageToJson(message, type, '', `${apiVersion}/${kind}`);
  return { apiVersion, kind, ...json } as KObject;
}

/** JSON of a message of `type`, Go-style. `path` (e.g. `spec.containers[0]`) names unknown fields in errors. */
export function messageToJson(message: Msg, type: protobuf.Type, path: string, what: string): Json {
  rejectUnknown(message, type, path, what);
  const out: Json = {};
  for (const field of type.fieldsArray) {
    const mode = goJson(field);
    if (mode === 'drop') continue;
    const name = field.name;
    const present = own(message, name) && message[name] !== null && message[name] !== undefined;
    const value = message[name];
    const at = path ? `${path}.${name}` : name;
    if (field.map) {
      const entries = present ? Object.entries(value as Record<string, unknown>) : [];
      if (entries.length === 0) continue;
      const m: Json = {};
      for (const [k, v] of entries) m[k] = valueToJson(field, v, `${at}[${JSON.stringify(k)}]`, what);
      out[name] = m;
    } else if (field.repeated) {
      const list = present ? (value as unknown[]) : [];
      if (list.length === 0) continue;
      out[name] = list.map((v, i) => valueToJson(field, v, `${at}[${i}]`, what));
    } else if (field.resolvedType instanceof protobuf.Type) {
      if (!present) continue;
      if (mode === 'inline') {
        Object.assign(out, messageToJson(value as Msg, field.resolvedType, path, what));
        continue;
      }
      const v = valueToJson(field, value, at, what);
      if (v !== undefined) out[name] = v;
    } else {
      if (mode === 'pointer') {
        if (present) out[name] = scalarToJson(field, value);
      } else if (mode === 'required') {
        out[name] = present ? scalarToJson(field, value) : zeroOf(field);
      } else if (present) {
        const v = scalarToJson(field, value);
        if (!isZero(v)) out[name] = v;
      }
    }
  }
  return out;
}

/** One value of a field (an element of a list, a value of a map, or a singular field). */
function valueToJson(field: protobuf.Field, value: unknown, path: string, what: string): unknown {
  const t = field.resolvedType;
  if (!(t instanceof protobuf.Type)) return scalarToJson(field, value);
  const m = value as Msg;
  switch (t.fullName.replace(/^\./, '')) {
    case TIME_TYPE:
      return timeToJson(m);
    case QUANTITY_TYPE:
      // resource.Quantity's JSON is its canonical string; the zero Quantity is "0"
      return typeof m.string === 'string' && m.string !== '' ? m.string : '0';
    case INT_OR_STRING_TYPE:
      return Number(toNumber(m.type ?? 0)) === 1 ? String(m.strVal ?? '') : Number(m.intVal ?? 0);
    default:
      return messageToJson(m, t, path, what);
  }
}

/** metav1.Time: RFC 3339 with seconds (like Go's Time.MarshalJSON in metav1); the zero time is left out. */
function timeToJson(m: Msg): string | undefined {
  if (!own(m, 'seconds') && !own(m, 'nanos')) return undefined; // an empty message is the zero time
  const seconds = toNumber(m.seconds ?? 0);
  const d = new Date(seconds * 1000);
  if (Number.isNaN(d.getTime())) return undefined;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function scalarToJson(field: protobuf.Field, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (isLong(value)) return toNumber(value);
  if (field.type === 'bytes' && typeof value === 'string') return value; // already base64 (protobufjs fromObject)
  return value;
}

function zeroOf(field: protobuf.Field): unknown {
  switch (field.type) {
    case 'string':
    case 'bytes':
      return '';
    case 'bool':
      return false;
    default:
      return 0;
  }
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

function isLong(v: unknown): v is { low: number; high: number; unsigned: boolean } {
  return typeof v === 'object' && v !== null && typeof (v as { low?: unknown }).low === 'number' && typeof (v as { high?: unknown }).high === 'number';
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (isLong(v)) return new protobuf.util.LongBits(v.low >>> 0, v.high >>> 0).toNumber(v.unsigned);
  return Number(v);
}

/** Refuse fields on the wire that proto/k8s does not describe: 415, naming the field's number and place. */
function rejectUnknown(message: Msg, type: protobuf.Type, path: string, what: string): void {
  const unknowns = message.$unknowns;
  if (!unknowns || unknowns.length === 0) return;
  const numbers = [...new Set(unknowns.map(fieldNumber))].sort((a, b) => a - b);
  const where = path ? ` at ${path}` : '';
  throw errors.unsupportedMediaType(
    `protobuf encoding is not supported for ${what} with field ${numbers.join(', ')} of ${type.name}${where} (Skiff does not know that field); send JSON (application/json)`,
  );
}

function fieldNumber(raw: Uint8Array): number {
  try {
    return protobuf.Reader.create(raw).uint32() >>> 3;
  } catch {
    return 0;
  }
}
