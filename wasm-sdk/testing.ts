// Test helper: runs a policy component the way the host does, through jco's `transpile` in
// instantiation mode (glue JS + core modules written to a temp dir, the glue imported, then
// `instantiate(getCoreModule, imports)`). Also hands back the guest's linear memory, for tests.
import { transpile } from '@bytecodealliance/jco';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { NodeInfo, PodInfo, Resources as ResourceMap } from '@skiff/plugin-scheduler/framework';
import { buildComponent } from './build.ts';
import { sdkPath, type PolicyWorld } from './sdk-paths.ts';
import type { WitLabel, WitNode, WitPod, WitResources, WitToleration } from './wit-values.ts';

// WebAssembly's JS API, the part used here (the project's libs declare no WebAssembly types)
type CoreModule = object;
interface CoreInstance {
  exports: Record<string, unknown>;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => CoreModule;
  Instance: new (module: CoreModule, imports: object) => CoreInstance;
};

export interface LoadedComponent<T> {
  exports: T;
  /** the byte length of the guest's linear memory (the policy's core module's) */
  memoryBytes: () => number;
  dispose: () => Promise<void>;
}

type Instantiate = (
  getCoreModule: (path: string) => CoreModule,
  imports: Record<string, unknown>,
  instantiateCore?: (module: CoreModule, imports: object) => CoreInstance,
) => unknown;

export async function loadComponent<T>(bytes: Uint8Array, name = 'policy', imports: Record<string, unknown> = {}): Promise<LoadedComponent<T>> {
  const { files } = await transpile(bytes, { name, instantiation: 'sync', noTypescript: true });
  const dir = await mkdtemp(join(tmpdir(), 'skiff-wasm-'));
  for (const [file, contents] of Object.entries(files)) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), contents);
  }
  const glue = (await import(pathToFileURL(join(dir, `${name}.js`)).href)) as { instantiate: Instantiate };
  const modules = new Map<string, CoreModule>();
  const getCoreModule = (path: string) => {
    let m = modules.get(path);
    if (!m) modules.set(path, (m = new WebAssembly.Module(files[path])));
    return m;
  };
  let memory: { buffer: ArrayBuffer } | undefined;
  const instantiateCore = (module: CoreModule, importObject: object) => {
    const instance = new WebAssembly.Instance(module, importObject);
    memory ??= instance.exports.memory as { buffer: ArrayBuffer } | undefined;
    return instance;
  };
  const exports = glue.instantiate(getCoreModule, imports, instantiateCore) as T;
  return {
    exports,
    memoryBytes: () => memory?.buffer.byteLength ?? 0,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

// ---------------------------------------------------------------------------------------------
// The scheduler's NodeInfo / PodInfo as WIT values (what a host sends)

const NAMED = new Set(['cpu', 'memory', 'ephemeral-storage', 'pods']);
/** a node that reports no pod capacity is not limited: send the largest s64 */
const UNLIMITED = (1n << 63n) - 1n;

export function witResources(r: ResourceMap, podsIfMissing = 0n): WitResources {
  return {
    milliCpu: BigInt(r.cpu ?? 0),
    memory: BigInt(r.memory ?? 0),
    ephemeralStorage: BigInt(r['ephemeral-storage'] ?? 0),
    pods: r.pods === undefined ? podsIfMissing : BigInt(r.pods),
    extended: Object.entries(r)
      .filter(([name]) => !NAMED.has(name))
      .map(([name, value]) => ({ name, value: BigInt(value) })),
  };
}

const labels = (m: Record<string, string>): WitLabel[] => Object.entries(m).map(([key, value]) => ({ key, value }));
const EFFECTS = { NoSchedule: 'no-schedule', PreferNoSchedule: 'prefer-no-schedule', NoExecute: 'no-execute' } as const;

export function witNode(n: NodeInfo): WitNode {
  return {
    name: n.name,
    labels: labels(n.labels),
    taints: n.taints.map((t) => ({ key: t.key, value: t.value ?? '', effect: EFFECTS[t.effect] })),
    unschedulable: n.unschedulable,
    allocatable: witResources(n.allocatable, UNLIMITED),
    requested: witResources(n.requested),
    podCount: n.pods.length,
  };
}

export function witPod(p: PodInfo): WitPod {
  const spec = (p.pod?.spec ?? {}) as { nodeSelector?: Record<string, string>; tolerations?: Partial<WitToleration>[] };
  return {
    namespace: p.namespace,
    name: p.name,
    uid: p.uid,
    labels: labels(p.labels),
    requests: witResources(p.requests),
    priority: p.priority,
    schedulerName: p.schedulerName,
    nodeSelector: labels(spec.nodeSelector ?? {}),
    tolerations: (spec.tolerations ?? []).map((t) => ({ key: t.key ?? '', operator: t.operator ?? '', value: t.value ?? '', effect: t.effect ?? '' })),
  };
}

// ---------------------------------------------------------------------------------------------
// Building policies from inline sources, as a project outside the repo would

/** Builds an AssemblyScript policy given as source text, from a temp project outside the repo. */
export async function buildSource(source: string, world: PolicyWorld): Promise<Uint8Array> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-policy-src-'));
  try {
    await mkdir(join(dir, 'assembly'));
    await writeFile(join(dir, 'assembly', 'index.ts'), source);
    return (await buildComponent({ entry: join(dir, 'assembly', 'index.ts'), world })).bytes;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The path of an example's policy source. */
export const examplePath = (name: string, file = 'assembly/index.ts') => sdkPath('examples', name, file);

/** A deterministic PRNG (mulberry32) for generated clusters. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
