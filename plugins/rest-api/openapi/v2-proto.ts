// The v2 document as gnostic's openapi.v2.Document protobuf (proto/openapi/openapi_v2.proto), the
// form kubectl's discovery client asks for. Definitions only: see the .proto for why.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { Schema } from './common.ts';

/** What kubectl asks for; the answer is labelled with the spelling Go's mime package parses (as kube-openapi does). */
export const OPENAPI_V2_PROTOBUF_ACCEPT = 'com.github.proto-openapi.spec.v2';
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

const PROTO = join('proto', 'openapi', 'openapi_v2.proto');

/** proto/openapi/openapi_v2.proto, from the source tree or from the bundle (dist/). */
function protoFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, PROTO))) return join(dir, PROTO);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find ${PROTO} above ${fileURLToPath(import.meta.url)}`);
}

let documentType: protobuf.Type | undefined;

function documentMessage(): protobuf.Type {
  if (documentType) return documentType;
  const root = new protobuf.Root();
  protobuf.parse(readFileSync(protoFile(), 'utf8'), root, { keepCase: true });
  return (documentType = root.lookupType('openapi.v2.Document'));
}

const isObj = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
const any = (v: unknown) => ({ yaml: JSON.stringify(v) });
const extensions = (s: Schema) =>
  Object.entries(s)
    .filter(([k]) => k.startsWith('x-'))
    .map(([name, v]) => ({ name, value: any(v) }));

const NUMBERS: Record<string, string> = { multipleOf: 'multiple_of', maximum: 'maximum', minimum: 'minimum' };
const INTEGERS: Record<string, string> = {
  maxLength: 'max_length',
  minLength: 'min_length',
  maxItems: 'max_items',
  minItems: 'min_items',
  maxProperties: 'max_properties',
  minProperties: 'min_properties',
};

/** A v2 JSON schema as the Schema message (field names of the .proto). */
export function schemaMessage(s: Schema): Schema {
  const m: Schema = {};
  if (typeof s.$ref === 'string') m._ref = s.$ref;
  for (const k of ['format', 'title', 'description', 'pattern'] as const) if (typeof s[k] === 'string') m[k] = s[k];
  for (const [k, f] of Object.entries(NUMBERS)) if (typeof s[k] === 'number') m[f] = s[k];
  for (const [k, f] of Object.entries(INTEGERS)) if (typeof s[k] === 'number') m[f] = s[k];
  if (s.exclusiveMaximum === true) m.exclusive_maximum = true;
  if (s.exclusiveMinimum === true) m.exclusive_minimum = true;
  if (s.uniqueItems === true) m.unique_items = true;
  if (s.default !== undefined) m.default = any(s.default);
  if (Array.isArray(s.enum)) m.enum = s.enum.map(any);
  if (Array.isArray(s.required)) m.required = s.required.filter((r) => typeof r === 'string');
  if (typeof s.type === 'string') m.type = { value: [s.type] };
  if (isObj(s.items)) m.items = { schema: [schemaMessage(s.items)] };
  if (isObj(s.additionalProperties)) m.additional_properties = { schema: schemaMessage(s.additionalProperties) };
  else if (typeof s.additionalProperties === 'boolean') m.additional_properties = { boolean: s.additionalProperties };
  if (Array.isArray(s.allOf)) m.all_of = s.allOf.filter(isObj).map(schemaMessage);
  if (isObj(s.properties))
    m.properties = { additional_properties: Object.entries(s.properties).filter(([, p]) => isObj(p)).map(([name, p]) => ({ name, value: schemaMessage(p as Schema) })) };
  const ext = extensions(s);
  if (ext.length) m.vendor_extension = ext;
  return m;
}

/** The v2 JSON document (documentV2) as protobuf bytes. */
export function encodeDocumentV2(doc: Schema): Buffer {
  const T = documentMessage();
  const defs = isObj(doc.definitions) ? doc.definitions : {};
  const info = isObj(doc.info) ? doc.info : {};
  const message = T.fromObject({
    swagger: doc.swagger,
    info: { title: info.title, version: info.version },
    definitions: { additional_properties: Object.entries(defs).map(([name, d]) => ({ name, value: schemaMessage(d as Schema) })) },
  });
  return Buffer.from(T.encode(message).finish());
}

/** Decode (tests): the message as a plain object with the .proto's field names. */
export function decodeDocumentV2(bytes: Uint8Array): Schema {
  const T = documentMessage();
  return T.toObject(T.decode(bytes), { longs: Number, defaults: false }) as Schema;
}
