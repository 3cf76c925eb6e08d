// The worker thread a WebAssembly policy runs in (plain JS: workers load it without a TS loader;
// the build copies it next to dist/skiff.mjs). It instantiates the component's glue with the core
// modules the host compiled (memory-capped), then serves calls synchronously over shared memory:
//
//   ctrl (Int32Array): [0] state 0 idle / 1 request / 2 response, [1] request bytes,
//                      [2] response bytes, [3] response kind 0 ok / 1 guest error / 2 host error
//   data: request  [u32 op][u32 json bytes][json][pad to 4][u32 n][n x u32 slots]
//         response [u32 json bytes][json][pad to 4][payload: n x u8 verdicts | n x i32 scores]
//
// The host waits with a deadline and terminates this worker when the guest overruns it; a trap
// only poisons the instance, so the worker instantiates it again (and replays `configure`).
import { workerData, parentPort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const { glueFile, modules, world, ctrlBuffer, dataBuffer, spinMicros } = workerData;
const ctrl = new Int32Array(ctrlBuffer);
const data = new Uint8Array(dataBuffer);
const view = new DataView(dataBuffer);
const enc = new TextEncoder();
const dec = new TextDecoder();

const OP_CONFIGURE = 1, OP_FILTER = 2, OP_SCORE = 3, OP_VALIDATE = 4, OP_MUTATE = 5, OP_UPDATE_NODES = 6, OP_FILTER_SCORE = 7;

const { instantiate } = await import(pathToFileURL(glueFile).href);
let api;
let lastConfig;
let instances = 0;
function fresh() {
  api = instantiate((name) => {
    const m = modules[name];
    if (!m) throw new Error(`the component asks for a core module the host does not have: ${name}`);
    return m;
  }, {});
  instances++;
  if (lastConfig !== undefined) api.configure(lastConfig);
}
fresh();

const big = (n) => BigInt(Math.trunc(Number(n) || 0));
const UNLIMITED = 2n ** 63n - 1n;
const NO_EXTENDED = [];
// `unlimitedPods`: a node that reports no pod capacity has no limit (0 would mean nothing fits)
const resources = (r = {}, unlimitedPods = false) => ({
  milliCpu: big(r.cpu),
  memory: big(r.memory),
  ephemeralStorage: big(r['ephemeral-storage']),
  pods: unlimitedPods && r.pods === undefined ? UNLIMITED : big(r.pods),
  extended: Object.keys(r)
    .filter((k) => k !== 'cpu' && k !== 'memory' && k !== 'ephemeral-storage' && k !== 'pods')
    .map((name) => ({ name, value: big(r[name]) })),
});
const labels = (m = {}) => Object.keys(m).map((key) => ({ key, value: String(m[key]) }));
const EFFECTS = { NoSchedule: 'no-schedule', PreferNoSchedule: 'prefer-no-schedule', NoExecute: 'no-execute' };

function toNode(n) {
  return {
    name: n.name,
    labels: labels(n.labels),
    taints: (n.taints ?? []).map((t) => ({ key: t.key, value: t.value ?? '', effect: EFFECTS[t.effect] ?? 'no-schedule' })),
    unschedulable: !!n.unschedulable,
    allocatable: resources(n.allocatable, true),
    requested: resources(n.requested),
    podCount: n.podCount >>> 0,
  };
}

// the pod of the current cycle: filter and score get the same one, converted once
let podKey;
let podValue;
function toPod(p) {
  if (p.uid === podKey && podValue) return podValue;
  podKey = p.uid;
  podValue = {
    namespace: p.namespace,
    name: p.name,
    uid: p.uid,
    labels: labels(p.labels),
    requests: resources(p.requests),
    priority: p.priority | 0,
    schedulerName: p.schedulerName ?? '',
    nodeSelector: labels(p.nodeSelector),
    tolerations: (p.tolerations ?? []).map((t) => ({ key: t.key ?? '', operator: t.operator ?? 'Equal', value: t.value ?? '', effect: t.effect ?? '' })),
  };
  return podValue;
}

function applyUpdates(updates, usage) {
  if (updates && updates.length) api.updateNodes(updates.map((u) => ({ slot: u.slot >>> 0, node: u.node ? toNode(u.node) : undefined })));
  if (usage && usage.length) api.updateUsage(usage.map((u) => ({ slot: u.slot >>> 0, requested: resources(u.requested), podCount: u.podCount >>> 0 })));
}

function toRequest(r) {
  return {
    operation: r.operation,
    group: r.group ?? '',
    version: r.version ?? '',
    kind: r.kind ?? '',
    namespace: r.namespace ?? '',
    name: r.name ?? '',
    labels: labels(r.labels),
    annotations: labels(r.annotations),
    object: r.object ?? '',
    oldObject: r.oldObject ?? undefined,
    dryRun: !!r.dryRun,
  };
}

/** A guest `result` error arrives as a thrown ComponentError carrying the payload. */
const guestErr = (e) => (e && typeof e === 'object' && 'payload' in e ? { denied: String(e.payload) } : undefined);

function writeResponse(json, payload, kind) {
  const body = enc.encode(JSON.stringify(json));
  view.setUint32(0, body.length, true);
  data.set(body, 4);
  let off = (4 + body.length + 3) & ~3;
  if (payload) {
    const bytes = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
    data.set(bytes, off);
    off += bytes.length;
  }
  ctrl[2] = off;
  ctrl[3] = kind;
}

function handle() {
  const op = view.getUint32(0, true);
  const jsonLen = view.getUint32(4, true);
  const req = JSON.parse(dec.decode(data.subarray(8, 8 + jsonLen)));
  const slotsOff = (8 + jsonLen + 3) & ~3;
  try {
    switch (op) {
      case OP_CONFIGURE: {
        const caps = api.configure(req.config);
        lastConfig = req.config;
        return writeResponse({ capabilities: caps }, null, 0);
      }
      case OP_UPDATE_NODES:
        applyUpdates(req.updates, req.usage);
        return writeResponse({}, null, 0);
      case OP_FILTER:
      case OP_SCORE:
      case OP_FILTER_SCORE: {
        applyUpdates(req.updates, req.usage);
        const n = view.getUint32(slotsOff, true);
        const slots = new Uint32Array(dataBuffer, slotsOff + 4, n); // copied into the guest by the glue
        if (op === OP_FILTER_SCORE) {
          // payload: n verdicts (u8), padding to 4, n scores (i32)
          const r = api.filterScore(toPod(req.pod), slots);
          const verdicts = r.filter.verdicts instanceof Uint8Array ? r.filter.verdicts : Uint8Array.from(r.filter.verdicts);
          const scores = r.scores instanceof Int32Array ? r.scores : Int32Array.from(r.scores);
          if (verdicts.length !== n || scores.length !== n) throw new Error(`filter-score answered ${verdicts.length} verdicts and ${scores.length} scores for ${n} nodes`);
          const both = new Uint8Array(((n + 3) & ~3) + n * 4);
          both.set(verdicts, 0);
          both.set(new Uint8Array(scores.buffer, scores.byteOffset, n * 4), (n + 3) & ~3);
          return writeResponse({ reasons: r.filter.reasons }, both, 0);
        }
        if (op === OP_FILTER) {
          const r = api.filter(toPod(req.pod), slots);
          const verdicts = r.verdicts instanceof Uint8Array ? r.verdicts : Uint8Array.from(r.verdicts);
          if (verdicts.length !== n) throw new Error(`filter answered ${verdicts.length} verdicts for ${n} nodes`);
          return writeResponse({ reasons: r.reasons }, verdicts, 0);
        }
        const s = api.score(toPod(req.pod), slots);
        const scores = s instanceof Int32Array ? s : Int32Array.from(s);
        if (scores.length !== n) throw new Error(`score answered ${scores.length} scores for ${n} nodes`);
        return writeResponse({}, scores, 0);
      }
      case OP_VALIDATE:
        try {
          api.validate(toRequest(req.request));
          return writeResponse({ allowed: true }, null, 0);
        } catch (e) {
          const d = guestErr(e);
          if (d) return writeResponse({ allowed: false, message: d.denied }, null, 0);
          throw e;
        }
      case OP_MUTATE:
        try {
          const patch = api.mutate(toRequest(req.request));
          return writeResponse({ allowed: true, patch: patch ?? null }, null, 0);
        } catch (e) {
          const d = guestErr(e);
          if (d) return writeResponse({ allowed: false, message: d.denied }, null, 0);
          throw e;
        }
      default:
        return writeResponse({ error: `unknown operation ${op}` }, null, 2);
    }
  } catch (e) {
    const configureErr = op === OP_CONFIGURE ? guestErr(e) : undefined;
    if (configureErr) return writeResponse({ error: configureErr.denied, config: true }, null, 1);
    // a trap poisons the instance: start a clean one; the host re-sends its node table
    const trapped = e instanceof WebAssembly.RuntimeError || /trapped|unreachable/i.test(String(e?.message));
    let reinstantiated = false;
    if (trapped) {
      try {
        fresh();
        reinstantiated = true;
      } catch {}
    }
    writeResponse({ error: e instanceof Error ? e.message : String(e), trapped, reinstantiated, instances }, null, 1);
  }
}

parentPort.postMessage({ ready: true, world, exports: Object.keys(api) });

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
