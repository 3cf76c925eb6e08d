// The scheduler-policy world's exports, by hand, with the canonical ABI:
//
//   configure: func(config: string) -> result<capabilities, string>
//     core: (config-ptr, config-len) -> ret-ptr   (3 flat results > 1: returned through memory)
//   update-nodes: func(updates: list<node-update>)
//   update-usage: func(usage: list<node-usage>)
//     core: (list-ptr, list-len)
//   filter: func(pod: pod, slots: list<u32>) -> filter-result
//   score: func(pod: pod, slots: list<u32>) -> list<s32>
//     core: (args-ptr) -> ret-ptr   (23 flat params > 16: the host stores the (pod, slots) tuple in
//     memory: pod @0 (104 bytes), slots @104; results go through memory as well)
//
// The build exports this module from the policy's component (and renames update_nodes to
// update-nodes, not an AssemblyScript identifier). Parameters and results live in the call's arena,
// released by cabi_post_<name> once the host has read the results.
import { lowerConfigureResult, listLen, listPtr, liftString, storeList, storeString } from "./abi";
import { arenaAlloc, arenaReset } from "./arena";
import { liftNode, liftPod, liftResources, NODE_UPDATE_SIZE, NODE_USAGE_SIZE } from "./lift";
import { nodeAt, setNode } from "./node-table";
import { schedulerPolicy } from "./registry";
import { SchedulerPolicy } from "./scheduler";
import { Pod } from "./types";

export { cabi_realloc } from "./arena";

// reason { message: string @0, unresolvable: bool @8 }: size 12, align 4
const REASON_SIZE: usize = 12;
// filter-result { verdicts: list<u8> @0, reasons: list<reason> @8 }: size 16, align 4
const FILTER_RESULT_SIZE: usize = 16;
const SLOTS_AT: usize = 104;

// this call's distinct reasons (kept between calls to avoid garbage)
const reasonMessages = new Array<string>();
const reasonUnresolvable = new Array<bool>();

const UNREGISTERED = "no SchedulerPolicy registered: the policy file must call register(new MyPolicy())";

function policy(): SchedulerPolicy {
  const p = schedulerPolicy;
  if (p === null) abort(UNREGISTERED);
  return changetype<SchedulerPolicy>(p);
}

export function configure(ptr: usize, len: usize): usize {
  // the host calls configure first: say what is wrong instead of trapping
  if (schedulerPolicy === null) return lowerConfigureResult(UNREGISTERED, false, false);
  const p = policy();
  const error = p.configure(liftString(ptr, len));
  return lowerConfigureResult(error, p.implementsFilter, p.implementsScore);
}

export function cabi_post_configure(ret: usize): void {
  arenaReset();
}

export function update_nodes(ptr: usize, len: usize): void {
  for (let i: usize = 0; i < len; i++) {
    const at = ptr + i * NODE_UPDATE_SIZE;
    setNode(load<u32>(at), load<u8>(at, 8) != 0 ? liftNode(at + 16) : null);
  }
  arenaReset(false);
}

// update-usage: func(usage: list<node-usage>): the requested amounts and pod counts of nodes
// already in the table change in place
export function update_usage(ptr: usize, len: usize): void {
  for (let i: usize = 0; i < len; i++) {
    const at = ptr + i * NODE_USAGE_SIZE;
    const node = nodeAt(load<u32>(at));
    liftResources(at + 8, node.requested);
    node.podCount = load<u32>(at, 48);
  }
  arenaReset(false);
}

/** The 1-based index of the reason in this call's list, added when new. */
function reasonIndex(message: string, unresolvable: bool): u8 {
  const n = reasonMessages.length;
  for (let k = 0; k < n; k++) {
    if (unchecked(reasonUnresolvable[k]) == unresolvable && unchecked(reasonMessages[k]) == message) return <u8>(k + 1);
  }
  if (n == 255) abort("more than 255 distinct filter reasons in one call");
  reasonMessages.push(message);
  reasonUnresolvable.push(unresolvable);
  return <u8>(n + 1);
}

export function filter(args: usize): usize {
  const ret = arenaAlloc(FILTER_RESULT_SIZE, 4);
  filterInto(ret, policy(), liftPod(args), args);
  return ret;
}

/** filter's work, its filter-result written at `ret`; returns the verdicts. */
function filterInto(ret: usize, p: SchedulerPolicy, pod: Pod, args: usize): usize {
  const slots = listPtr(args + SLOTS_AT);
  const n = listLen(args + SLOTS_AT);
  const verdicts = storeList(ret, n, 1, 1);
  reasonMessages.length = 0;
  reasonUnresolvable.length = 0;
  for (let i = 0; i < n; i++) {
    const node = nodeAt(load<u32>(slots + (<usize>i << 2)));
    p.markedUnresolvable = false;
    const reason = p.filter(pod, node);
    store<u8>(verdicts + i, reason === null ? 0 : reasonIndex(reason, p.markedUnresolvable));
  }
  const k = reasonMessages.length;
  const reasons = storeList(ret + 8, k, REASON_SIZE, 4);
  for (let j = 0; j < k; j++) {
    const at = reasons + <usize>j * REASON_SIZE;
    storeString(at, unchecked(reasonMessages[j]));
    store<u8>(at, unchecked(reasonUnresolvable[j]) ? 1 : 0, 8);
  }
  return verdicts;
}

// filter-score-result { filter: filter-result @0, scores: list<s32> @16 }: size 24, align 4
export function filter_score(args: usize): usize {
  const p = policy();
  const pod = liftPod(args);
  const ret = arenaAlloc(24, 4);
  const verdicts = p.implementsFilter ? filterInto(ret, p, pod, args) : 0;
  if (!p.implementsFilter) {
    storeList(ret, listLen(args + SLOTS_AT), 1, 1); // zeroed below with the scores
    store<usize>(ret, 0, 8);
    store<usize>(ret, 0, 12);
  }
  const slots = listPtr(args + SLOTS_AT);
  const n = listLen(args + SLOTS_AT);
  const scores = storeList(ret + 16, n, 4, 4);
  const v = verdicts != 0 ? verdicts : listPtr(ret);
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    if (verdicts == 0) store<u8>(v + i, 0);
    const fits = load<u8>(v + i) == 0;
    store<i32>(scores + off, fits && p.implementsScore ? p.score(pod, nodeAt(load<u32>(slots + off))) : 0);
  }
  return ret;
}

export function cabi_post_filter_score(ret: usize): void {
  arenaReset();
}

export function cabi_post_filter(ret: usize): void {
  arenaReset();
}

export function score(args: usize): usize {
  const p = policy();
  const pod = liftPod(args);
  const slots = listPtr(args + SLOTS_AT);
  const n = listLen(args + SLOTS_AT);
  const ret = arenaAlloc(8, 4);
  const scores = storeList(ret, n, 4, 4);
  for (let i = 0; i < n; i++) {
    const off = <usize>i << 2;
    store<i32>(scores + off, p.score(pod, nodeAt(load<u32>(slots + off))));
  }
  return ret;
}

export function cabi_post_score(ret: usize): void {
  arenaReset();
}
