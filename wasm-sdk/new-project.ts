// newProject: a starter policy project from templates/<world>/ (the policy in assembly/index.ts,
// skiff-policy.json, test.yaml for `skiff wasm test`, a README). Offline: the SDK is not installed
// into the project; the build serves `import ... from "skiff"`.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { POLICY_WORLDS, sdkPath, type PolicyWorld } from './sdk-paths.ts';

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface NewProject {
  dir: string;
  /** the files written, relative to dir */
  files: string[];
  /** the policy source to build */
  entry: string;
}

export async function newProject(dir: string, kind: PolicyWorld, name: string): Promise<NewProject> {
  if (!POLICY_WORLDS.includes(kind)) throw new Error(`unknown kind ${JSON.stringify(kind)}: expected ${POLICY_WORLDS.join(' or ')}`);
  if (!NAME.test(name)) throw new Error(`invalid name "${name}": use lower-case letters, digits and '-'`);
  const root = resolve(dir);
  const templateDir = sdkPath('templates', kind);
  const files = await listFiles(templateDir);
  const clash = files.find((f) => existsSync(join(root, f)));
  if (clash) throw new Error(`${join(root, clash)} already exists`);
  const vars: Record<string, string> = { name, className: className(name) };
  for (const f of files) {
    const text = await readFile(join(templateDir, f), 'utf8');
    await mkdir(dirname(join(root, f)), { recursive: true });
    await writeFile(join(root, f), text.replace(/\{\{(\w+)\}\}/g, (m, v: string) => vars[v] ?? m));
  }
  return { dir: root, files, entry: join(root, 'assembly', 'index.ts') };
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

/** "my-gpu-filter" -> "MyGpuFilter" (a class name; a leading digit gets a prefix). */
function className(name: string): string {
  const pascal = name.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
  return /^[0-9]/.test(pascal) ? `Policy${pascal}` : pascal;
}
