// A WebAssembly guest in its own worker thread, called synchronously with a deadline.
//
// The scheduler's cycle is synchronous, so a call writes its request into shared memory, wakes the
// worker and waits (Atomics.wait) at most `callTimeoutMs`. A guest that overruns it (an endless
// loop) has its worker terminated: the call fails at the deadline and a new worker starts in the
// background, after a back-off that grows while the guest keeps failing. A trap or a guest that
// runs out of its memory cap (its allocator traps) fails only that call; the worker re-instantiates
// the guest. Every restart bumps `epoch`: the guest's own state (its node table) is gone and the
// caller sends it again.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LoadedComponent } from './component-cache.ts';

export const OP = { configure: 1, filter: 2, score: 3, validate: 4, mutate: 5, updateNodes: 6, filterScore: 7 } as const;
export type Op = (typeof OP)[keyof typeof OP];

export type CallFailure = 'timeout' | 'trap' | 'down' | 'error' | 'too-large';

export type CallResult =
  | { ok: true; json: Record<string, unknown>; payload: Uint8Array; ms: number }
  | { ok: false; failure: CallFailure; message: string; ms: number };

/** What the policy adapters need of a sandbox (a worker thread, or the caller's own thread). */
export interface Sandbox {
  /** moves whenever the guest's own state is lost */
  readonly epoch: number;
  readonly up: boolean;
  configure(config: string): CallResult;
  call(op: Op, json: unknown, slots?: Uint32Array): CallResult;
  begin(op: Op, json: unknown, slots?: Uint32Array): () => CallResult;
  callAsync(op: Op, json: unknown, slots?: Uint32Array): Promise<CallResult>;
  stop(): void;
}

export interface SandboxOptions {
  component: LoadedComponent;
  world: 'scheduler-policy' | 'admission-policy';
  /** a call's deadline */
  callTimeoutMs?: number;
  /** the guest's JS-side heap limit in the worker (the wasm memory is capped in the module itself) */
  workerHeapMb?: number;
  /** shared request/response buffer */
  bufferBytes?: number;
  /**
   * Busy-waiting before sleeping, in µs: the host while its call runs, the worker between calls.
   * On a virtual machine a sleeping vCPU is halted and slow to wake, which costs more than the
   * guest's own work; spinning briefly keeps both threads hot during a burst of calls.
   */
  hostSpinMicros?: number;
  workerSpinMicros?: number;
  /** restarts after failures (timeouts, crashes) */
  onRestart?: (reason: string) => void;
}

/** The worker script: beside this file in the repo, beside dist/skiff.mjs in the bundle. */
function workerFile(): string {
  const file = fileURLToPath(new URL('./wasm-worker.mjs', import.meta.url));
  if (!existsSync(file)) throw new Error(`the WebAssembly worker script is missing: ${file}`);
  return file;
}

/** Atomics.waitAsync (Node 16+; typed only in TypeScript's ES2024 library) */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, i: number, v: number, ms: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

const enc = new TextEncoder();
const dec = new TextDecoder();
const MAX_BACKOFF_MS = 30_000;
const DEFAULT_HOST_SPIN_US = 1_000;
const DEFAULT_WORKER_SPIN_US = 200;
const START_TIMEOUT_MS = 10_000;

export class GuestSandbox implements Sandbox {
  private worker?: Worker;
  private ready = false;
  private stopped = false;
  private readonly ctrl: Int32Array;
  private readonly data: Uint8Array;
  private readonly view: DataView;
  private readonly buffer: SharedArrayBuffer;
  private restartTimer?: NodeJS.Timeout;
  private failuresInARow = 0;
  /** bumps whenever the guest's state is lost (restart, re-instantiation after a trap) */
  epoch = 0;
  /** the last configure sent, replayed into a new worker */
  private config?: string;
  readonly callTimeoutMs: number;

  private constructor(private readonly opts: SandboxOptions) {
    this.callTimeoutMs = opts.callTimeoutMs ?? 50;
    this.ctrl = new Int32Array(new SharedArrayBuffer(16));
    this.buffer = new SharedArrayBuffer(opts.bufferBytes ?? 8 * 1024 * 1024);
    this.data = new Uint8Array(this.buffer);
    this.view = new DataView(this.buffer);
  }

  /** Start the worker and wait until the guest is instantiated. */
  static async start(opts: SandboxOptions): Promise<GuestSandbox> {
    const s = new GuestSandbox(opts);
    await s.spawn();
    return s;
  }

  get up(): boolean {
    return this.ready && !this.stopped;
  }

  private spawn(): Promise<void> {
    this.ready = false;
    Atomics.store(this.ctrl, 0, 0);
    const w = new Worker(workerFile(), {
      workerData: {
        glueFile: this.opts.component.glueFile,
        modules: this.opts.component.modules,
        direct: this.opts.component.direct,
        world: this.opts.world,
        ctrlBuffer: this.ctrl.buffer,
        dataBuffer: this.buffer,
        spinMicros: this.opts.workerSpinMicros ?? DEFAULT_WORKER_SPIN_US,
      },
      resourceLimits: { maxOldGenerationSizeMb: this.opts.workerHeapMb ?? 64, maxYoungGenerationSizeMb: 16 },
      stdout: false,
      stderr: false,
    });
    w.unref();
    this.worker = w;
    return new Promise<void>((resolve, reject) => {
      let started = false;
      // a guest whose instantiation never ends (a loop in its start function) is cut off too
      const startTimer = setTimeout(() => {
        if (started) return;
        void w.terminate();
        reject(new Error(`the guest did not start within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      startTimer.unref();
      w.once('message', () => {
        started = true;
        clearTimeout(startTimer);
        if (this.worker !== w) return;
        this.ready = true;
        this.epoch++;
        if (this.config !== undefined) {
          const r = this.call(OP.configure, { config: this.config });
          if (!r.ok) return reject(new Error(`configure after restart failed: ${r.message}`));
        }
        resolve();
      });
      w.once('error', (e) => {
        if (!started) reject(e);
        else this.crashed(w, `the guest's worker failed: ${e.message}`);
      });
      w.once('exit', (code) => {
        if (!started) reject(new Error(`the guest's worker exited (${code}) before the guest was ready`));
        else this.crashed(w, `the guest's worker exited (${code})`);
      });
    });
  }

  /** The worker died on its own (out of JS heap, a bug): restart it like after a timeout. */
  private crashed(w: Worker, why: string): void {
    if (this.worker !== w || this.stopped) return;
    this.ready = false;
    this.scheduleRestart(why);
  }

  private scheduleRestart(why: string): void {
    if (this.stopped || this.restartTimer) return;
    const delay = this.failuresInARow <= 1 ? 0 : Math.min(MAX_BACKOFF_MS, 500 * 2 ** (this.failuresInARow - 2));
    this.opts.onRestart?.(`${why}; restarting the guest${delay ? ` in ${delay} ms` : ''}`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopped) return;
      this.spawn().catch((e: unknown) => {
        this.failuresInARow++;
        this.scheduleRestart(`the guest did not start again: ${e instanceof Error ? e.message : String(e)}`);
      });
    }, delay);
    this.restartTimer.unref();
  }

  /** Remember and send the plugin's config (replayed after every restart). */
  configure(config: string): CallResult {
    const r = this.call(OP.configure, { config });
    if (r.ok) this.config = config;
    return r;
  }

  /**
   * One synchronous call; `slots` travel as raw u32s after the JSON. The caller's thread waits (at
   * most the deadline): for tools and tests. The scheduler uses `callAsync`.
   */
  call(op: Op, json: unknown, slots?: Uint32Array): CallResult {
    return this.begin(op, json, slots)();
  }

  /** the finish of the call in flight, if any */
  private pending?: () => CallResult;

  /**
   * Send a call and return what finishes it: the guest works on the worker's core meanwhile, and
   * finishing waits (synchronously, at most until the deadline) only for what is left. A call begun
   * while another is in flight finishes that one first.
   */
  begin(op: Op, json: unknown, slots?: Uint32Array): () => CallResult {
    if (this.pending) this.pending();
    if (this.inFlight) {
      const busy: CallResult = { ok: false, failure: 'error', message: 'an asynchronous call is in flight', ms: 0 };
      return () => busy;
    }
    const t0 = performance.now();
    const sent = this.send(op, json, slots);
    if (sent) return () => sent;
    let result: CallResult | undefined;
    const finish = (): CallResult => {
      if (result) return result;
      if (this.pending === finish) this.pending = undefined;
      const deadline = t0 + this.callTimeoutMs;
      const spinUntil = performance.now() + (this.opts.hostSpinMicros ?? DEFAULT_HOST_SPIN_US) / 1000;
      let i = 0;
      while (Atomics.load(this.ctrl, 0) === 1 && ((++i & 63) !== 0 || performance.now() < spinUntil));
      while (Atomics.load(this.ctrl, 0) === 1) {
        const left = deadline - performance.now();
        if (left <= 0) break;
        Atomics.wait(this.ctrl, 0, 1, left);
      }
      return (result = this.receive(t0));
    };
    this.pending = finish;
    return finish;
  }

  private inFlight = false;
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * One call without blocking this thread: the guest runs on the worker's core while this one goes
   * on with other work (the scheduler's writes, watch events). Calls are served one at a time.
   */
  callAsync(op: Op, json: unknown, slots?: Uint32Array): Promise<CallResult> {
    const run = async (): Promise<CallResult> => {
      if (this.pending) this.pending();
      const t0 = performance.now();
      const sent = this.send(op, json, slots);
      if (sent) return sent;
      this.inFlight = true;
      try {
        const w = waitAsync(this.ctrl, 0, 1, this.callTimeoutMs);
        if (w.async) await w.value;
        return this.receive(t0);
      } finally {
        this.inFlight = false;
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p;
    return p;
  }

  /** Write the request and wake the worker; a failure result when it cannot be sent. */
  private send(op: Op, json: unknown, slots?: Uint32Array): CallResult | undefined {
    if (!this.up || !this.worker) return { ok: false, failure: 'down', message: 'the guest is restarting after a failure', ms: 0 };
    const text = JSON.stringify(json);
    const n = slots?.length ?? 0;
    // UTF-8 straight into the shared buffer (at most 3 bytes per UTF-16 unit)
    if (8 + text.length * 3 + 8 + n * 4 > this.data.length) {
      const bytes = Buffer.byteLength(text);
      if (8 + bytes + 8 + n * 4 > this.data.length) {
        return { ok: false, failure: 'too-large', message: `request of ${8 + bytes + n * 4} bytes exceeds the ${this.data.length}-byte buffer`, ms: 0 };
      }
    }
    const { written } = enc.encodeInto(text, this.data.subarray(8));
    const slotsOff = (8 + written + 3) & ~3;
    this.view.setUint32(0, op, true);
    this.view.setUint32(4, written, true);
    this.view.setUint32(slotsOff, n, true);
    if (n) new Uint32Array(this.buffer, slotsOff + 4, n).set(slots!);
    Atomics.store(this.ctrl, 0, 1);
    Atomics.notify(this.ctrl, 0);
    return undefined;
  }

  /** The answer, or (no answer by now: past the deadline) the guest cut off. */
  private receive(t0: number): CallResult {
    const ms = performance.now() - t0;
    if (Atomics.load(this.ctrl, 0) !== 2) {
      const w = this.worker;
      this.worker = undefined;
      this.ready = false;
      void w?.terminate();
      this.failuresInARow++;
      this.scheduleRestart(`a call ran past its ${this.callTimeoutMs} ms deadline`);
      return { ok: false, failure: 'timeout', message: `the guest did not answer within ${this.callTimeoutMs} ms (cut off)`, ms };
    }
    const total = this.ctrl[2];
    const kind = this.ctrl[3];
    const jsonLen = this.view.getUint32(0, true);
    const res = JSON.parse(dec.decode(this.data.slice(4, 4 + jsonLen))) as Record<string, unknown>;
    const payloadOff = (4 + jsonLen + 3) & ~3;
    const payload = this.data.slice(payloadOff, total);
    Atomics.store(this.ctrl, 0, 0);
    if (kind === 0) {
      this.failuresInARow = 0;
      return { ok: true, json: res, payload, ms };
    }
    if (res.trapped) {
      this.epoch++; // re-instantiated: its state is gone
      this.failuresInARow++;
      return { ok: false, failure: 'trap', message: `the guest trapped: ${String(res.error)}`, ms };
    }
    return { ok: false, failure: 'error', message: String(res.error), ms };
  }

  stop(): void {
    this.stopped = true;
    this.ready = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const w = this.worker;
    this.worker = undefined;
    void w?.terminate();
  }
}
