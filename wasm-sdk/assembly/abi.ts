// Canonical ABI building blocks for strings (UTF-8, stored as a (ptr: u32, len: u32) pair) and
// lists (the same pair, `len` counting elements).
import { arenaAlloc } from "./arena";

/** Lifts a UTF-8 string from guest memory (an AssemblyScript string is UTF-16: this copies). */
// @ts-ignore: decorator
@inline export function liftString(ptr: usize, len: usize): string {
  return len == 0 ? "" : String.UTF8.decodeUnsafe(ptr, len);
}

/** Lifts the string whose (ptr, len) pair is stored at `at`. */
// @ts-ignore: decorator
@inline export function loadString(at: usize): string {
  return liftString(load<u32>(at), load<u32>(at, 4));
}

// @ts-ignore: decorator
@inline export function listPtr(at: usize): usize {
  return load<u32>(at);
}

// @ts-ignore: decorator
@inline export function listLen(at: usize): i32 {
  return load<u32>(at, 4);
}

/** Lowers `s` into the call's arena as UTF-8 and stores its (ptr, len) pair at `at`. */
export function storeString(at: usize, s: string): void {
  const len = String.UTF8.byteLength(s);
  const ptr = arenaAlloc(len, 1);
  // lone surrogates become U+FFFD (same byte length as WTF-8): the host gets valid UTF-8
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, ptr, false, String.UTF8.ErrorMode.REPLACE);
  store<u32>(at, ptr);
  store<u32>(at, len, 4);
}

/** Allocates a list of `count` elements of `size` bytes in the arena and stores its pair at `at`. */
export function storeList(at: usize, count: i32, size: usize, align: usize): usize {
  const ptr = arenaAlloc(<usize>count * size, align);
  store<u32>(at, ptr);
  store<u32>(at, count, 4);
  return ptr;
}

/**
 * Lowers the result of `configure` into the arena: result<capabilities, string> with a two-bool
 * capabilities record. Discriminant u8 @0, payload @4 (bools @4 and @5, or the error string); size 12.
 */
export function lowerConfigureResult(error: string | null, first: bool, second: bool): usize {
  const ret = arenaAlloc(12, 4);
  if (error === null) {
    store<u8>(ret, 0);
    store<u8>(ret, first ? 1 : 0, 4);
    store<u8>(ret, second ? 1 : 0, 5);
  } else {
    store<u8>(ret, 1);
    storeString(ret + 4, error);
  }
  return ret;
}
