// Where the SDK's own files are (assembly/, wit/, templates/, examples/), wherever @skiff/wasm-sdk
// is installed: beside this module, or — when this module is bundled into another file (the CLI's
// dist/skiff.mjs) — where the @skiff/wasm-sdk package resolves from the bundle.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const POLICY_WORLDS = ['scheduler-policy', 'admission-policy'] as const;
export type PolicyWorld = (typeof POLICY_WORLDS)[number];

const isSdkRoot = (dir: string) => existsSync(join(dir, 'wit', 'policy.wit')) && existsSync(join(dir, 'assembly', 'index.ts'));

function findSdkRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  if (isSdkRoot(here)) return here;
  try {
    const pkg = dirname(createRequire(import.meta.url).resolve('@skiff/wasm-sdk'));
    if (isSdkRoot(pkg)) return pkg;
  } catch {
    // not resolvable from here
  }
  throw new Error(`cannot find the @skiff/wasm-sdk files (assembly/, wit/) beside ${here} or through the @skiff/wasm-sdk package`);
}

let root: string | undefined;

/**
 * A path inside the SDK: `assembly` (the AssemblyScript sources, imported as "skiff"), `wit`,
 * `templates`, `examples`. Looked up on first use, so importing the package never fails.
 */
export function sdkPath(...parts: string[]): string {
  return join((root ??= findSdkRoot()), ...parts);
}

let witText: Promise<string> | undefined;

/** The WIT package text (jco's wasm tools get it as text: their sandboxed filesystem cannot read host paths). */
export function policyWit(): Promise<string> {
  return (witText ??= readFile(sdkPath('wit', 'policy.wit'), 'utf8'));
}
