// Limits checked at the door, before anything reaches the store: one place for the numbers, so
// docs/api-limits.md, the REST API and the kernel bus all say the same thing.
import { errors } from '../status.ts';

/** metadata.name of most kinds: a DNS-1123 subdomain (Kubernetes' validation.DNS1123SubdomainMaxLength). */
export const MAX_NAME_LENGTH = 253;
/** namespaces and DNS-1123 labels (Kubernetes' validation.DNS1123LabelMaxLength). */
export const MAX_NAMESPACE_LENGTH = 63;
/**
 * Kinds whose names are path segments only (no syntax beyond "no / or %") still get a length cap:
 * the encoded store key ends up in a NATS subject, and NATS drops a connection whose control line
 * passes 4 KB. Each character may take up to 12 bytes once encoded (=HH per UTF-8 byte).
 */
export const MAX_PATH_SEGMENT_NAME_LENGTH = 253;

/**
 * Nesting of request bodies (JSON, YAML, protobuf, kernel bus messages). Kubernetes allows 10000
 * for JSON; Node's recursive code (JSON.stringify gives up past ~4000 objects deep, structuredClone
 * past ~1900, the yaml composer past ~800) does not, so Skiff stops well below all of them.
 */
export const MAX_BODY_DEPTH = 200;
/** YAML: alias expansion budget (the yaml package's maxAliasCount: aliases x their sizes). */
export const MAX_YAML_ALIAS_COUNT = 100;

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
/** int64 as a JavaScript number: 2^63 - 1 rounds to 2^63, so that is the largest value accepted. */
export const INT64_MIN = -9223372036854775808;
export const INT64_MAX = 9223372036854775807;

/** Largest timeoutSeconds of a list or watch (a watch may stay open a long time, not forever off a typo). */
export const MAX_TIMEOUT_SECONDS = 31_536_000; // one year, in seconds
/** Largest `limit` of a list: any non-negative int64 is accepted, as Kubernetes does. */
export const MAX_LIST_LIMIT = INT64_MAX;

/**
 * Whether a JSON value nests deeper than `max` (a scalar is 0, `{}` and `[]` are 1), found without
 * recursion. `shared`: the value may share nodes or have cycles (YAML aliases); then each node is
 * looked at again only when reached deeper, and a cycle counts as too deep. Values from JSON.parse
 * are trees and need no such bookkeeping (a 3 MB body of small objects would cost a map of a
 * million entries).
 */
export function depthExceeds(value: unknown, max: number, shared = false): boolean {
  if (value === null || typeof value !== 'object') return false;
  // explicit stack of (container, depth): a 10^6-deep value costs memory, never the call stack
  const stack: [object, number][] = [[value as object, 1]];
  const deepest = shared ? new Map<object, number>() : undefined;
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (d > max) return true;
    if (deepest) {
      if ((deepest.get(v) ?? 0) >= d) continue;
      deepest.set(v, d);
    }
    if (Array.isArray(v)) {
      for (const c of v) if (c !== null && typeof c === 'object') stack.push([c as object, d + 1]);
    } else {
      for (const k in v) {
        const c = (v as Record<string, unknown>)[k];
        if (c !== null && typeof c === 'object') stack.push([c as object, d + 1]);
      }
    }
  }
  return false;
}

/** 400 BadRequest past MAX_BODY_DEPTH or for a number that is not finite. `what` names the body (e.g. "the request body"). */
export function checkBodyDepth(value: unknown, what = 'the request body', opts: { max?: number; shared?: boolean } = {}): void {
  const max = opts.max ?? MAX_BODY_DEPTH;
  if (depthExceeds(value, max, opts.shared)) throw errors.badRequest(`${what} is nested too deeply: more than ${max} levels of objects and arrays`);
  if (hasNonFiniteNumber(value, opts.shared)) throw errors.badRequest(`${what} holds a number out of range (a JSON number past ±1.8e308, or .inf / .nan)`);
}

/**
 * Whether a JSON value holds a number that is not finite: `1e400` parses to Infinity (YAML's .inf,
 * .nan too), which JSON cannot write back (it would be stored as null). kube-apiserver cannot decode
 * such a number into any field: a 400. Without recursion; `shared` as for depthExceeds.
 */
export function hasNonFiniteNumber(value: unknown, shared = false): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (value === null || typeof value !== 'object') return false;
  const stack: object[] = [value as object];
  const seen = shared ? new Set<object>() : undefined;
  while (stack.length) {
    const v = stack.pop()!;
    if (seen) {
      if (seen.has(v)) continue;
      seen.add(v);
    }
    const children: unknown[] = Array.isArray(v) ? v : Object.values(v);
    for (const c of children) {
      if (typeof c === 'number') {
        if (!Number.isFinite(c)) return true;
      } else if (c !== null && typeof c === 'object') stack.push(c as object);
    }
  }
  return false;
}
