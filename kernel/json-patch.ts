// JSON patch (RFC 6902) with kube-apiserver's bounds, checked before the work is done: at most
// 10,000 operations (413, as kube's maxJSONPatchOperations), and the values `copy` duplicates add up
// to at most 3 MiB (kube sets json-patch's AccumulatedCopySizeLimit to the request size limit; past
// it the patch fails with a 422). Without the second bound, 40 copies of /x into /x/cN double a
// 1 KiB value 40 times: the server froze ~26 s and grew to 1.76 GB before it answered.
import fjp from 'fast-json-patch';
import { errors } from './status.ts';

export const MAX_JSON_PATCH_OPERATIONS = 10_000;
/** bytes (as JSON) that the `copy` operations of one patch may duplicate in all */
export const JSON_PATCH_MAX_COPY_BYTES = 3 * 1024 * 1024;

/** A 422 for a patch that cannot be applied (kube: the json-patch error as the message). */
export class JsonPatchFailure extends Error {}

/**
 * The size of `v` written as JSON, counting stops once past `budget` (the answer is then some
 * number above it): the cost is bounded by the budget, never by the value.
 */
export function jsonSizeUpTo(v: unknown, budget: number): number {
  let n = 0;
  const stack: unknown[] = [v];
  while (stack.length && n <= budget) {
    const x = stack.pop();
    if (x === null || x === undefined) n += 4;
    else if (typeof x === 'string') n += x.length + 2;
    else if (typeof x === 'number' || typeof x === 'boolean') n += String(x).length;
    else if (Array.isArray(x)) {
      n += 2 + Math.max(0, x.length - 1);
      for (let i = x.length - 1; i >= 0 && n <= budget; i--) stack.push(x[i]);
    } else if (typeof x === 'object') {
      const keys = Object.keys(x);
      n += 2 + Math.max(0, keys.length - 1);
      for (const k of keys) {
        n += k.length + 3;
        stack.push((x as Record<string, unknown>)[k]);
        if (n > budget) break;
      }
    }
  }
  return n;
}

/**
 * Applies `patch` to `doc` (which it mutates: pass a copy) and returns the new document. 400 for a
 * patch that is not a list, 413 past 10,000 operations, JsonPatchFailure for an operation that
 * fails or copies past the limit.
 */
export function applyJsonPatch(doc: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw errors.badRequest('a JSON patch must be an array of operations');
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw errors.requestEntityTooLarge(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`);
  }
  let copied = 0;
  let out = doc;
  for (let i = 0; i < patch.length; i++) {
    const op = patch[i] as fjp.Operation;
    if (op !== null && typeof op === 'object' && op.op === 'copy' && typeof op.from === 'string') {
      let value: unknown;
      try {
        value = fjp.getValueByPointer(out, op.from);
      } catch {
        value = undefined; // the operation's own validation says what is wrong with `from`
      }
      if (value !== undefined) {
        copied += jsonSizeUpTo(value, JSON_PATCH_MAX_COPY_BYTES - copied);
        if (copied > JSON_PATCH_MAX_COPY_BYTES) {
          throw new JsonPatchFailure(`Unable to complete the copy of operation ${i}: the accumulated size of the copied values exceeds the limit of ${JSON_PATCH_MAX_COPY_BYTES} bytes`);
        }
      }
    }
    try {
      out = fjp.applyOperation(out, op, true, true, true, i).newDocument;
    } catch (e) {
      throw new JsonPatchFailure(`${(e as Error).message.split('\n')[0]}`);
    }
  }
  return out;
}
