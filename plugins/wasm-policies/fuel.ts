// Fuel: a step budget per call for guests run on the scheduler's own thread, where no deadline can
// interrupt them. binaryen's `log-execution` pass puts a call to `env.log_execution` at every
// function entry and loop header; that import is then replaced by a function of the module's own
// that counts down an imported global, `env.skiff_fuel`, and traps below zero, and inlined at every
// call site: a check costs a few instructions, not a call (measured: a call out to a counting
// module per function entry made a filter-score over 500 nodes ~75% slower). A guest that loops
// forever is cut off after `budget` steps (the default, 3 M steps, is a few ms of a tight loop
// here), deterministically.
import { Worker } from 'node:worker_threads';
import { wasm } from './wasm-api.ts';

/**
 * The core module with a fuel check at every function entry and loop header. binaryen runs in a
 * worker thread of its own: its wasm heap grows to hundreds of MB and never shrinks, so the worker
 * (kept for consecutive reloads) ends after a few idle seconds and takes that memory with it.
 */
export function instrumentFuel(module: Uint8Array): Promise<Uint8Array> {
  const w = instrumenter();
  const id = w.next++;
  return new Promise<Uint8Array>((resolve, reject) => {
    w.pending.set(id, { resolve, reject });
    w.worker.postMessage({ id, module });
    if (w.idle) clearTimeout(w.idle);
    w.idle = undefined;
  });
}

interface Instrumenter {
  worker: Worker;
  next: number;
  pending: Map<number, { resolve: (b: Uint8Array) => void; reject: (e: Error) => void }>;
  idle?: NodeJS.Timeout;
}

let current: Instrumenter | undefined;
const IDLE_MS = 5_000;

function instrumenter(): Instrumenter {
  if (current) return current;
  // resolved here: an eval'd worker resolves bare specifiers from the working directory
  const worker = new Worker(INSTRUMENT, { eval: true, workerData: { binaryen: import.meta.resolve('binaryen') } });
  worker.unref();
  const w: Instrumenter = { worker, next: 0, pending: new Map() };
  const fail = (e: Error) => {
    if (current === w) current = undefined;
    for (const p of w.pending.values()) p.reject(e);
    w.pending.clear();
  };
  worker.on('message', (m: { id: number; bytes?: Uint8Array; error?: string }) => {
    const p = w.pending.get(m.id);
    w.pending.delete(m.id);
    if (m.bytes) p?.resolve(m.bytes);
    else p?.reject(new Error(`fuel instrumentation failed: ${m.error}`));
    if (w.pending.size === 0) {
      w.idle = setTimeout(() => {
        if (current === w) current = undefined;
        void worker.terminate();
      }, IDLE_MS);
      w.idle.unref();
    }
  });
  worker.once('error', fail);
  worker.once('exit', (code) => fail(new Error(`fuel instrumentation ended (${code})`)));
  return (current = w);
}

const INSTRUMENT = `
const { workerData, parentPort } = require('node:worker_threads');
const binaryen = import(workerData.binaryen).then((m) => m.default);
parentPort.on('message', async ({ id, module }) => {
  try {
    const b = await binaryen;
    const m = b.readBinary(module);
    try {
      m.setFeatures(b.Features.All);
      m.runPasses(['log-execution']);
      let logger;
      for (let i = 0; i < m.getNumFunctions(); i++) {
        const f = b.getFunctionInfo(m.getFunctionByIndex(i));
        if (f.module === 'env' && f.base === 'log_execution') logger = f;
      }
      if (logger) {
        // the logger import becomes: skiff_fuel -= 1; if (skiff_fuel < 0) unreachable; inlined
        m.removeFunction(logger.name);
        m.addGlobalImport('skiff_fuel', 'env', 'skiff_fuel', b.i32, true);
        const fuel = () => m.global.get('skiff_fuel', b.i32);
        m.addFunction(logger.name, logger.params, b.none, [], m.block(null, [
          m.global.set('skiff_fuel', m.i32.sub(fuel(), m.i32.const(1))),
          m.if(m.i32.lt_s(fuel(), m.i32.const(0)), m.unreachable()),
        ]));
        const size = b.getAlwaysInlineMaxSize();
        b.setAlwaysInlineMaxSize(64);
        try {
          m.runPasses(['inlining']);
        } finally {
          b.setAlwaysInlineMaxSize(size);
        }
      }
      if (!m.validate()) throw new Error('the instrumented module does not validate');
      const bytes = m.emitBinary();
      parentPort.postMessage({ id, bytes }, [bytes.buffer]);
    } finally {
      m.dispose();
    }
  } catch (e) {
    parentPort.postMessage({ id, error: String((e && e.message) || e) });
  }
});
`;

/** A fresh fuel tank: `global` for the guest's `env.skiff_fuel` import, `fill`/`left` for the host. */
export function fuelTank(): { global: unknown; fill(steps: number): void; left(): number } {
  const global = new wasm.Global({ value: 'i32', mutable: true }, 0);
  return {
    global,
    fill: (steps) => void (global.value = steps),
    left: () => global.value as number,
  };
}
