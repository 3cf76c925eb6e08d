// Fuel: a step budget per call for guests run on the scheduler's own thread, where no deadline can
// interrupt them. binaryen's `log-execution` pass puts a call to an imported `env.log_execution` at
// every function entry and loop header; that import is a two-instruction wasm function that counts
// down a global and traps at zero. A guest that loops forever is cut off after `budget` steps
// (the default, 3 M steps, is 10-20 ms of a tight loop here), deterministically.
import { Worker } from 'node:worker_threads';
import { wasm, type CompiledModule } from './wasm-api.ts';

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

// (module (global (export "fuel") (mut i64) (i64.const 0))
//   (func (export "tick") (param i32) fuel = fuel - 1; if fuel < 0 then unreachable))
const FUEL_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00, // type: (i32) -> ()
  0x03, 0x02, 0x01, 0x00, // func 0: type 0
  0x06, 0x06, 0x01, 0x7e, 0x01, 0x42, 0x00, 0x0b, // global 0: mut i64 = 0
  0x07, 0x0f, 0x02, 0x04, 0x66, 0x75, 0x65, 0x6c, 0x03, 0x00, 0x04, 0x74, 0x69, 0x63, 0x6b, 0x00, 0x00, // exports fuel, tick
  // code: global.set 0 (i64.sub (global.get 0) (i64.const 1)); if (i64.lt_s (global.get 0) (i64.const 0)) unreachable
  0x0a, 0x14, 0x01, 0x12, 0x00,
  0x23, 0x00, 0x42, 0x01, 0x7d, 0x24, 0x00,
  0x23, 0x00, 0x42, 0x00, 0x53, 0x04, 0x40, 0x00, 0x0b, 0x0b,
]);

let fuelModule: CompiledModule | undefined;

/** A fresh fuel tank: `tick` for the guest's import, `fill`/`left` for the host. */
export function fuelTank(): { tick: unknown; fill(steps: number): void; left(): number } {
  fuelModule ??= new wasm.Module(FUEL_MODULE);
  const inst = new wasm.Instance(fuelModule).exports as { tick: unknown; fuel: { value: bigint } };
  return {
    tick: inst.tick,
    fill: (steps) => void (inst.fuel.value = BigInt(steps)),
    left: () => Number(inst.fuel.value),
  };
}
