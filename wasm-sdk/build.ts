// buildComponent: a policy source file -> a WebAssembly component for one of the policy worlds.
//
// - AssemblyScript (`.ts`): asc (in memory) -> core module with the SDK's hand-written canonical ABI
//   exports -> componentEmbed + componentNew. Small (tens of KB) and fast at run time.
// - JavaScript (`.js`, `.mjs`): componentize-js, which embeds the SpiderMonkey-based StarlingMonkey
//   engine: a ~12 MB component whose JS is interpreted (no AOT here), so each call is much slower.
//   Supported for convenience; not for hot paths.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { compileAssemblyScript } from './compile-assemblyscript.ts';
import { componentizeJs } from './componentize-js.ts';
import { coreToComponent } from './core-to-component.ts';
import { POLICY_WORLDS, type PolicyWorld } from './sdk-paths.ts';

export interface BuildOptions {
  /** the policy's source: an AssemblyScript `.ts` file, or a JavaScript `.js` / `.mjs` module */
  entry: string;
  world: PolicyWorld;
  /** also write the component there */
  outFile?: string;
  /** AssemblyScript: -O3 (default true); false: a debug build, quicker to compile and larger */
  optimize?: boolean;
}

export interface BuildResult {
  /** the component */
  bytes: Uint8Array;
  outFile?: string;
  sizeBytes: number;
  /** build time */
  ms: number;
}

export async function buildComponent(opts: BuildOptions): Promise<BuildResult> {
  const started = performance.now();
  if (!POLICY_WORLDS.includes(opts.world)) throw new Error(`unknown world ${JSON.stringify(opts.world)}: expected ${POLICY_WORLDS.join(' or ')}`);
  const entry = resolve(opts.entry);
  const ext = extname(entry);
  let bytes: Uint8Array;
  if (ext === '.ts') bytes = await coreToComponent(await compileAssemblyScript(entry, opts.world, opts.optimize ?? true), opts.world);
  else if (ext === '.js' || ext === '.mjs') bytes = await componentizeJs(entry, opts.world);
  else throw new Error(`cannot build ${opts.entry}: expected an AssemblyScript .ts file or a JavaScript .js / .mjs module`);
  let outFile: string | undefined;
  if (opts.outFile) {
    outFile = resolve(opts.outFile);
    await mkdir(dirname(outFile), { recursive: true });
    await writeFile(outFile, bytes);
  }
  return { bytes, outFile, sizeBytes: bytes.byteLength, ms: performance.now() - started };
}
