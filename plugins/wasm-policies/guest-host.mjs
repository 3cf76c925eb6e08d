// A component instance and the calls the host makes on it: turning the host's JSON-shaped request
// into the values jco's glue takes, calling the export, and shaping the answer. Shared by the
// worker sandbox (wasm-worker.mjs) and the inline one (inline-sandbox.ts). Plain JS: the worker
// loads it without a TypeScript loader (the build copies it beside dist/skiff.mjs).
//
// A trap poisons a component instance (jco refuses further calls), so after one the guest is
// instantiated again and `configure` replayed; `instances` counts them, the caller re-sends its
// node table.

import { directCalls } from './direct-abi.mjs';

export const OP_CONFIGURE = 1, OP_FILTER = 2, OP_SCORE = 3, OP_VALIDATE = 4, OP_MUTATE = 5, OP_UPDATE_NODES = 6, OP_FILTER_SCORE = 7;

/**
 * @param {(getCoreModule: (name: string) => WebAssembly.Module, imports: object, instantiateCore?: (m: WebAssembly.Module, i: object) => WebAssembly.Instance) => any} instantiate the glue's
 * @param {Record<string, WebAssembly.Module>} modules compiled core modules by name
 * @param {(m: WebAssembly.Module, i: object) => WebAssembly.Instance} [instantiateCore]
 * @param {() => void} [beforeInstantiate] called before every (re-)instantiation
 * @param {{ direct?: boolean }} [options] direct: the component is made for direct calls (direct-abi.mjs)
 */
export function createGuest(instantiate, modules, instantiateCore, beforeInstantiate, options = {}) {
  let api;
  /** the hot calls without jco's glue, when the component allows it */
  let direct;
  let lastConfig;
  let instances = 0;
  function fresh() {
    beforeInstantiate?.();
    const get = (name) => {
      const m = modules[name];
      if (!m) throw new Error(`the component asks for a core module the host does not have: ${name}`);
      return m;
    };
    const cores = [];
    const core = (m, i) => {
      const inst = instantiateCore ? instantiateCore(m, i) : new WebAssembly.Instance(m, i);
      cores.push(inst);
      return inst;
    };
    api = instantiate(get, {}, core);
    direct = options.direct && cores.length === 1 ? directCalls(cores[0].exports) : undefined;
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
    if (!usage || !usage.length) return;
    if (direct) direct.updateUsage(usage);
    else api.updateUsage(usage.map((u) => ({ slot: u.slot >>> 0, requested: resources(u.requested), podCount: u.podCount >>> 0 })));
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

  /**
   * One call. `slots`: a Uint32Array (or undefined). Returns { kind: 0 ok | 1 guest error | 2 host
   * error, json, payload? } — payload: verdicts (u8), scores (i32), or both (verdicts, padding to 4,
   * scores) for filter-score.
   */
  function call(op, req, slots) {
    const n = slots ? slots.length : 0;
    try {
      switch (op) {
        case OP_CONFIGURE: {
          const caps = api.configure(req.config);
          lastConfig = req.config;
          return { kind: 0, json: { capabilities: caps } };
        }
        case OP_UPDATE_NODES:
          applyUpdates(req.updates, req.usage);
          return { kind: 0, json: {} };
        case OP_FILTER:
        case OP_SCORE:
        case OP_FILTER_SCORE: {
          applyUpdates(req.updates, req.usage);
          if (direct) {
            if (op === OP_FILTER_SCORE) {
              const r = direct.filterScore(req.pod, slots);
              return { kind: 0, json: { reasons: r.reasons }, payload: r.payload };
            }
            if (op === OP_FILTER) {
              const r = direct.filter(req.pod, slots);
              return { kind: 0, json: { reasons: r.reasons }, payload: r.verdicts };
            }
            const s = direct.score(req.pod, slots);
            return { kind: 0, json: {}, payload: new Uint8Array(s.buffer, s.byteOffset, n * 4) };
          }
          if (op === OP_FILTER_SCORE) {
            const r = api.filterScore(toPod(req.pod), slots);
            const verdicts = r.filter.verdicts instanceof Uint8Array ? r.filter.verdicts : Uint8Array.from(r.filter.verdicts);
            const scores = r.scores instanceof Int32Array ? r.scores : Int32Array.from(r.scores);
            if (verdicts.length !== n || scores.length !== n) throw new Error(`filter-score answered ${verdicts.length} verdicts and ${scores.length} scores for ${n} nodes`);
            const both = new Uint8Array(((n + 3) & ~3) + n * 4);
            both.set(verdicts, 0);
            both.set(new Uint8Array(scores.buffer, scores.byteOffset, n * 4), (n + 3) & ~3);
            return { kind: 0, json: { reasons: r.filter.reasons }, payload: both };
          }
          if (op === OP_FILTER) {
            const r = api.filter(toPod(req.pod), slots);
            const verdicts = r.verdicts instanceof Uint8Array ? r.verdicts : Uint8Array.from(r.verdicts);
            if (verdicts.length !== n) throw new Error(`filter answered ${verdicts.length} verdicts for ${n} nodes`);
            return { kind: 0, json: { reasons: r.reasons }, payload: verdicts };
          }
          const s = api.score(toPod(req.pod), slots);
          const scores = s instanceof Int32Array ? s : Int32Array.from(s);
          if (scores.length !== n) throw new Error(`score answered ${scores.length} scores for ${n} nodes`);
          return { kind: 0, json: {}, payload: new Uint8Array(scores.buffer, scores.byteOffset, n * 4) };
        }
        case OP_VALIDATE:
          try {
            api.validate(toRequest(req.request));
            return { kind: 0, json: { allowed: true } };
          } catch (e) {
            const d = guestErr(e);
            if (d) return { kind: 0, json: { allowed: false, message: d.denied } };
            throw e;
          }
        case OP_MUTATE:
          try {
            const patch = api.mutate(toRequest(req.request));
            return { kind: 0, json: { allowed: true, patch: patch ?? null } };
          } catch (e) {
            const d = guestErr(e);
            if (d) return { kind: 0, json: { allowed: false, message: d.denied } };
            throw e;
          }
        default:
          return { kind: 2, json: { error: `unknown operation ${op}` } };
      }
    } catch (e) {
      const configureErr = op === OP_CONFIGURE ? guestErr(e) : undefined;
      if (configureErr) return { kind: 1, json: { error: configureErr.denied, config: true } };
      // a trap poisons the instance: start a clean one; the host re-sends its node table
      const trapped = e instanceof WebAssembly.RuntimeError || /trapped|unreachable/i.test(String(e?.message));
      let reinstantiated = false;
      if (trapped) {
        try {
          fresh();
          reinstantiated = true;
        } catch {}
      }
      return { kind: 1, json: { error: e instanceof Error ? e.message : String(e), trapped, reinstantiated, instances } };
    }
  }

  return {
    call,
    /** whether the hot calls skip jco's glue (direct-abi.mjs) */
    get direct() {
      return direct !== undefined;
    },
    exports: () => Object.keys(api),
    get instances() {
      return instances;
    },
  };
}
