// Plugin config validation with ajv (defaults applied).

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { JSONSchema } from './descriptor.ts';

// ajv-formats is CommonJS; under NodeNext the default import is `module.exports`.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

export class PluginConfigError extends Error {
  constructor(
    readonly plugin: string,
    readonly problems: string[],
  ) {
    super(`plugin "${plugin}" has invalid config: ${problems.join('; ')}`);
    this.name = 'PluginConfigError';
  }
}

// Validators by canonical schema text. Each distinct schema gets its own Ajv instance, so a
// changed schema with the same $id after a reload cannot clash, and dropping a cache entry frees
// everything (ajv keeps every compiled schema in the instance's own cache). Bounded, so
// hundreds of reloads with changing schemas do not grow memory.
const MAX_CACHED = 64;
const validators = new Map<string, ValidateFunction>();

function validatorFor(schema: JSONSchema): ValidateFunction {
  const key = JSON.stringify(schema);
  let v = validators.get(key);
  if (v) {
    validators.delete(key); // LRU: move to the end
    validators.set(key, v);
    return v;
  }
  const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false, coerceTypes: false });
  addFormats(ajv);
  v = ajv.compile(JSON.parse(key) as JSONSchema);
  validators.set(key, v);
  if (validators.size > MAX_CACHED) validators.delete(validators.keys().next().value as string);
  return v;
}

function describe(e: ErrorObject): string {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'required') {
    const f = path ? `${path}.${String(p.missingProperty)}` : String(p.missingProperty);
    return `field "${f}" is required`;
  }
  if (e.keyword === 'additionalProperties') {
    const f = path ? `${path}.${String(p.additionalProperty)}` : String(p.additionalProperty);
    return `field "${f}" is not allowed`;
  }
  const where = path ? `field "${path}"` : 'config';
  let msg = `${where} ${e.message ?? 'is invalid'}`;
  if (e.keyword === 'enum' && Array.isArray(p.allowedValues)) msg += `: ${p.allowedValues.map((x) => JSON.stringify(x)).join(', ')}`;
  return msg;
}

/**
 * Validate `config` against `schema`, returning a deep copy with schema defaults applied.
 * No schema: the config (or {}) is returned as a copy. Throws PluginConfigError naming the fields.
 */
export function validateConfig<C = Record<string, unknown>>(plugin: string, schema: JSONSchema | undefined, config: unknown): C {
  const value = config === undefined || config === null ? {} : structuredClone(config);
  if (!schema) return value as C;
  let validate: ValidateFunction;
  try {
    validate = validatorFor(schema);
  } catch (err) {
    throw new Error(`plugin "${plugin}" has an invalid config schema: ${(err as Error).message}`);
  }
  if (!validate(value)) throw new PluginConfigError(plugin, (validate.errors ?? []).map(describe));
  return value as C;
}
