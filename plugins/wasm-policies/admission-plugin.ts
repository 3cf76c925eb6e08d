// A WebAssembly admission-policy component as a plugin descriptor: it registers a mutating handler
// (when the guest mutates) and a validating one (when it validates) with the kernel's admission
// chain. A denial is a 403 with the guest's message, as kube-apiserver words a webhook's; a guest
// that fails (timeout, trap) is handled by the plugin's failurePolicy in the chain.
import { applyPatch, errors, type AdmissionHandler, type AdmissionRequest, type Disposable, type KObject } from '@skiff/kernel';
import { definePlugin, type PluginDescriptor } from '@skiff/kernel/plugins';
import type { ComponentCache } from './component-cache.ts';
import { GuestCalls } from './guest-calls.ts';
import { GuestSandbox, OP } from './sandbox.ts';
import { checkExports, guestConfigOf, SANDBOX_CONFIG, type WasmPluginSpec } from './wasm-plugin-kit.ts';

export interface WasmAdmissionConfig {
  callTimeoutMs: number;
  memoryLimitMb: number;
  /** which requests the policy sees; omitted fields match everything */
  match?: { kinds?: string[]; groups?: string[]; operations?: string[]; namespaces?: string[] };
  policy?: Record<string, unknown>;
  [k: string]: unknown;
}

export const ADMISSION_POLICY_EXPORTS = ['configure', 'validate', 'mutate'];
const HOST_KEYS = ['callTimeoutMs', 'memoryLimitMb', 'match'];

function matcher(m: WasmAdmissionConfig['match']): (req: AdmissionRequest) => boolean {
  if (!m) return () => true;
  const kinds = m.kinds?.length ? new Set(m.kinds) : undefined;
  const groups = m.groups?.length ? new Set(m.groups) : undefined;
  const ops = m.operations?.length ? new Set(m.operations.map((o) => o.toUpperCase())) : undefined;
  const nss = m.namespaces?.length ? new Set(m.namespaces) : undefined;
  return (req) =>
    (!kinds || kinds.has(req.kind.kind)) &&
    (!groups || groups.has(req.kind.group)) &&
    (!ops || ops.has(req.operation)) &&
    (!nss || nss.has(req.object.metadata?.namespace ?? ''));
}

export function guestRequest(req: Pick<AdmissionRequest, 'operation' | 'object' | 'oldObject' | 'dryRun'> & { kind: { group: string; version: string; kind: string } }): Record<string, unknown> {
  const o = req.object;
  return {
    operation: req.operation.toLowerCase(),
    group: req.kind.group,
    version: req.kind.version,
    kind: req.kind.kind,
    namespace: o.metadata?.namespace ?? '',
    name: o.metadata?.name ?? '',
    labels: o.metadata?.labels ?? {},
    annotations: o.metadata?.annotations ?? {},
    object: req.operation === 'DELETE' ? '' : JSON.stringify(o),
    oldObject: req.oldObject ? JSON.stringify(req.oldObject) : undefined,
    dryRun: req.dryRun,
  };
}

export function wasmAdmissionPlugin(spec: WasmPluginSpec): PluginDescriptor<WasmAdmissionConfig> {
  return definePlugin<WasmAdmissionConfig>({
    name: spec.name,
    version: spec.version,
    type: 'skiff.io/admission',
    configSchema: {
      type: 'object',
      properties: {
        ...SANDBOX_CONFIG,
        match: {
          type: 'object',
          properties: {
            kinds: { type: 'array', items: { type: 'string' } },
            groups: { type: 'array', items: { type: 'string' } },
            operations: { type: 'array', items: { type: 'string', enum: ['CREATE', 'UPDATE', 'DELETE', 'create', 'update', 'delete'] } },
            namespaces: { type: 'array', items: { type: 'string' } },
          },
          additionalProperties: false,
        },
      },
      additionalProperties: true,
    },
    async start(ctx) {
      const component = await spec.cache.load(spec.bytes, ctx.config.memoryLimitMb * 1024 * 1024);
      checkExports(component.exports, ADMISSION_POLICY_EXPORTS, 'admission-policy');
      const calls = new GuestCalls(ctx);
      const sandbox = await GuestSandbox.start({ component, world: 'admission-policy', callTimeoutMs: ctx.config.callTimeoutMs, onRestart: (why) => calls.restarted(why) });
      const registrations: Disposable[] = [];
      try {
        const r = sandbox.configure(guestConfigOf(ctx.config, HOST_KEYS));
        if (!r.ok) throw new Error(`the policy rejected its config: ${r.message}`);
        const caps = (r.json.capabilities ?? {}) as { validate?: boolean; mutate?: boolean };
        if (!caps.validate && !caps.mutate) throw new Error('the policy implements neither validate nor mutate');
        const match = matcher(ctx.config.match);
        const failurePolicy = spec.failurePolicy ?? 'Fail';
        const denied = (message: unknown) => errors.forbidden(`admission webhook "${spec.name}" denied the request: ${String(message)}`);
        // asynchronous: other requests go on while the guest works
        const invoke = async (op: typeof OP.validate | typeof OP.mutate, req: AdmissionRequest) => {
          const res = calls.record(op === OP.validate ? 'validate' : 'mutate', await sandbox.callAsync(op, { request: guestRequest(req) }));
          if (!res.ok) throw new Error(res.message); // the chain applies the failure policy
          if (res.json.allowed === false) throw denied(res.json.message);
          return res.json;
        };
        // a deadline a little past the sandbox's: the sandbox answers (or cuts the guest off) first
        const timeoutMs = ctx.config.callTimeoutMs + 1_000;
        if (caps.mutate) {
          const h: AdmissionHandler = {
            name: spec.name,
            phase: 'mutating',
            match,
            timeoutMs,
            failurePolicy,
            async handle(req) {
              const out = await invoke(OP.mutate, req);
              if (typeof out.patch !== 'string' || out.patch === '') return undefined;
              let ops: unknown;
              try {
                ops = JSON.parse(out.patch);
              } catch {
                throw new Error(`the policy returned a patch that is not JSON: ${out.patch.slice(0, 200)}`);
              }
              return applyPatch(req.object, 'json', ops) as KObject;
            },
          };
          registrations.push(ctx.kernel.registerAdmission(h));
        }
        if (caps.validate) {
          registrations.push(
            ctx.kernel.registerAdmission({ name: spec.name, phase: 'validating', match, timeoutMs, failurePolicy, handle: async (req) => void (await invoke(OP.validate, req)) }),
          );
        }
        return {
          stop() {
            for (const d of registrations) d.dispose();
            calls.stop();
            sandbox.stop();
          },
        };
      } catch (e) {
        for (const d of registrations) d.dispose();
        calls.stop();
        sandbox.stop();
        throw e;
      }
    },
  });
}
