// core/v1 ConfigMap and Secret.
import { cause, isObj, key, type Obj, type StatusCause } from '../causes.ts';
import type { SkiffKindDefinition } from '../object-meta.ts';
import { S } from '../structural.ts';
import { isConfigMapKey } from '../validation.ts';
import { immutable, objectSchema, safeDefault, safeValidate, structure } from './helpers.ts';

export const MAX_CONFIG_SIZE = 1024 * 1024;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export const isBase64 = (s: string): boolean => BASE64.test(s);

function validateKeys(map: unknown, field: string, out: StatusCause[]): string[] {
  if (!isObj(map)) return [];
  const keys = Object.keys(map);
  for (const k of keys) out.push(...isConfigMapKey(k).map((m) => cause.invalid(key(field, k), k, m)));
  return keys;
}

/** `immutable: true` freezes data (and itself). */
function validateImmutable(obj: Obj, old: Obj | undefined, fields: string[]): StatusCause[] {
  if (!old || old.immutable !== true) return [];
  const out: StatusCause[] = [];
  if (obj.immutable !== true) out.push(cause.forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields)
    if (immutable(obj[f], old[f], f).length) out.push(cause.forbidden(f, 'field is immutable when `immutable` is set'));
  return out;
}

const configMapProps = { data: S.strMap, binaryData: S.strMap, immutable: S.bool };
const secretProps = { data: S.strMap, stringData: S.strMap, type: S.str, immutable: S.bool };

function validateConfigMap(obj: Obj, old?: Obj): StatusCause[] {
  const out = structure(obj, configMapProps);
  const dataKeys = new Set(validateKeys(obj.data, 'data', out));
  let size = 0;
  for (const k of validateKeys(obj.binaryData, 'binaryData', out)) {
    if (dataKeys.has(k)) out.push(cause.invalid(key('data', k), k, 'duplicate of key present in binaryData'));
    const v = (obj.binaryData as Obj)[k];
    if (typeof v === 'string') {
      if (!isBase64(v)) out.push(cause.invalid(key('binaryData', k), '<binary>', 'illegal base64 data'));
      size += Buffer.from(v, 'base64').length;
    }
  }
  if (isObj(obj.data)) for (const v of Object.values(obj.data)) if (typeof v === 'string') size += Buffer.byteLength(v);
  if (size > MAX_CONFIG_SIZE) out.push(cause.tooLong('', MAX_CONFIG_SIZE));
  out.push(...validateImmutable(obj, old, ['data', 'binaryData']));
  return out;
}

export const configMapKind: SkiffKindDefinition = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  resource: 'configmaps',
  singular: 'configmap',
  namespaced: true,
  shortNames: ['cm'],
  schema: objectSchema(configMapProps),
  validate: safeValidate(validateConfigMap),
};

/** Keys a Secret of each well-known type must carry. */
const REQUIRED_KEYS: Record<string, string[]> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
};

/** stringData is merged into data (base64) and removed; type defaults to Opaque. */
function defaultSecret(obj: Obj): void {
  const sd = obj.stringData;
  if (isObj(sd) && Object.values(sd).every((v) => typeof v === 'string') && (obj.data === undefined || obj.data === null || isObj(obj.data))) {
    const data = (isObj(obj.data) ? obj.data : {}) as Obj;
    for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(v as string, 'utf8').toString('base64');
    obj.data = data;
    delete obj.stringData;
  } else if (sd === null) delete obj.stringData;
  if (obj.type === undefined || obj.type === null || obj.type === '') obj.type = 'Opaque';
}

function validateSecret(obj: Obj, old?: Obj): StatusCause[] {
  const out = structure(obj, secretProps);
  let size = 0;
  for (const k of validateKeys(obj.data, 'data', out)) {
    const v = (obj.data as Obj)[k];
    if (typeof v !== 'string') continue;
    if (!isBase64(v)) out.push(cause.invalid(key('data', k), '<secret contents redacted>', 'illegal base64 data'));
    size += Buffer.from(v, 'base64').length;
  }
  validateKeys(obj.stringData, 'stringData', out);
  if (size > MAX_CONFIG_SIZE) out.push(cause.tooLong('data', MAX_CONFIG_SIZE));
  const type = typeof obj.type === 'string' ? obj.type : '';
  const data = isObj(obj.data) ? obj.data : {};
  for (const k of REQUIRED_KEYS[type] ?? []) if (!(k in data)) out.push(cause.required(key('data', k)));
  if (type === 'kubernetes.io/service-account-token') {
    const ann = isObj(obj.metadata) && isObj(obj.metadata.annotations) ? obj.metadata.annotations : {};
    if (!ann['kubernetes.io/service-account.name']) out.push(cause.required("metadata.annotations[kubernetes.io/service-account.name]"));
  }
  if (type === 'kubernetes.io/basic-auth' && !('username' in data) && !('password' in data))
    out.push(cause.required(key('data', 'username')));
  if (old) out.push(...immutable(obj.type, old.type, 'type'));
  out.push(...validateImmutable(obj, old, ['data']));
  return out;
}

export const secretKind: SkiffKindDefinition = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  resource: 'secrets',
  singular: 'secret',
  namespaced: true,
  encrypted: true,
  schema: objectSchema(secretProps),
  default: safeDefault(defaultSecret),
  validate: safeValidate(validateSecret),
  selectableFields: { type: (o) => (typeof o.type === 'string' ? o.type : '') },
};
