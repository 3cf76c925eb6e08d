// `skiff wasm test`: a policy component run against nodes, pods and admission requests from a YAML
// file, without a cluster, in the same sandbox the scheduler uses. Pods are placed one after another
// (each on its best node, whose requests then grow), so a file can show bin-packing or spreading;
// `expect` blocks turn the file into assertions.
import { CachedNode, podInfoOf } from '@skiff/plugin-scheduler';
import type { KObject, AdmissionOperation } from '@skiff/kernel';
import { ComponentCache } from './component-cache.ts';
import { GuestCalls } from './guest-calls.ts';
import { GuestSandbox, OP } from './sandbox.ts';
import { ADMISSION_POLICY_EXPORTS, guestRequest } from './admission-plugin.ts';
import { SCHEDULER_POLICY_EXPORTS } from './scheduler-plugin.ts';
import { checkExports } from './wasm-plugin-kit.ts';
import { WasmSchedulerPolicy } from './scheduler-policy.ts';

export interface PodExpectation {
  /** the node the pod lands on; null: it fits nowhere */
  node?: string | null;
  fits?: string[];
  /** node -> reason (a substring of it) */
  rejected?: Record<string, string>;
  scores?: Record<string, number>;
}

export interface RequestExpectation {
  allowed?: boolean;
  /** a substring of the denial message */
  message?: string;
  /** the JSON patch the policy returns (compared as JSON) */
  patch?: unknown[] | null;
}

export interface PolicyTestFile {
  /** the guest's config */
  config?: Record<string, unknown>;
  nodes?: KObject[];
  pods?: (KObject & { expect?: PodExpectation })[];
  requests?: { operation?: string; object: KObject; oldObject?: KObject; expect?: RequestExpectation }[];
}

export interface NodeVerdict {
  node: string;
  fits: boolean;
  reason?: string;
  score?: number;
}

export interface PodOutcome {
  pod: string;
  verdicts: NodeVerdict[];
  node: string | null;
  failures: string[];
}

export interface RequestOutcome {
  request: string;
  allowed: boolean;
  message?: string;
  patch?: unknown;
  failures: string[];
}

export interface PolicyTestResult {
  world: 'scheduler-policy' | 'admission-policy';
  pods: PodOutcome[];
  requests: RequestOutcome[];
  ok: boolean;
}

const silent = { logger: { warn() {} } };
/** WebAssembly policies keep no per-cycle state on the host side */
const noState = { read: () => undefined, write() {} };

export async function runPolicyTest(bytes: Uint8Array, file: PolicyTestFile, opts: { cache?: ComponentCache; callTimeoutMs?: number; memoryLimitMb?: number } = {}): Promise<PolicyTestResult> {
  const cache = opts.cache ?? new ComponentCache();
  const component = await cache.load(bytes, (opts.memoryLimitMb ?? 64) * 1024 * 1024);
  const world = component.exports.includes('filter') ? 'scheduler-policy' : 'admission-policy';
  checkExports(component.exports, world === 'scheduler-policy' ? SCHEDULER_POLICY_EXPORTS : ADMISSION_POLICY_EXPORTS, world);
  const sandbox = await GuestSandbox.start({ component, world, callTimeoutMs: opts.callTimeoutMs ?? 1_000 });
  const calls = new GuestCalls(silent);
  try {
    const r = sandbox.configure(JSON.stringify(file.config ?? {}));
    if (!r.ok) throw new Error(`the policy rejected its config: ${r.message}`);
    const result: PolicyTestResult = { world, pods: [], requests: [], ok: true };
    if (world === 'scheduler-policy') {
      const caps = r.json.capabilities as { filter: boolean; score: boolean };
      result.pods = schedule(sandbox, calls, { ...caps, filterScore: component.exports.includes('filterScore') }, file);
    }
    else result.requests = admit(sandbox, calls, file);
    result.ok = [...result.pods, ...result.requests].every((o) => o.failures.length === 0);
    return result;
  } finally {
    calls.stop();
    sandbox.stop();
  }
}

function schedule(sandbox: GuestSandbox, calls: GuestCalls, caps: { filter: boolean; score: boolean; filterScore: boolean }, file: PolicyTestFile): PodOutcome[] {
  const policy = new WasmSchedulerPolicy('test', sandbox, calls, 'Fail', caps);
  const nodes = (file.nodes ?? []).map((o, i) => {
    const n = new CachedNode(o.metadata?.name ?? `node-${i}`);
    n.setNode(o);
    return n;
  });
  const out: PodOutcome[] = [];
  for (const [i, obj] of (file.pods ?? []).entries()) {
    const { expect, ...podObj } = obj;
    const pod = podObj as KObject;
    pod.metadata = { namespace: 'default', uid: `test-uid-${i}`, ...pod.metadata };
    pod.metadata.name ??= `pod-${i}`;
    const info = podInfoOf(pod);
    const state = noState;
    const failures: string[] = [];
    const filtered = policy.beginFilterBatch ? policy.beginFilterBatch(state, info, nodes)() : nodes.map(() => ({ code: 'Success' as const }));
    const verdicts: NodeVerdict[] = nodes.map((n, j) => {
      const s = filtered[j];
      const fits = s.code === 'Success' || s.code === 'Skip';
      return fits ? { node: n.name, fits } : { node: n.name, fits, reason: (s.reasons ?? []).join(', ') || s.code };
    });
    if (filtered.some((s) => s.code === 'Error')) failures.push(`the policy failed: ${calls.lastError ?? 'error'}`);
    const fitting = nodes.filter((_, j) => verdicts[j].fits);
    if (policy.beginScoreBatch && fitting.length) {
      const scores = policy.beginScoreBatch(state, info, fitting)();
      fitting.forEach((n, j) => (verdicts.find((v) => v.node === n.name)!.score = scores[j]));
    }
    let best: CachedNode | undefined;
    for (const n of fitting) if (!best || (verdicts.find((v) => v.node === n.name)!.score ?? 0) > (verdicts.find((v) => v.node === best!.name)!.score ?? 0)) best = n;
    if (best) best.addPod({ ...info, nodeName: best.name });
    const name = `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (expect) failures.push(...checkPod(expect, verdicts, best?.name ?? null));
    out.push({ pod: name, verdicts, node: best?.name ?? null, failures });
  }
  return out;
}

function checkPod(e: PodExpectation, verdicts: NodeVerdict[], node: string | null): string[] {
  const f: string[] = [];
  const v = (n: string) => verdicts.find((x) => x.node === n);
  if (e.node !== undefined && e.node !== node) f.push(`expected node ${e.node ?? '(none)'}, got ${node ?? '(none)'}`);
  for (const n of e.fits ?? []) if (!v(n)?.fits) f.push(`expected it to fit ${n}${v(n)?.reason ? `, rejected: ${v(n)!.reason}` : ''}`);
  for (const [n, why] of Object.entries(e.rejected ?? {})) {
    const x = v(n);
    if (!x || x.fits) f.push(`expected ${n} to reject it (${why}), it fits`);
    else if (!x.reason?.includes(why)) f.push(`expected ${n} to reject it with "${why}", got "${x.reason}"`);
  }
  for (const [n, s] of Object.entries(e.scores ?? {})) if (v(n)?.score !== s) f.push(`expected score ${s} on ${n}, got ${v(n)?.score ?? '(none)'}`);
  return f;
}

function admit(sandbox: GuestSandbox, calls: GuestCalls, file: PolicyTestFile): RequestOutcome[] {
  return (file.requests ?? []).map((r, i) => {
    const op = (r.operation ?? 'CREATE').toUpperCase() as AdmissionOperation;
    const o = r.object ?? {};
    const [group, version] = String(o.apiVersion ?? 'v1').includes('/') ? String(o.apiVersion).split('/') : ['', String(o.apiVersion ?? 'v1')];
    const req = guestRequest({ operation: op, kind: { group, version, kind: o.kind ?? '' }, object: o as KObject, oldObject: r.oldObject, dryRun: false });
    const failures: string[] = [];
    const label = `${op} ${o.kind ?? '?'} ${o.metadata?.name ?? `#${i}`}`;
    let allowed = true;
    let message: string | undefined;
    let patch: unknown;
    for (const which of [OP.mutate, OP.validate] as const) {
      const res = calls.record(which === OP.mutate ? 'mutate' : 'validate', sandbox.call(which, { request: req }));
      if (!res.ok) {
        failures.push(`the policy failed: ${res.message}`);
        allowed = false;
        break;
      }
      if (res.json.allowed === false) {
        allowed = false;
        message = String(res.json.message ?? '');
        break;
      }
      if (which === OP.mutate && typeof res.json.patch === 'string') patch = JSON.parse(res.json.patch);
    }
    const e = r.expect;
    if (e) {
      if (e.allowed !== undefined && e.allowed !== allowed) failures.push(`expected ${e.allowed ? 'allowed' : 'denied'}, got ${allowed ? 'allowed' : `denied: ${message}`}`);
      if (e.message !== undefined && !(message ?? '').includes(e.message)) failures.push(`expected a message with "${e.message}", got "${message ?? ''}"`);
      if (e.patch !== undefined && JSON.stringify(e.patch ?? null) !== JSON.stringify(patch ?? null)) failures.push(`expected patch ${JSON.stringify(e.patch)}, got ${JSON.stringify(patch ?? null)}`);
    }
    return { request: label, allowed, message, patch, failures };
  });
}
