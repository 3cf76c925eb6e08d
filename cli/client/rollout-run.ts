// The `rollout` subcommands end to end: find the objects, act on each (errors do not stop the others,
// as kubectl's ContinueOnError builder), print kubectl's lines, and report the errors at the end.
import type { ClientContext } from './context.ts';
import { boolFlag, dryRunFlag, dryRunSuffix, durationFlag, intFlag } from './rollout-flags.ts';
import { historyOperation, revisionsOf, viewHistory, workloadKind } from './rollout-history.ts';
import { PAST, patchFor, type PatchVerb } from './rollout-patch.ts';
import { statusViewerFor } from './rollout-status.ts';
import { errorLine, findTargets, nameOf, resourceString, type TargetFlags } from './rollout-targets.ts';
import { undo } from './rollout-undo.ts';
import { waitForRollout } from './rollout-wait.ts';
import { resourcePath } from './resources.ts';

const REQUIRED = 'required resource not specified';

/** kubectl's CheckErr for what a command collected: one error with `error: `, several one per line. */
export function printErrors(ctx: Pick<ClientContext, 'err'>, errors: string[]): number {
  if (!errors.length) return 0;
  if (errors.length === 1) ctx.err(errorLine(errors[0]!) + '\n');
  else for (const e of errors) ctx.err(e + '\n');
  return 1;
}

function requireResources(args: string[], flags: TargetFlags): void {
  if (!args.length && !flags.filename?.length) throw new Error(REQUIRED);
}

function revisionFlag(flag: string, v: string | undefined): number {
  const n = intFlag(flag, v, 0);
  if (n < 0) throw new Error(`revision must be a positive integer: ${n}`);
  return n;
}

const messageOf = (e: unknown) => (e as Error)?.message ?? String(e);
/** A server error wrapped by kubectl with %v: only its message. */
const bare = (e: unknown) => messageOf(e).replace(/^Error from server( \([^)]*\))?: /, '');

export interface StatusFlags extends TargetFlags {
  watch?: string | boolean;
  revision?: string;
  timeout?: string;
}

export async function rolloutStatus(ctx: ClientContext, args: string[], flags: StatusFlags): Promise<number> {
  requireResources(args, flags);
  const revision = revisionFlag('revision', flags.revision);
  const watch = boolFlag('watch', flags.watch, true);
  const timeoutMs = durationFlag('timeout', flags.timeout);
  const { targets, errors } = await findTargets(ctx, args, flags, { allowEmptySelector: true });
  const failed: string[] = [];
  for (const t of targets) {
    try {
      await waitForRollout(ctx, t, statusViewerFor(t.r), { watch, revision, timeoutMs });
    } catch (e) {
      failed.push(messageOf(e));
    }
  }
  if (!targets.length && !errors.length) ctx.err(`No resources found in ${ctx.namespace} namespace.\n`);
  return printErrors(ctx, [...failed, ...errors]);
}

export async function rolloutHistory(ctx: ClientContext, args: string[], flags: TargetFlags & { revision?: string }): Promise<number> {
  requireResources(args, flags);
  const revision = revisionFlag('revision', flags.revision);
  const { targets, errors } = await findTargets(ctx, args, flags, { allowEmptySelector: true });
  const failed: string[] = [];
  for (const t of targets) {
    try {
      const kind = workloadKind(t.r, 'history viewer', 'error retrieving history');
      const { revisions } = await revisionsOf(ctx, kind, t.ns ?? ctx.namespace, t.name);
      ctx.out(`${nameOf(t)} ${historyOperation(viewHistory(revisions, revision), revision)}\n`);
    } catch (e) {
      failed.push(messageOf(e));
    }
  }
  return printErrors(ctx, [...failed, ...errors]);
}

export async function rolloutUndo(ctx: ClientContext, args: string[], flags: TargetFlags & { toRevision?: string; dryRun?: string | boolean }): Promise<number> {
  const dryRun = dryRunFlag(flags.dryRun);
  requireResources(args, flags);
  const to = intFlag('to-revision', flags.toRevision, 0);
  const { targets, errors } = await findTargets(ctx, args, flags, { allowEmptySelector: true });
  const failed: string[] = [];
  for (const t of targets) {
    try {
      const kind = workloadKind(t.r, 'rollbacker', 'error retrieving rollbacker');
      const result = await undo(ctx, kind, t.ns ?? ctx.namespace, t.name, to, dryRun);
      ctx.out(`${nameOf(t)} ${result}${dryRunSuffix(dryRun)}\n`);
    } catch (e) {
      failed.push(messageOf(e));
    }
  }
  return printErrors(ctx, [...failed, ...errors]);
}

/** restart, pause and resume: one strategic merge patch per object. */
export async function rolloutPatch(ctx: ClientContext, verb: PatchVerb, args: string[], flags: TargetFlags, now: () => Date = () => new Date()): Promise<number> {
  requireResources(args, flags);
  const { targets, errors } = await findTargets(ctx, args, flags, { allowEmptySelector: true });
  if (!targets.length && !errors.length) {
    ctx.err(`No resources found in ${ctx.namespace} namespace.\n`);
    return 0;
  }
  const failed: string[] = [];
  for (const t of targets) {
    let patch: Record<string, unknown>;
    try {
      patch = patchFor(verb, t.r, t.object, now());
    } catch (e) {
      failed.push(`error: ${resourceString(t.r)} "${t.name}" ${messageOf(e)}`);
      continue;
    }
    if (!Object.keys(patch).length) {
      if (verb === 'pause') ctx.out(`${nameOf(t)} already paused\n`);
      else if (verb === 'resume') ctx.out(`${nameOf(t)} already resumed\n`);
      else failed.push(`failed to create patch for ${t.name}: if restart has already been triggered within the past second, please wait before attempting to trigger another`);
      continue;
    }
    try {
      await ctx.client.request('PATCH', resourcePath(t.r, t.ns, t.name), { body: patch, contentType: 'application/strategic-merge-patch+json', query: { fieldManager: 'kubectl-rollout' } });
      ctx.out(`${nameOf(t)} ${PAST[verb]}\n`);
    } catch (e) {
      failed.push(`failed to patch: ${bare(e)}`);
    }
  }
  return printErrors(ctx, [...failed, ...errors]);
}
