// The other direction, for tests and tools: a protobuf-shaped object (field names as in proto/k8s,
// IntOrString as {type, intVal, strVal}, Quantity as {string}, Time as {seconds, nanos}, inline
// structs under their proto field name) → "k8s\0" + runtime.Unknown, as client-go would send it.
import protobuf from 'protobufjs';
import { ENVELOPE_TYPE, KIND_MESSAGES, messageType } from './schema.ts';
import { PROTOBUF_MAGIC } from './decode.ts';

/** Encode `message` as the protobuf of `typeName` (default: the message of apiVersion/kind) in the envelope. */
export function encodeKubernetesProtobuf(apiVersion: string, kind: string, message: Record<string, unknown>, typeName?: string): Buffer {
  const name = typeName ?? KIND_MESSAGES[`${apiVersion}/${kind}`];
  if (!name) throw new Error(`no protobuf message for ${apiVersion}/${kind}`);
  const type = messageType(name);
  const err = type.verify(message);
  if (err) throw new Error(`${name}: ${err}`);
  const raw = type.encode(type.fromObject(message)).finish();
  return wrapRaw(apiVersion, kind, raw);
}

/** The envelope around an already encoded object (any bytes: tests use it for malformed bodies). */
export function wrapRaw(apiVersion: string, kind: string, raw: Uint8Array, extra: { contentEncoding?: string; contentType?: string } = {}): Buffer {
  const envelope = messageType(ENVELOPE_TYPE);
  const body = envelope.encode(envelope.fromObject({ typeMeta: { apiVersion, kind }, raw, ...extra })).finish();
  return Buffer.concat([PROTOBUF_MAGIC, body]);
}

/** Append a length-delimited field `fieldNumber` to an encoded message (to make unknown fields in tests). */
export function withExtraField(raw: Uint8Array, fieldNumber: number, value: Uint8Array): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((fieldNumber << 3) | 2).bytes(value);
  return Buffer.concat([raw, w.finish()]);
}
