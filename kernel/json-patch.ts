// JSON patch (RFC 6902) with kube-apiserver's bounds, checked before the work is done: at most
// 10,000 operations (413, as kube's maxJSONPatchOperations), and the values `copy` duplicates add up
// to at most 3 MiB (kube sets json-patch's AccumulatedCopySizeLimit to the request size limit; past
// it the patch fails with a 422). Without the second bound, 40 copies of /x into /x/cN double a
// 1 KiB value 40 times: the server froze ~26 s and grew to 1.76 GB before it answered.
// The operations are checked by validateOperation below, not by fast-json-patch's own validator:
// that one checks the `from` of every move and copy by applying a get to a deep copy of the whole
// document, 17 ms per operation on a 1.5 MB object (10,000 copies of one small value: ~3 minutes).
import fjp from 'fast-json-patch';
import { errors } from './status.ts';

export const MAX_JSON_PATCH_OPERATIONS = 10_000;
/** bytes (as JSON) that the `copy` operations of one patch may duplicate in all */
export const JSON_PATCH_MAX_COPY_BYTES = 3 * 1024 * 1024;

/**
 * Elements that the add, remove and move operations of one patch may shift in arrays, in all. An
 * operation at index i of an array of n shifts n - i elements (a splice); 10,000 removals from the
 * front of a 500,000-item list (a 1.5 MB object) shift 5*10^9, 2 to 9 s of a frozen server here.
 * Skiff's own bound (kube-apiserver has none, but a slow patch there holds one goroutine, not the
 * process): 5*10^7 is some 20 to 80 ms, far above what real patches do.
 */
export const MAX_JSON_PATCH_ARRAY_SHIFTS = 50_000_000;

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
  let shifted = 0;
  let out = doc;
  for (let i = 0; i < patch.length; i++) {
    const op = patch[i] as fjp.Operation;
    if (op !== null && typeof op === 'object') {
      shifted += shiftsOf(out, op);
      if (shifted > MAX_JSON_PATCH_ARRAY_SHIFTS) {
        throw new JsonPatchFailure(`operation ${i} would take the elements moved in arrays by this patch past ${MAX_JSON_PATCH_ARRAY_SHIFTS}: insert and remove fewer items in long lists, or replace the list`);
      }
    }
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
      out = fjp.applyOperation(out, op, validateOperation, true, true, i).newDocument;
    } catch (e) {
      throw new JsonPatchFailure(`${(e as Error).message.split('\n')[0]}`);
    }
  }
  return out;
}

/** Whether `pointer` names a value in `doc` (a get that walks the path, copying nothing). */
function resolves(doc: unknown, pointer: string): boolean {
  try {
    return fjp.getValueByPointer(doc, pointer) !== undefined;
  } catch {
    return false; // a step through a missing or scalar value
  }
}

type ErrorName = ConstructorParameters<typeof fjp.JsonPatchError>[1];
const fail = (message: string, name: ErrorName, index: number, op: fjp.Operation) => new fjp.JsonPatchError(message, name, index, op, undefined);

/**
 * fast-json-patch's checks of an operation, without copying the document: the shape of the
 * operation (its own validator, given no document), then where it applies. `existing` is the
 * longest prefix of the path that exists (fast-json-patch works it out while walking the path).
 */
function validateOperation(op: fjp.Operation, index: number, doc: unknown, existing: string): void {
  fjp.validator(op, index);
  if (doc === undefined || existing === undefined) return;
  switch (op.op) {
    case 'add': {
      const n = op.path.split('/').length;
      const m = existing.split('/').length;
      if (n !== m + 1 && n !== m) throw fail('Cannot perform an `add` operation at the desired path', 'OPERATION_PATH_CANNOT_ADD', index, op);
      break;
    }
    case 'replace':
    case 'remove':
    case '_get':
      if (op.path !== existing) throw fail('Cannot perform the operation at a path that does not exist', 'OPERATION_PATH_UNRESOLVABLE', index, op);
      break;
    case 'move':
    case 'copy':
      if (!resolves(doc, op.from)) throw fail('Cannot perform the operation from a path that does not exist', 'OPERATION_FROM_UNRESOLVABLE', index, op);
      break;
  }
}

/** The array elements an insert or removal at `pointer` shifts: those after it (0 if it is no array index). */
function shiftsAt(doc: unknown, pointer: unknown): number {
  if (typeof pointer !== 'string') return 0;
  const cut = pointer.lastIndexOf('/');
  if (cut < 0) return 0;
  const key = pointer.slice(cut + 1);
  if (!/^\d+$/.test(key)) return 0; // `-` appends: nothing moves
  let parent: unknown;
  try {
    parent = fjp.getValueByPointer(doc, pointer.slice(0, cut));
  } catch {
    return 0;
  }
  return Array.isArray(parent) ? Math.max(0, parent.length - Number(key)) : 0;
}

function shiftsOf(doc: unknown, op: fjp.Operation): number {
  switch (op.op) {
    case 'add':
    case 'remove':
    case 'copy':
      return shiftsAt(doc, op.path);
    case 'move':
      return shiftsAt(doc, op.from) + shiftsAt(doc, op.path);
    default:
      return 0;
  }
}
