// The admission-policy world's exports, by hand, with the canonical ABI:
//
//   configure: func(config: string) -> result<admission-capabilities, string>
//     core: (config-ptr, config-len) -> ret-ptr
//   validate: func(request: admission-request) -> result<_, string>
//   mutate: func(request: admission-request) -> result<option<string>, string>
//     core: (request-ptr) -> ret-ptr   (21 flat params > 16: the request is passed in memory)
//
// Parameters and results live in the call's arena, released by cabi_post_<name>.
import { AdmissionPolicy } from "./admission";
import { lowerConfigureResult, liftString, storeString } from "./abi";
import { arenaAlloc, arenaReset } from "./arena";
import { liftAdmissionRequest } from "./lift";
import { admissionPolicy } from "./registry";

export { cabi_realloc } from "./arena";

const UNREGISTERED = "no AdmissionPolicy registered: the policy file must call register(new MyPolicy())";

function policy(): AdmissionPolicy {
  const p = admissionPolicy;
  if (p === null) abort(UNREGISTERED);
  return changetype<AdmissionPolicy>(p);
}

export function configure(ptr: usize, len: usize): usize {
  // the host calls configure first: say what is wrong instead of trapping
  if (admissionPolicy === null) return lowerConfigureResult(UNREGISTERED, false, false);
  const p = policy();
  const error = p.configure(liftString(ptr, len));
  return lowerConfigureResult(error, p.implementsValidate, p.implementsMutate);
}

export function cabi_post_configure(ret: usize): void {
  arenaReset();
}

// result<_, string>: discriminant u8 @0, error string @4; size 12, align 4
export function validate(args: usize): usize {
  const denial = policy().validate(liftAdmissionRequest(args));
  const ret = arenaAlloc(12, 4);
  if (denial === null) {
    store<u8>(ret, 0);
  } else {
    store<u8>(ret, 1);
    storeString(ret + 4, denial);
  }
  return ret;
}

export function cabi_post_validate(ret: usize): void {
  arenaReset();
}

// result<option<string>, string>: discriminant u8 @0; ok: option discriminant u8 @4, patch string @8;
// err: string @4. Size 16, align 4.
export function mutate(args: usize): usize {
  const p = policy();
  p.denial = null;
  const patch = p.mutate(liftAdmissionRequest(args));
  const denial = p.denial;
  p.denial = null;
  const ret = arenaAlloc(16, 4);
  if (denial !== null) {
    store<u8>(ret, 1);
    storeString(ret + 4, denial);
  } else if (patch === null) {
    store<u8>(ret, 0);
    store<u8>(ret, 0, 4);
  } else {
    store<u8>(ret, 0);
    store<u8>(ret, 1, 4);
    storeString(ret + 8, patch);
  }
  return ret;
}

export function cabi_post_mutate(ret: usize): void {
  arenaReset();
}
