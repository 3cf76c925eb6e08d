// Components turned into something a worker can run: jco's `transpile` in instantiation mode (ESM
// mode leaks a module graph on every reload) gives a JS glue file and core modules. The glue is
// written once per component digest under the cache directory (reused across restarts), the core
// modules are memory-capped and compiled here, off the worker, and the last few are kept compiled.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ABI_ARENA, componentAbi } from './abi-section.ts';
import { instrumentFuel } from './fuel.ts';
import { capModuleMemory } from './memory-cap.ts';
import { wasm, type CompiledModule } from './wasm-api.ts';

export interface LoadedComponent {
  /** sha256:<hex> of the component bytes */
  digest: string;
  /** the instantiation-mode glue: `instantiate(getCoreModule, imports)` */
  glueFile: string;
  /** core modules by the file name the glue asks for, compiled with the memory cap */
  modules: Record<string, CompiledModule>;
  /** the component's exported functions */
  exports: string[];
  /** interfaces the component imports (none for AssemblyScript policies) */
  imports: string[];
  /** built by Skiff's SDK with its per-call arena: the hot calls may skip jco's glue (direct-abi.mjs) */
  direct: boolean;
}

const GLUE = 'component.js';
const META = 'meta.json';
/** the instrumented core module beside the plain one (the suffix names the instrumentation's version) */
const FUEL_SUFFIX = '.fuel2';

export function defaultCacheDir(): string {
  return join(process.env.SKIFF_HOME ?? join(tmpdir(), 'skiff'), 'wasm-cache');
}

export class ComponentCache {
  private readonly compiled = new Map<string, Promise<LoadedComponent>>();

  constructor(
    readonly dir = defaultCacheDir(),
    /** compiled components kept in memory (least recently used goes first) */
    private readonly keep = 8,
  ) {}

  /**
   * Glue and compiled, memory-capped core modules for `bytes`; `fuel`: with a step budget check at
   * every function entry and loop header (for guests run on the host's own thread, see fuel.ts).
   */
  load(bytes: Uint8Array, memoryLimitBytes: number, fuel = false): Promise<LoadedComponent> {
    const digest = 'sha256:' + createHash('sha256').update(bytes).digest('hex');
    const key = `${digest}/${memoryLimitBytes}/${fuel}`;
    let p = this.compiled.get(key);
    if (p) {
      this.compiled.delete(key); // most recently used goes last
      this.compiled.set(key, p);
      return p;
    }
    p = this.build(bytes, digest, memoryLimitBytes, fuel);
    this.compiled.set(key, p);
    p.catch(() => this.compiled.delete(key));
    while (this.compiled.size > this.keep) this.compiled.delete(this.compiled.keys().next().value!);
    return p;
  }

  private async build(bytes: Uint8Array, digest: string, memoryLimitBytes: number, fuel: boolean): Promise<LoadedComponent> {
    const dir = join(this.dir, digest.replace(':', '-'));
    if (!existsSync(join(dir, META))) await this.transpile(bytes, dir);
    const meta = JSON.parse(readFileSync(join(dir, META), 'utf8')) as { exports: string[]; imports: string[] };
    const modules: Record<string, CompiledModule> = {};
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.wasm')) continue;
      let core: Uint8Array = readFileSync(join(dir, f));
      if (fuel) {
        // instrumented once per component, kept beside the glue
        const file = join(dir, `${f}${FUEL_SUFFIX}`);
        if (existsSync(file)) core = readFileSync(file);
        else {
          core = await instrumentFuel(core);
          writeFileSync(`${file}.tmp-${process.pid}`, core);
          renameSync(`${file}.tmp-${process.pid}`, file);
        }
      }
      modules[f] = await wasm.compile(capModuleMemory(core, memoryLimitBytes));
    }
    return { digest, glueFile: join(dir, GLUE), modules, ...meta, direct: componentAbi(bytes) === ABI_ARENA && Object.keys(modules).length === 1 };
  }

  /** jco transpile into a fresh directory, then rename it into place (readers never see half a cache entry). */
  private async transpile(bytes: Uint8Array, dir: string): Promise<void> {
    const { transpile } = await import('@bytecodealliance/jco');
    let out: Awaited<ReturnType<typeof transpile>>;
    try {
      out = await transpile(bytes, { name: 'component', instantiation: 'sync', noTypescript: true, quiet: true, base64Cutoff: 0 });
    } catch (e) {
      throw new Error(`not a valid WebAssembly component: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
    mkdirSync(tmp, { recursive: true });
    for (const [name, data] of Object.entries(out.files)) {
      if (name.endsWith('.d.ts')) continue;
      writeFileSync(join(tmp, name), data);
    }
    writeFileSync(join(tmp, META), JSON.stringify({ exports: out.exports.map(([n]) => n), imports: out.imports }));
    try {
      renameSync(tmp, dir);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(join(dir, META))) throw e; // not a concurrent writer that got there first
    }
  }
}
