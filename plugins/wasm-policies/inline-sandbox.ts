// A WebAssembly guest run on the caller's own thread: no crossing to a worker, so a call costs what
// the guest's work costs (the scheduler's filter and score calls, thousands a second). Nothing can
// interrupt the thread, so the guest carries its own deadline: fuel, a step budget checked at every
// function entry and loop header (fuel.ts); the memory cap is in the module as for the worker
// sandbox. Out of fuel or trapped, the call fails and the guest is instantiated again (its state,
// the node table, is gone: `epoch` moves); a guest that keeps failing is left alone for a growing
// back-off, calls failing at once meanwhile.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { runInThisContext } from 'node:vm';
import type { LoadedComponent } from './component-cache.ts';
import { fuelTank } from './fuel.ts';
import { createGuest, type Guest } from './guest-host.mjs';
import { OP, type CallResult, type Op, type Sandbox } from './sandbox.ts';
import { wasm, type CompiledModule } from './wasm-api.ts';

export interface InlineSandboxOptions {
  /** loaded with fuel (ComponentCache.load(..., fuel = true)) */
  component: LoadedComponent;
  /** steps per call (function entries and loop iterations); 3 M (the default) is 10-20 ms of a tight loop here, some 100 times what a filter-score over 500 nodes takes */
  fuel?: number;
  onRestart?: (reason: string) => void;
}

const EMPTY = new Uint8Array(0);
const MAX_BACKOFF_MS = 30_000;
export const DEFAULT_FUEL = 3_000_000;

/**
 * The glue's `instantiate`, evaluated as a script rather than imported as a module: an imported
 * module stays in the module map for good (one per policy version), a script's functions are
 * collected once unused.
 */
function loadGlue(file: string): Parameters<typeof createGuest>[0] {
  const text = readFileSync(file, 'utf8');
  // new versions of a policy usually have the same glue (same world, same types): compiled once
  const key = createHash('sha256').update(text).digest('hex');
  let fn = glues.get(key);
  if (fn) {
    glues.delete(key);
    glues.set(key, fn);
    return fn;
  }
  const src = text.replace(/^export function instantiate\(/m, 'function instantiate(').replace(/^export const _util = /m, 'const _util = ');
  fn = runInThisContext(`(function () {\n${src}\nreturn instantiate;\n})()`, { filename: file }) as Parameters<typeof createGuest>[0];
  glues.set(key, fn);
  while (glues.size > 16) glues.delete(glues.keys().next().value!);
  return fn;
}

/** compiled glue by the hash of its text, the least recently used dropped first */
const glues = new Map<string, Parameters<typeof createGuest>[0]>();

export class InlineSandbox implements Sandbox {
  epoch = 1;
  private readonly guest: Guest;
  private readonly tank = fuelTank();
  private readonly budget: number;
  private stopped = false;
  private downUntil = 0;
  private failuresInARow = 0;
  private ranOut = false;

  private constructor(private readonly opts: InlineSandboxOptions) {
    this.budget = opts.fuel ?? DEFAULT_FUEL;
    const instantiate = loadGlue(opts.component.glueFile);
    const core = (m: unknown, imports: Record<string, Record<string, unknown>> | undefined) =>
      new wasm.Instance(m as CompiledModule, { ...imports, env: { ...(imports?.env ?? {}), skiff_fuel: this.tank.global } });
    this.guest = createGuest(
      instantiate,
      opts.component.modules,
      core,
      () => {
        this.ranOut ||= this.tank.left() < 0;
        this.tank.fill(this.budget);
      },
      { direct: opts.component.direct },
    );
  }

  static async start(opts: InlineSandboxOptions): Promise<InlineSandbox> {
    return new InlineSandbox(opts);
  }

  get up(): boolean {
    return !this.stopped && performance.now() >= this.downUntil;
  }

  configure(config: string): CallResult {
    return this.call(OP.configure, { config });
  }

  /** Runs at once; the returned function hands over the result. */
  begin(op: Op, json: unknown, slots?: Uint32Array): () => CallResult {
    const r = this.call(op, json, slots);
    return () => r;
  }

  callAsync(op: Op, json: unknown, slots?: Uint32Array): Promise<CallResult> {
    return Promise.resolve(this.call(op, json, slots));
  }

  call(op: Op, json: unknown, slots?: Uint32Array): CallResult {
    if (this.stopped) return { ok: false, failure: 'down', message: 'the guest is stopped', ms: 0 };
    if (performance.now() < this.downUntil) return { ok: false, failure: 'down', message: 'the guest is backing off after failures', ms: 0 };
    const req = json as Record<string, unknown>;
    const before = this.guest.instances;
    this.ranOut = false;
    this.tank.fill(this.budget);
    const t0 = performance.now();
    const a = this.guest.call(op, req, slots);
    const ms = performance.now() - t0;
    if (a.kind === 0) {
      this.failuresInARow = 0;
      return { ok: true, json: a.json, payload: a.payload ?? EMPTY, ms };
    }
    if (this.guest.instances !== before) this.epoch++; // instantiated again: its state is gone
    const ranOut = this.ranOut || this.tank.left() < 0;
    if (a.json.config) return { ok: false, failure: 'error', message: String(a.json.error), ms };
    this.failed(ranOut ? 'ran out of fuel' : 'trapped');
    if (ranOut) return { ok: false, failure: 'timeout', message: `the guest ran past its budget of ${this.budget} steps (cut off after ${Math.round(ms)} ms)`, ms };
    if (a.json.trapped) return { ok: false, failure: 'trap', message: `the guest trapped: ${String(a.json.error)}`, ms };
    return { ok: false, failure: 'error', message: String(a.json.error), ms };
  }

  private failed(why: string): void {
    this.failuresInARow++;
    if (this.failuresInARow < 2) return;
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** (this.failuresInARow - 2));
    this.downUntil = performance.now() + delay;
    this.opts.onRestart?.(`the guest ${why} ${this.failuresInARow} times in a row; calls fail for ${delay} ms`);
  }

  stop(): void {
    this.stopped = true;
  }
}
