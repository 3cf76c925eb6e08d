// The objects a workload command (rollout ..., scale) acts on, found as kubectl's resource builder
// finds them: `TYPE NAME...`, `TYPE/NAME...`, a TYPE alone (every object of it in the namespace, where
// the command allows that), `-l SELECTOR`, or `-f FILE`. Each object is fetched fresh (the builder's
// Latest()); a failure for one object is kept and reported after the others are done.
import { namespaceFor } from './apply.ts';
import { parseResourceArgs } from './args.ts';
import type { ClientContext } from './context.ts';
import { readManifests } from './manifests.ts';
import { kindRef, resourcePath, type ApiResource } from './resources.ts';

export type Obj = Record<string, any>;

export interface Target {
  r: ApiResource;
  ns: string | undefined;
  name: string;
  /** the object as the server has it now */
  object: Obj;
}

export interface TargetFlags {
  selector?: string;
  filename?: string[];
  recursive?: boolean;
  /** scale's --all */
  all?: boolean;
}

export interface TargetOptions {
  /** a TYPE alone selects every object of it (rollout: yes; scale: only with --all) */
  allowEmptySelector: boolean;
}

/** The builder's error when nothing names a resource (kubectl prints it for `scale --replicas=1`). */
export const MISSING_RESOURCE = `You must provide one or more resources by argument or filename.
Example resource specifications include:
   '-f rsrc.yaml'
   '--filename=rsrc.json'
   '<resource> <name>'
   '<resource>'`;

/** What the arguments ask for, before anything is fetched: throws kubectl's usage errors. */
export function planTargets(args: string[], flags: TargetFlags, o: TargetOptions): { type: string; names: string[] }[] {
  if (flags.filename?.length) {
    if (args.length) throw new Error('error: you must provide resources by argument or filename, not both');
    return [];
  }
  if (!args.length) throw new Error(`error: ${MISSING_RESOURCE}`);
  const groups = parseResourceArgs(args);
  const named = groups.some((g) => g.names.length > 0);
  if (named && flags.selector) throw new Error('error: name cannot be provided when a selector is specified');
  if (!named && !flags.selector && !o.allowEmptySelector && !flags.all) throw new Error('error: resource(s) were provided, but no name was specified');
  return groups;
}

/** `deployments.apps`: how kubectl names a resource in `<resource> "<name>"` error messages. */
export const resourceString = (r: Pick<ApiResource, 'name' | 'group'>): string => (r.group ? `${r.name}.${r.group}` : r.name);

/** `deployment.apps/web`: kubectl's name printer, before its operation word. */
export const nameOf = (t: Pick<Target, 'r' | 'name'>): string => `${kindRef(t.r)}/${t.name}`;

/** Fetches the targets; errors (a missing object, an unknown type) are returned, not thrown. */
export async function findTargets(ctx: ClientContext, args: string[], flags: TargetFlags, o: TargetOptions): Promise<{ targets: Target[]; errors: string[] }> {
  const groups = planTargets(args, flags, o);
  const targets: Target[] = [];
  const errors: string[] = [];
  const fetchOne = async (r: ApiResource, ns: string | undefined, name: string) => {
    try {
      targets.push({ r, ns, name, object: await ctx.client.get(resourcePath(r, ns, name)) });
    } catch (e) {
      errors.push((e as Error).message);
    }
  };
  if (flags.filename?.length) {
    for (const m of await readManifests(flags.filename, { recursive: flags.recursive })) {
      const r = await ctx.resources.forObject(m.object.apiVersion, m.object.kind);
      if (!m.object.metadata.name) throw new Error(`error: ${m.source}: resource name may not be empty`);
      await fetchOne(r, namespaceFor(ctx, r, m.object), m.object.metadata.name);
    }
    return { targets, errors };
  }
  for (const g of groups) {
    const r = await ctx.resources.resolve(g.type);
    const ns = r.namespaced ? ctx.namespace : undefined;
    if (g.names.length) {
      for (const name of g.names) await fetchOne(r, ns, name);
      continue;
    }
    const list = await ctx.client.get<{ items?: Obj[] }>(resourcePath(r, ns), { query: { labelSelector: flags.selector } });
    for (const item of list.items ?? []) targets.push({ r, ns: item.metadata?.namespace ?? ns, name: item.metadata?.name, object: item });
  }
  return { targets, errors };
}

/** kubectl's CheckErr: `error: ` before a message unless it is a server error or already has it. */
export function errorLine(msg: string): string {
  return /^(error: |Error from server)/.test(msg) ? msg : `error: ${msg}`;
}
