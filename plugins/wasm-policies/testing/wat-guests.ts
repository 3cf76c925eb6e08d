// Tiny scheduler-policy guests written straight in WebAssembly text, for the sandbox's own tests:
// well-behaved, or looping forever, trapping, or growing memory without end. (Real policies are
// built with the AssemblyScript SDK in wasm-sdk/.) Canonical ABI layout used here: filter's params
// (pod, slots) exceed 16 flat values, so they arrive as one pointer to a tuple in which the pod
// record takes bytes 0..104 and the slots list (ptr, len) sits at 104/108; results with more than
// one flat value are returned through a pointer to a static return area.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco';

export type Behaviour = 'pass' | 'loop' | 'trap' | 'grow';

export interface WatGuest {
  /** filter: every node fits ('pass'), or misbehaves */
  filter?: Behaviour;
  /** the score every node gets */
  score?: number;
  /** reject nodes in odd slots with this reason (only with filter 'pass') */
  rejectOddSlots?: string;
  /** score traps instead of answering */
  scoreTraps?: boolean;
}

const WIT = fileURLToPath(new URL('../../../wasm-sdk/wit/policy.wit', import.meta.url));

function filterBody(b: Behaviour, rejectOdd: boolean): string {
  switch (b) {
    case 'loop':
      return '(loop $forever (br $forever)) unreachable';
    case 'trap':
      return 'unreachable';
    case 'grow':
      // take 1 MiB more at a time until the memory cap refuses, then give up the way an allocator does
      return `(block $full (loop $more (br_if $full (i32.eq (memory.grow (i32.const 16)) (i32.const -1))) (br $more))) unreachable`;
    default:
      return rejectOdd ? '(call $verdicts_odd (local.get $n))' : '(call $verdicts_zero (local.get $n))';
  }
}

export function watSource(g: WatGuest = {}): string {
  const reason = g.rejectOddSlots ?? '';
  const reasonBytes = [...Buffer.from(reason)].map((x) => '\\' + x.toString(16).padStart(2, '0')).join('');
  return `(module
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 1024) "${reasonBytes}")
  (func $alloc (param $size i32) (param $align i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1))) (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.div_u (i32.sub (global.get $heap) (i32.mul (memory.size) (i32.const 65536))) (i32.const 65536)) (i32.const 1))))))
    (local.get $p))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (call $alloc (local.get 3) (local.get 2)))
  (func $reset (global.set $heap (i32.const 4096)))
  ;; configure(config: string) -> result<capabilities, string>: ok({filter: true, score: true})
  (func (export "configure") (param i32 i32) (result i32)
    (i32.store8 (i32.const 16) (i32.const 0))
    (i32.store8 (i32.const 20) (i32.const 1))
    (i32.store8 (i32.const 21) (i32.const 1))
    (i32.const 16))
  (func (export "cabi_post_configure") (param i32) (call $reset))
  (func (export "update-nodes") (param i32 i32) (call $reset))
  (func (export "update-usage") (param i32 i32) (call $reset))
  ;; verdict lists: n bytes at a fresh address, all 0, or 1 on odd slots
  (func $verdicts_zero (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (call $alloc (local.get $n) (i32.const 1)))
    (memory.fill (local.get $p) (i32.const 0) (local.get $n))
    (local.get $p))
  (global $args (mut i32) (i32.const 0))
  (func $verdicts_odd (param $n i32) (result i32)
    (local $p i32) (local $i i32) (local $slots i32)
    (local.set $slots (i32.load (i32.add (global.get $args) (i32.const 104))))
    (local.set $p (call $alloc (local.get $n) (i32.const 1)))
    (block $done (loop $each
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8 (i32.add (local.get $p) (local.get $i))
        (i32.and (i32.load (i32.add (local.get $slots) (i32.shl (local.get $i) (i32.const 2)))) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $each)))
    (local.get $p))
  ;; filter(pod, slots) -> filter-result { verdicts: list<u8>, reasons: list<reason> }
  (func $filter (export "filter") (param $args i32) (result i32)
    (local $n i32) (local $v i32)
    (global.set $args (local.get $args))
    (local.set $n (i32.load (i32.add (local.get $args) (i32.const 108))))
    ${filterBody(g.filter ?? 'pass', !!g.rejectOddSlots)}
    (local.set $v)
    (i32.store (i32.const 32) (local.get $v))
    (i32.store (i32.const 36) (local.get $n))
    ${
      g.rejectOddSlots
        ? `;; one reason { message: string, unresolvable: false } at 64
    (i32.store (i32.const 64) (i32.const 1024))
    (i32.store (i32.const 68) (i32.const ${Buffer.byteLength(reason)}))
    (i32.store8 (i32.const 72) (i32.const 0))
    (i32.store (i32.const 40) (i32.const 64))
    (i32.store (i32.const 44) (i32.const 1))`
        : `(i32.store (i32.const 40) (i32.const 0))
    (i32.store (i32.const 44) (i32.const 0))`
    }
    (i32.const 32))
  (func (export "cabi_post_filter") (param i32) (call $reset))
  ;; score(pod, slots) -> list<s32>
  (func $score (export "score") (param $args i32) (result i32)
    (local $n i32) (local $p i32) (local $i i32)
    (local.set $n (i32.load (i32.add (local.get $args) (i32.const 108))))
    (local.set $p (call $alloc (i32.shl (local.get $n) (i32.const 2)) (i32.const 4)))
    ${g.scoreTraps ? 'unreachable' : ''}
    (block $done (loop $each
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2))) (i32.const ${g.score ?? 50}))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $each)))
    (i32.store (i32.const 48) (local.get $p))
    (i32.store (i32.const 52) (local.get $n))
    (i32.const 48))
  (func (export "cabi_post_score") (param i32) (call $reset))
  ;; filter-score: filter's result lands at 32..47 and score's list at 48..55, which is exactly
  ;; filter-score-result { filter @0, scores @16 } at 32
  (func (export "filter-score") (param $args i32) (result i32)
    (drop (call $filter (local.get $args)))
    (drop (call $score (local.get $args)))
    (i32.const 32))
  (func (export "cabi_post_filter-score") (param i32) (call $reset))
)`;
}

/** A scheduler-policy component from the WAT above. */
export async function buildWatGuest(g: WatGuest = {}): Promise<Uint8Array> {
  const core = await parse(watSource(g));
  const embedded = await componentEmbed({ binary: core, witSource: readFileSync(WIT, 'utf8'), world: 'scheduler-policy' });
  return componentNew(embedded);
}

/** The same component with a custom section naming `version`: a new digest, same behaviour. */
export function withVersionSection(component: Uint8Array, version: string): Uint8Array {
  const name = Buffer.from('skiff-version');
  const payload = Buffer.from(version);
  const body = [...uleb(name.length), ...name, ...payload];
  return Buffer.concat([component, Buffer.from([0, ...uleb(body.length), ...body])]);
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}
