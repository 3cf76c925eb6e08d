// `skiff get <type> [name...]`: server-side tables (as kubectl asks for them), -o json|yaml|name|wide,
// selectors, -A, several types (`po,cm`, `pod/x`), and -w (the table, then rows as events arrive).
import { parseResourceArgs } from './args.ts';
import type { ClientContext } from './context.ts';
import { asList, formatName, formatObject, parseOutputFormat, withTypeMeta, type OutputFormat } from './output.ts';
import { TABLE_ACCEPT, type Query } from '@skiff/client/rest';
import { kindRef, resourcePath, type ApiResource } from './resources.ts';
import { TablePrinter, type Table } from './table.ts';

export interface GetFlags {
  output?: string;
  selector?: string;
  fieldSelector?: string;
  watch?: boolean;
}

type Obj = Record<string, any>;

interface Fetched {
  r: ApiResource;
  ns: string | undefined;
  table?: Table;
  objects: Obj[];
  resourceVersion?: string;
}

function noResources(ctx: ClientContext, r: ApiResource, ns: string | undefined): void {
  ctx.err(r.namespaced && ns ? `No resources found in ${ns} namespace.\n` : 'No resources found\n');
}

/** Prefixes each row's name cell with `kind/` (kubectl does when several types are printed). */
function prefixNames(t: Table, r: ApiResource): Table {
  const i = (t.columnDefinitions ?? []).findIndex((c) => c.format === 'name' || c.name === 'Name');
  if (i < 0) return t;
  return { ...t, rows: (t.rows ?? []).map((row) => ({ ...row, cells: row.cells.map((c, k) => (k === i ? `${kindRef(r)}/${c}` : c)) })) };
}

async function fetchOne(ctx: ClientContext, r: ApiResource, names: string[], table: boolean, query: Query, errors: string[]): Promise<Fetched> {
  const ns = r.namespaced && !ctx.allNamespaces ? ctx.namespace : undefined;
  const f: Fetched = { r, ns, objects: [] };
  if (!names.length) {
    if (table) {
      f.table = await ctx.client.get<Table>(resourcePath(r, ns), { accept: TABLE_ACCEPT, query });
      f.resourceVersion = f.table.metadata?.resourceVersion;
    } else {
      const list = await ctx.client.get<{ items?: Obj[]; metadata?: { resourceVersion?: string } }>(resourcePath(r, ns), { query });
      f.resourceVersion = list.metadata?.resourceVersion;
      f.objects = (list.items ?? []).map((o) => withTypeMeta(o, r));
    }
    return f;
  }
  if (ctx.allNamespaces && r.namespaced) throw new Error('error: a resource cannot be retrieved by name across all namespaces');
  for (const name of names) {
    try {
      if (table) {
        const t = await ctx.client.get<Table>(resourcePath(r, ns, name), { accept: TABLE_ACCEPT });
        f.table = f.table ? { ...f.table, rows: [...(f.table.rows ?? []), ...(t.rows ?? [])] } : t;
        f.resourceVersion = t.metadata?.resourceVersion;
      } else f.objects.push(withTypeMeta(await ctx.client.get(resourcePath(r, ns, name)), r));
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  return f;
}

async function printObjects(ctx: ClientContext, format: OutputFormat, fetched: Fetched[], single: boolean): Promise<void> {
  if (format === 'name') {
    for (const f of fetched) for (const o of f.objects) ctx.out(formatName(f.r, o.metadata?.name ?? ''));
    return;
  }
  const all = fetched.flatMap((f) => f.objects);
  if (single && all.length === 1) ctx.out(await formatObject(all[0], format as 'json' | 'yaml'));
  else ctx.out(await formatObject(asList(all), format as 'json' | 'yaml'));
}

export async function get(ctx: ClientContext, args: string[], flags: GetFlags): Promise<number> {
  const format = parseOutputFormat(flags.output);
  const groups = parseResourceArgs(args);
  const table = format === '' || format === 'wide';
  const query: Query = { labelSelector: flags.selector, fieldSelector: flags.fieldSelector };
  if (flags.watch && (groups.length > 1 || groups[0]!.names.length > 1)) {
    throw new Error('error: watch is only supported on individual resources and resource collections');
  }
  const errors: string[] = [];
  const fetched: Fetched[] = [];
  for (const g of groups) fetched.push(await fetchOne(ctx, await ctx.resources.resolve(g.type), g.names, table, query, errors));
  const byName = groups.some((g) => g.names.length > 0);
  const printers: TablePrinter[] = [];

  if (table) {
    let printed = 0;
    for (const f of fetched) {
      const printer = new TablePrinter(ctx.out, { wide: format === 'wide', withNamespace: ctx.allNamespaces && f.r.namespaced });
      printers.push(printer);
      if (!f.table?.rows?.length) {
        printer.print({ kind: 'Table', columnDefinitions: f.table?.columnDefinitions, rows: [] }); // keeps the columns for -w
        continue;
      }
      if (printed++) ctx.out('\n');
      printer.print(fetched.length > 1 ? prefixNames(f.table, f.r) : f.table);
    }
    if (!printed && !byName) noResources(ctx, fetched[0]!.r, fetched.length === 1 ? fetched[0]!.ns : undefined);
  } else {
    const empty = fetched.every((f) => !f.objects.length);
    if (empty && !byName && format === 'name') noResources(ctx, fetched[0]!.r, fetched[0]!.ns);
    if (!(empty && byName)) await printObjects(ctx, format, fetched, byName && groups.length === 1 && groups[0]!.names.length === 1);
  }
  for (const e of errors) ctx.err(e + '\n');

  if (flags.watch) {
    const f = fetched[0]!;
    const names = groups[0]!.names;
    const q: Query = { ...query, resourceVersion: f.resourceVersion };
    if (names.length) q.fieldSelector = [q.fieldSelector, `metadata.name=${names[0]}`].filter(Boolean).join(',');
    await watch(ctx, f.r, f.ns, q, format, printers[0]);
  }
  return errors.length ? 1 : 0;
}

/** Prints each event until the stream ends or the user presses Ctrl-C. */
async function watch(ctx: ClientContext, r: ApiResource, ns: string | undefined, query: Query, format: OutputFormat, printer: TablePrinter | undefined): Promise<void> {
  const w = await ctx.client.watch(resourcePath(r, ns), { query, accept: printer ? TABLE_ACCEPT : 'application/json' });
  const stop = () => w.stop();
  process.once('SIGINT', stop);
  try {
    for await (const ev of w) {
      if (ev.type === 'BOOKMARK') continue;
      if (printer) printer.print(ev.object as Table);
      else if (format === 'name') ctx.out(formatName(r, ev.object?.metadata?.name ?? ''));
      else ctx.out((format === 'yaml' ? '---\n' : '') + (await formatObject(withTypeMeta(ev.object, r), format as 'json' | 'yaml')));
    }
  } finally {
    process.off('SIGINT', stop);
  }
}
