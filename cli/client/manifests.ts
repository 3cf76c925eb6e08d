// Objects from `-f` arguments: YAML (multi-document) or JSON files, directories of them, or stdin
// (`-`); `kind: List` (and `*List` kinds with items) expand to their items.
import { loadYaml } from '../yaml-lazy.ts';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; generateName?: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string>; resourceVersion?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface Manifest {
  source: string;
  object: KObject;
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

function expand(v: unknown, source: string, out: Manifest[]): void {
  if (v === null || v === undefined) return; // empty document
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`error: ${source}: a manifest must be an object, got ${Array.isArray(v) ? 'an array' : typeof v}`);
  const o = v as Record<string, unknown>;
  if (typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items)) {
    for (const item of o.items) expand(item, source, out);
    return;
  }
  if (typeof o.apiVersion !== 'string' || !o.apiVersion) throw new Error(`error: ${source}: apiVersion not set`);
  if (typeof o.kind !== 'string' || !o.kind) throw new Error(`error: ${source}: kind not set`);
  if (o.metadata === undefined) o.metadata = {};
  if (typeof o.metadata !== 'object' || o.metadata === null) throw new Error(`error: ${source}: metadata must be an object`);
  out.push({ source, object: o as KObject });
}

/**
 * Parses one file's text (JSON is YAML, so one parser serves both). The YAML library is loaded here,
 * when a manifest is read, not when the CLI starts (`skiff get` does not need it).
 */
export async function parseManifests(text: string, source: string): Promise<Manifest[]> {
  const { parseAllDocuments } = await loadYaml();
  const out: Manifest[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`error: ${source}: ${doc.errors[0]!.message}`);
    expand(doc.toJSON(), source, out);
  }
  return out;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function filesOf(path: string, recursive: boolean, top: boolean): Promise<string[]> {
  const s = await stat(path).catch(() => {
    throw new Error(`error: the path "${path}" does not exist`);
  });
  if (!s.isDirectory()) return top || EXTENSIONS.has(extname(path).toLowerCase()) ? [path] : [];
  if (!top && !recursive) return [];
  const entries = (await readdir(path)).sort();
  const out: string[] = [];
  for (const e of entries) out.push(...(await filesOf(join(path, e), recursive, false)));
  return out;
}

/** Reads every `-f` argument in order. */
export async function readManifests(paths: string[], opts: { recursive?: boolean } = {}): Promise<Manifest[]> {
  const out: Manifest[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push(...(await parseManifests(await readStdin(), 'STDIN')));
      continue;
    }
    for (const f of await filesOf(p, opts.recursive ?? false, true)) out.push(...(await parseManifests(await readFile(f, 'utf8'), f)));
  }
  return out;
}
