// `skiff delete <type> <name...> | --all | -f <file>`: DeleteOptions (propagationPolicy,
// gracePeriodSeconds), `<kind> "<name>" deleted`, then (--wait) until every object is gone.
import type { ClientContext } from './context.ts';
import type { Manifest } from './manifests.ts';
import { namespaceFor } from './apply.ts';
import { kindRef, resourcePath, type ApiResource } from './resources.ts';
import { isNotFound, StatusError } from '@skiff/client/rest';

export interface DeleteFlags {
  all?: boolean;
  cascade?: string;
  gracePeriod?: string;
  wait?: boolean;
  ignoreNotFound?: boolean;
  selector?: string;
  /** ms, default 60 s */
  timeout?: number;
}

interface Target {
  r: ApiResource;
  ns: string | undefined;
  name: string;
  source?: string;
}

const POLICIES: Record<string, string> = { background: 'Background', foreground: 'Foreground', orphan: 'Orphan', true: 'Background', false: 'Orphan' };

export function deleteOptions(flags: Pick<DeleteFlags, 'cascade' | 'gracePeriod'>): Record<string, unknown> {
  const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
  if (flags.cascade !== undefined) {
    const p = POLICIES[flags.cascade.toLowerCase()];
    if (!p) throw new Error(`error: invalid cascade value (${flags.cascade}). Must be "background", "foreground", or "orphan".`);
    body.propagationPolicy = p;
  }
  if (flags.gracePeriod !== undefined && flags.gracePeriod !== '-1') {
    if (!/^\d+$/.test(flags.gracePeriod)) throw new Error(`error: invalid grace period "${flags.gracePeriod}"`);
    body.gracePeriodSeconds = Number(flags.gracePeriod);
  }
  return body;
}

/** Targets named on the command line (or all of a type, with --all / -l). */
export async function targetsByType(ctx: ClientContext, type: string, names: string[], flags: DeleteFlags): Promise<Target[]> {
  const r = await ctx.resources.resolve(type);
  const ns = r.namespaced ? ctx.namespace : undefined;
  if (names.length && (flags.all || flags.selector)) throw new Error('error: name cannot be provided when a selector or --all is specified');
  if (!names.length && !flags.all && !flags.selector) throw new Error(`error: resource(s) were provided, but no name was specified`);
  if (names.length) return names.map((name) => ({ r, ns, name }));
  const list = await ctx.client.get<{ items?: { metadata: { name: string; namespace?: string } }[] }>(resourcePath(r, ns), { query: { labelSelector: flags.selector } });
  return (list.items ?? []).map((o) => ({ r, ns: o.metadata.namespace ?? ns, name: o.metadata.name }));
}

/** Targets from manifests, last first: objects go before the namespaces (and CRDs) applied ahead of them. */
export async function targetsOf(ctx: ClientContext, manifests: Manifest[]): Promise<Target[]> {
  const out: Target[] = [];
  for (const m of manifests) {
    const r = await ctx.resources.forObject(m.object.apiVersion, m.object.kind);
    if (!m.object.metadata.name) throw new Error(`error: ${m.source}: resource name may not be empty`);
    out.push({ r, ns: namespaceFor(ctx, r, m.object), name: m.object.metadata.name, source: m.source });
  }
  return out.reverse();
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** Resolves once GET answers 404: watches for DELETED (field selector on the name), polls as a fallback. */
export async function waitUntilGone(ctx: ClientContext, t: Target, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const path = resourcePath(t.r, t.ns, t.name);
  while (Date.now() < deadline) {
    let rv: string | undefined;
    try {
      rv = (await ctx.client.get(path))?.metadata?.resourceVersion;
    } catch (e) {
      if (isNotFound(e)) return true;
      throw e;
    }
    const left = deadline - Date.now();
    try {
      const w = await ctx.client.watch(resourcePath(t.r, t.ns), {
        query: { fieldSelector: `metadata.name=${t.name}`, resourceVersion: rv, timeoutSeconds: Math.max(1, Math.ceil(left / 1000)) },
      });
      const timer = setTimeout(() => w.stop(), left);
      try {
        for await (const ev of w) if (ev.type === 'DELETED') return true;
      } finally {
        clearTimeout(timer);
        w.stop();
      }
    } catch (e) {
      if (!(e instanceof StatusError) || e.code === 401 || e.code === 403) throw e;
      await sleep(Math.min(500, Math.max(0, deadline - Date.now()))); // 410 Gone, an unsupported field selector, ...: poll
    }
  }
  return false;
}

export async function deleteAll(ctx: ClientContext, targets: Target[], flags: DeleteFlags): Promise<number> {
  const body = deleteOptions(flags);
  let failed = false;
  const deleted: Target[] = [];
  for (const t of targets) {
    try {
      await ctx.client.request('DELETE', resourcePath(t.r, t.ns, t.name), { body });
      ctx.out(`${kindRef(t.r)} "${t.name}" deleted\n`);
      deleted.push(t);
    } catch (e) {
      if (flags.ignoreNotFound && isNotFound(e)) continue;
      failed = true;
      const se = e instanceof StatusError ? e : undefined;
      const msg = se && t.source ? `Error from server${se.reason ? ` (${se.reason})` : ''}: error when deleting "${t.source}": ${se.status.message ?? ''}` : (e as Error).message;
      ctx.err(msg + '\n');
    }
  }
  if (!targets.length && !flags.ignoreNotFound) {
    const ns = ctx.namespace;
    ctx.err(`No resources found${ns ? ` in ${ns} namespace` : ''}\n`);
  }
  if (flags.wait !== false) {
    const timeout = flags.timeout ?? 60_000;
    const results = await Promise.all(deleted.map(async (t) => ({ t, gone: await waitUntilGone(ctx, t, timeout) })));
    for (const { t, gone } of results) {
      if (!gone) {
        failed = true;
        ctx.err(`error: timed out waiting for the condition on ${t.r.name}/${t.name}\n`);
      }
    }
  }
  return failed ? 1 : 0;
}
