// Direct calls into a scheduler-policy guest built with Skiff's SDK, for the scheduler's hot calls
// (filter, score, filter-score, update-usage): the canonical ABI lowering and lifting of those four
// functions written out for this one world, instead of jco's generic glue. The glue wraps every
// call in its async-task bookkeeping and allocates each string through a separate call into the
// guest; here a call's parameters are one block (one `cabi_realloc`), resource amounts are written
// without BigInts, and results are read straight from memory.
//
// Only for components that say (their `skiff:abi` custom section, see wasm-sdk/build.ts) that they
// are one core module whose `cabi_realloc` is a per-call arena released by post-return: then
// parameters may share one allocation. Every other component goes through jco's glue.
//
// Layouts (canonical ABI: fields in order, each at its alignment; strings and lists are (ptr, len)
// u32 pairs; s64 aligns to 8), as in wasm-sdk/assembly/lift.ts and scheduler-exports.ts:
//   (pod, slots) tuple, size 112 align 8: pod @0 (namespace @0, name @8, uid @16, labels @24,
//     requests @32 (milli-cpu @32, memory @40, ephemeral-storage @48, pods @56, extended @64),
//     priority @72, scheduler-name @76, node-selector @84, tolerations @92), slots @104
//   label / toleration: 16 / 32 bytes of strings, align 4; quantity: name @0, value s64 @8, size 16 align 8
//   node-usage: slot @0, requested @8 (..., extended @40), pod-count @48; size 56, align 8
//   filter-result: verdicts @0, reasons @8 (reason: message @0, unresolvable u8 @8; size 12)
//   filter-score-result: filter-result @0, scores @16

const TWO32 = 2 ** 32;
const MAX_S64 = 2n ** 63n - 1n;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const FUNCS = ['memory', 'cabi_realloc', 'filter', 'cabi_post_filter', 'score', 'cabi_post_score', 'filter-score', 'cabi_post_filter-score', 'update-usage'];
const NATIVE = new Set(['cpu', 'memory', 'ephemeral-storage', 'pods']);

/** The direct calls on a core instance's exports, or undefined when it lacks one of them. */
export function directCalls(exports) {
  for (const f of FUNCS) if (!(f in exports)) return undefined;
  const memory = exports.memory;
  const realloc = exports.cabi_realloc;
  let buf;
  let dv;
  let u8;
  const views = () => {
    if (buf !== memory.buffer) {
      buf = memory.buffer;
      dv = new DataView(buf);
      u8 = new Uint8Array(buf);
    }
  };

  // --- lowering: `at` is where the next variable-size part goes, inside the block -------------
  let at = 0;
  const align = (a) => (at = (at + a - 1) & ~(a - 1));
  const s64 = (p, v) => {
    const n = Math.trunc(Number(v)) || 0;
    if (n >= -9007199254740991 && n <= 9007199254740991) {
      const hi = Math.floor(n / TWO32);
      dv.setUint32(p, n - hi * TWO32, true);
      dv.setInt32(p + 4, hi, true);
    } else dv.setBigInt64(p, n > 0 ? MAX_S64 : -MAX_S64 - 1n, true);
  };
  const str = (p, s) => {
    s = s == null ? '' : String(s);
    const { written } = encoder.encodeInto(s, u8.subarray(at, at + s.length * 3));
    dv.setUint32(p, at, true);
    dv.setUint32(p + 4, written, true);
    at += written;
  };
  // worst-case sizes, for the block's one allocation
  const strMax = (s) => (s == null ? 0 : String(s).length * 3);
  const mapMax = (m) => {
    let n = 0;
    if (m) for (const k in m) n += 16 + strMax(k) + strMax(m[k]);
    return n;
  };
  const resourcesMax = (r) => {
    let n = 8;
    if (r) for (const k in r) if (!NATIVE.has(k)) n += 16 + strMax(k);
    return n;
  };
  const labels = (p, m) => {
    const keys = m ? Object.keys(m) : [];
    align(4);
    const base = at;
    at += keys.length * 16;
    for (let i = 0; i < keys.length; i++) {
      str(base + i * 16, keys[i]);
      str(base + i * 16 + 8, m[keys[i]]);
    }
    dv.setUint32(p, base, true);
    dv.setUint32(p + 4, keys.length, true);
  };
  // resources { milli-cpu, memory, ephemeral-storage, pods: s64, extended: list<quantity> } at p
  const resources = (p, r) => {
    r ??= {};
    s64(p, r.cpu);
    s64(p + 8, r.memory);
    s64(p + 16, r['ephemeral-storage']);
    s64(p + 24, r.pods);
    let n = 0;
    for (const k in r) if (!NATIVE.has(k)) n++;
    align(8);
    const base = at;
    at += n * 16;
    let i = 0;
    for (const k in r) {
      if (NATIVE.has(k)) continue;
      str(base + i * 16, k);
      s64(base + i * 16 + 8, r[k]);
      i++;
    }
    dv.setUint32(p + 32, base, true);
    dv.setUint32(p + 36, n, true);
  };

  /** (pod, slots) lowered into one block; returns its address. */
  function lowerPodSlots(pod, slots) {
    const tolerations = pod.tolerations ?? [];
    let size = 112 + slots.length * 4 + 8 + strMax(pod.namespace) + strMax(pod.name) + strMax(pod.uid) + strMax(pod.schedulerName);
    size += 8 + mapMax(pod.labels) + 8 + mapMax(pod.nodeSelector) + resourcesMax(pod.requests);
    for (const t of tolerations) size += 32 + strMax(t.key) + strMax(t.operator ?? 'Equal') + strMax(t.value) + strMax(t.effect);
    const block = realloc(0, 0, 8, size);
    views();
    at = block + 112;
    str(block, pod.namespace);
    str(block + 8, pod.name);
    str(block + 16, pod.uid);
    labels(block + 24, pod.labels);
    resources(block + 32, pod.requests);
    dv.setInt32(block + 72, pod.priority | 0, true);
    str(block + 76, pod.schedulerName);
    labels(block + 84, pod.nodeSelector);
    align(4);
    const tb = at;
    at += tolerations.length * 32;
    for (let i = 0; i < tolerations.length; i++) {
      const t = tolerations[i];
      const p = tb + i * 32;
      str(p, t.key);
      str(p + 8, t.operator ?? 'Equal');
      str(p + 16, t.value);
      str(p + 24, t.effect);
    }
    dv.setUint32(block + 92, tb, true);
    dv.setUint32(block + 96, tolerations.length, true);
    align(4);
    u8.set(new Uint8Array(slots.buffer, slots.byteOffset, slots.length * 4), at);
    dv.setUint32(block + 104, at, true);
    dv.setUint32(block + 108, slots.length, true);
    at += slots.length * 4;
    if (at > block + size) throw new Error(`direct call: lowered ${at - block} bytes into a block of ${size}`);
    return block;
  }

  // --- lifting ----------------------------------------------------------------------------------
  /** A (ptr, len) list at p of `n` elements of `size` bytes, checked to lie in memory. */
  const list = (p, size, n) => {
    const ptr = dv.getUint32(p, true);
    const len = dv.getUint32(p + 4, true);
    if (n !== undefined && len !== n) throw new Error(`the guest answered ${len} values for ${n} nodes`);
    if (ptr + len * size > buf.byteLength) throw new Error('the guest answered a list outside its memory');
    return ptr;
  };
  const reasons = (p) => {
    const ptr = list(p, 12);
    const n = dv.getUint32(p + 4, true);
    const out = new Array(n);
    for (let i = 0; i < n; i++) {
      const r = ptr + i * 12;
      const sp = dv.getUint32(r, true);
      const sl = dv.getUint32(r + 4, true);
      if (sp + sl > buf.byteLength) throw new Error('the guest answered a string outside its memory');
      out[i] = { message: decoder.decode(u8.subarray(sp, sp + sl)), unresolvable: u8[r + 8] !== 0 };
    }
    return out;
  };

  const filter = exports.filter;
  const postFilter = exports.cabi_post_filter;
  const score = exports.score;
  const postScore = exports.cabi_post_score;
  const filterScore = exports['filter-score'];
  const postFilterScore = exports['cabi_post_filter-score'];
  const updateUsage = exports['update-usage'];

  return {
    /** update-usage: [{ slot, requested, podCount }] */
    updateUsage(usage) {
      let size = usage.length * 56;
      for (const u of usage) size += resourcesMax(u.requested);
      const block = realloc(0, 0, 8, size);
      views();
      at = block + usage.length * 56;
      for (let i = 0; i < usage.length; i++) {
        const u = usage[i];
        const p = block + i * 56;
        dv.setUint32(p, u.slot >>> 0, true);
        resources(p + 8, u.requested);
        dv.setUint32(p + 48, u.podCount >>> 0, true);
      }
      updateUsage(block, usage.length);
    },
    /** filter: { verdicts: Uint8Array (a copy), reasons } */
    filter(pod, slots) {
      const ret = filter(lowerPodSlots(pod, slots));
      views();
      const v = list(ret, 1, slots.length);
      const out = { verdicts: u8.slice(v, v + slots.length), reasons: reasons(ret + 8) };
      postFilter(ret);
      return out;
    },
    /** score: Int32Array (a copy) */
    score(pod, slots) {
      const ret = score(lowerPodSlots(pod, slots));
      views();
      const s = list(ret, 4, slots.length);
      const out = new Int32Array(slots.length);
      new Uint8Array(out.buffer).set(u8.subarray(s, s + slots.length * 4));
      postScore(ret);
      return out;
    },
    /** filter-score: verdicts, padding to 4 bytes, then the scores (i32), in one new Uint8Array */
    filterScore(pod, slots) {
      const n = slots.length;
      const ret = filterScore(lowerPodSlots(pod, slots));
      views();
      const v = list(ret, 1, n);
      const s = list(ret + 16, 4, n);
      const pad = (n + 3) & ~3;
      const payload = new Uint8Array(pad + n * 4);
      payload.set(u8.subarray(v, v + n), 0);
      payload.set(u8.subarray(s, s + n * 4), pad);
      const out = { payload, reasons: reasons(ret + 8) };
      postFilterScore(ret);
      return out;
    },
  };
}
