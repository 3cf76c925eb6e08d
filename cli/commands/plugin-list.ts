// `skiff plugin ls` (a table of Plugin objects with their state and runtime figures, or -o json|yaml)
// and `skiff plugin rm <name...> [--purge]`.
import { PluginsResource } from '@skiff/kernel/plugins';
import type { KObject } from '@skiff/kernel';
import { age } from '@skiff/api';
import { asList, formatObject } from '../client/output.ts';
import { formatTable } from '../client/table.ts';
import type { PluginCliContext } from './plugin.ts';

export interface ListFlags {
  output?: string;
}

export interface RemoveFlags {
  purge?: boolean;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const field = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (isObj(v) ? v[k] : undefined), o);
const code = (e: unknown) => (e as { code?: number } | null)?.code;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export const LIST_HEADERS = ['NAME', 'TYPE', 'VERSION', 'STATE', 'RELOADS', 'CALLS', 'P50', 'P99', 'ERRORS', 'AGE'];

/** A duration in µs for people: 850µs, 1.5ms, 2.25s; `-` when absent. */
export function formatMicros(v: unknown): string {
  const us = num(v);
  if (us === undefined) return '-';
  if (us < 1_000) return `${Math.round(us)}µs`;
  if (us < 1_000_000) return `${+(us / 1_000).toFixed(1)}ms`;
  return `${+(us / 1_000_000).toFixed(2)}s`;
}

const count = (v: unknown): string => {
  const n = num(v);
  return n === undefined ? '-' : String(n);
};

/** One table row of a Plugin object. */
export function pluginRow(o: KObject, nowMs = Date.now()): string[] {
  const rt = field(o, 'status', 'runtime');
  const state = o.metadata.deletionTimestamp ? 'Terminating' : (field(o, 'status', 'state') as string | undefined) ?? 'Pending';
  return [
    o.metadata.name ?? '',
    String(field(o, 'spec', 'type') ?? '-'),
    String(field(o, 'status', 'version') ?? field(o, 'spec', 'version') ?? '-'),
    state,
    String(num(field(o, 'status', 'reloads')) ?? 0),
    count(field(rt, 'calls')),
    formatMicros(field(rt, 'callP50Us')),
    formatMicros(field(rt, 'callP99Us')),
    count(field(rt, 'errors')),
    age(o.metadata.creationTimestamp, nowMs),
  ];
}

export function parseListFormat(f: ListFlags): '' | 'json' | 'yaml' {
  const o = (f.output ?? '').trim();
  if (o === '' || o === 'json' || o === 'yaml') return o;
  throw new Error(`unknown output format "${o}": use json or yaml (or nothing, for a table)`);
}

export async function runList(ctx: PluginCliContext, format: '' | 'json' | 'yaml'): Promise<number> {
  const list = await ctx.kernel.list(PluginsResource);
  const items = [...list.items].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  if (format) {
    ctx.out(await formatObject(asList(items.map((o) => ({ ...o, apiVersion: o.apiVersion || 'plugins.skiff.io/v1alpha1', kind: o.kind || 'Plugin' }))), format));
    return 0;
  }
  if (!items.length) {
    ctx.err('No plugins found.\n');
    return 0;
  }
  const now = Date.now();
  ctx.out(formatTable(LIST_HEADERS, items.map((o) => pluginRow(o, now))).join('\n') + '\n');
  return 0;
}

/** Delete Plugin objects (and with `purge` their artifacts, unless another Plugin object uses them). */
export async function runRemove(ctx: PluginCliContext, names: string[], f: RemoveFlags): Promise<number> {
  let failed = 0;
  for (const name of names) {
    let obj: KObject;
    try {
      obj = await ctx.kernel.get(PluginsResource, undefined, name);
      await ctx.kernel.delete(PluginsResource, undefined, name);
    } catch (e) {
      if (code(e) !== 404) throw e;
      ctx.err(`error: plugin "${name}" not found\n`);
      failed++;
      continue;
    }
    ctx.out(`plugin/${name} deleted\n`);
    if (!f.purge) continue;
    const artifact = field(obj, 'spec', 'source', 'artifact');
    if (typeof artifact !== 'string' || !artifact) {
      ctx.out(`plugin/${name} had no artifact: nothing to purge\n`);
      continue;
    }
    const users = (await ctx.kernel.list(PluginsResource)).items
      .filter((o) => o.metadata.name !== name && !names.includes(o.metadata.name ?? '') && field(o, 'spec', 'source', 'artifact') === artifact)
      .map((o) => `plugin/${o.metadata.name}`);
    if (users.length) {
      ctx.out(`artifact ${artifact} kept: still used by ${users.join(', ')}\n`);
      continue;
    }
    ctx.out((await ctx.artifacts.delete(artifact)) ? `artifact ${artifact} deleted\n` : `artifact ${artifact} was not in the object store\n`);
  }
  return failed ? 1 : 0;
}
