// Compiles an AssemblyScript policy to a core wasm module with asc's programmatic API, in memory.
//
// The policy imports the SDK as "skiff" (or "skiff/<file>"): asc looks packages up in node_modules
// directories, and every `node_modules/skiff/` path it asks for is served from the SDK's assembly/
// directory, so a project needs no install step. A virtual second entry re-exports the world's
// canonical ABI exports (assembly/<world>-exports.ts); the policy file itself exports nothing.
import type { Transform } from 'assemblyscript/asc';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { sdkPath, type PolicyWorld } from './sdk-paths.ts';

const WORLD_ENTRY = '__skiff_world_exports__.ts';
const OUT_FILE = 'policy.wasm';
const SDK_PATH = /^.*[\\/]node_modules[\\/]skiff[\\/](.*)$/;

/** Core export names that are not AssemblyScript identifiers, as the canonical ABI names them. */
const RENAMED_EXPORTS: Record<string, string> = {
  update_nodes: 'update-nodes',
  update_usage: 'update-usage',
  filter_score: 'filter-score',
  cabi_post_filter_score: 'cabi_post_filter-score',
};

export async function compileAssemblyScript(entry: string, world: PolicyWorld, optimize: boolean): Promise<Uint8Array> {
  const baseDir = dirname(resolve(entry));
  const worldEntrySource = `export * from "skiff/${world === 'scheduler-policy' ? 'scheduler' : 'admission'}-exports";\n`;
  const outputs = new Map<string, Uint8Array | string>();
  // loaded on first use: the compiler (with binaryen) takes ~0.5 s to load, which every other
  // command of the CLI would otherwise pay
  const { default: asc } = await import('assemblyscript/asc');
  const stderr = asc.createMemoryStream();
  const args = [
    basename(entry),
    WORLD_ENTRY,
    '--baseDir', baseDir,
    '--outFile', OUT_FILE,
    // minimal: collection only when the SDK asks (at the end of a call, see assembly/arena.ts)
    '--runtime', 'minimal',
    // no env.abort import: aborts trap
    '--use', 'abort=~lib/skiff/abort/trapAbort',
    '--noColors',
    ...(optimize ? ['-O3'] : ['--debug']),
  ];
  const result = await asc.main(args, {
    stdout: asc.createMemoryStream(),
    stderr,
    readFile: async (filename, dir) => {
      const path = resolve(dir, filename);
      if (path === join(baseDir, WORLD_ENTRY)) return worldEntrySource;
      const sdk = SDK_PATH.exec(path);
      return readOrNull(sdk ? sdkPath('assembly', sdk[1]) : path);
    },
    writeFile: (name, contents) => void outputs.set(name, contents),
    listFiles: () => [],
    transforms: [RenameExports as unknown as Transform],
  });
  if (result.error) throw new Error(`AssemblyScript compilation of ${entry} failed:\n${stderr.toString() || result.error.message}`);
  const bytes = outputs.get(OUT_FILE);
  if (!(bytes instanceof Uint8Array)) throw new Error(`asc produced no ${OUT_FILE}`);
  return bytes;
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null;
  }
}

/** The part of binaryen's API used to rename exports. */
interface Binaryen {
  getExportInfo(ref: number): { name: string; value: string };
}
interface BinaryenModule {
  getExport(name: string): number;
  removeExport(name: string): void;
  addFunctionExport(internalName: string, externalName: string): number;
}

/** An asc transform (a class: asc instantiates it and sets `binaryen` on its prototype). */
class RenameExports {
  declare readonly binaryen: Binaryen;

  afterCompile(module: BinaryenModule): void {
    for (const [from, to] of Object.entries(RENAMED_EXPORTS)) {
      const ref = module.getExport(from);
      if (!ref) continue;
      const { value: internalName } = this.binaryen.getExportInfo(ref);
      module.removeExport(from);
      module.addFunctionExport(internalName, to);
    }
  }
}
