// The worker thread a WebAssembly policy runs in (plain JS: workers load it without a TS loader;
// the build copies it and guest-host.mjs next to dist/skiff.mjs). It instantiates the component's
// glue with the core modules the host compiled (memory-capped), then serves calls synchronously
// over shared memory:
//
//   ctrl (Int32Array): [0] state 0 idle / 1 request / 2 response, [1] request bytes,
//                      [2] response bytes, [3] response kind 0 ok / 1 guest error / 2 host error
//   data: request  [u32 op][u32 json bytes][json][pad to 4][u32 n][n x u32 slots]
//         response [u32 json bytes][json][pad to 4][payload: verdicts | scores | both]
//
// The host waits with a deadline and terminates this worker when the guest overruns it; a trap
// only poisons the instance (guest-host.mjs instantiates it again).
import { workerData, parentPort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { createGuest } from './guest-host.mjs';

const { glueFile, modules, direct, world, ctrlBuffer, dataBuffer, spinMicros } = workerData;
const ctrl = new Int32Array(ctrlBuffer);
const data = new Uint8Array(dataBuffer);
const view = new DataView(dataBuffer);
const enc = new TextEncoder();
const dec = new TextDecoder();

const { instantiate } = await import(pathToFileURL(glueFile).href);
const guest = createGuest(instantiate, modules, undefined, undefined, { direct });

function writeResponse({ json, payload, kind }) {
  const body = enc.encode(JSON.stringify(json));
  view.setUint32(0, body.length, true);
  data.set(body, 4);
  let off = (4 + body.length + 3) & ~3;
  if (payload) {
    data.set(payload, off);
    off += payload.length;
  }
  ctrl[2] = off;
  ctrl[3] = kind;
}

function handle() {
  const op = view.getUint32(0, true);
  const jsonLen = view.getUint32(4, true);
  const req = JSON.parse(dec.decode(data.subarray(8, 8 + jsonLen)));
  const slotsOff = (8 + jsonLen + 3) & ~3;
  const n = view.getUint32(slotsOff, true);
  const slots = n ? new Uint32Array(dataBuffer, slotsOff + 4, n) : undefined; // copied into the guest by the glue
  writeResponse(guest.call(op, req, slots));
}

parentPort.postMessage({ ready: true, world, exports: guest.exports() });

// Between calls the worker spins a little before it sleeps: on a virtual machine an idle vCPU is
// halted, and waking it costs far more than the guest's own work (measured: 2-3x per call).
const idleSpinUntil = () => performance.now() + spinMicros / 1000;
for (;;) {
  const until = idleSpinUntil();
  let i = 0;
  while (Atomics.load(ctrl, 0) !== 1 && ((++i & 63) !== 0 || performance.now() < until));
  const state = Atomics.load(ctrl, 0);
  if (state !== 1) {
    Atomics.wait(ctrl, 0, state); // until the host changes it (and notifies with a request)
    continue;
  }
  handle();
  Atomics.store(ctrl, 0, 2);
  Atomics.notify(ctrl, 0);
}
