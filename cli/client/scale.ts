// `skiff scale`: kubectl's scaler over the `scale` subresource (autoscaling/v1 Scale). Without a
// precondition it sends a merge patch {"spec":{"replicas":N}}; with --current-replicas or
// --resource-version it reads the Scale, checks them, and writes it back (PUT), retrying on a 409
// Conflict every second for up to five minutes; --timeout then waits until the replicas are there.
import type { ClientContext } from './context.ts';
import { resourcePath } from './resources.ts';
import { dryRunFlag, dryRunSuffix, durationFlag, intFlag } from './rollout-flags.ts';
import { errorLine, findTargets, nameOf, type Obj, type Target, type TargetFlags } from './rollout-targets.ts';
import type { DryRun } from './rollout-undo.ts';
import { StatusError } from '@skiff/client/rest';

export interface ScaleFlags extends TargetFlags {
  replicas?: string;
  currentReplicas?: string;
  resourceVersion?: string;
  timeout?: string;
  dryRun?: string | boolean;
}

export interface ScaleOptions {
  replicas: number;
  /** -1: no precondition */
  currentReplicas: number;
  resourceVersion: string;
  /** ms to wait for the replicas after scaling; 0: do not wait */
  timeoutMs: number;
  dryRun: DryRun;
}

/** kubectl scale's flag checks (Complete + Validate). */
export function scaleOptions(flags: ScaleFlags): ScaleOptions {
  if (flags.replicas === undefined) throw new Error('required flag(s) "replicas" not set');
  const dryRun = dryRunFlag(flags.dryRun);
  const o: ScaleOptions = {
    replicas: intFlag('replicas', flags.replicas, 0),
    currentReplicas: intFlag('current-replicas', flags.currentReplicas, -1),
    resourceVersion: flags.resourceVersion ?? '',
    timeoutMs: durationFlag('timeout', flags.timeout),
    dryRun,
  };
  if (o.replicas < 0) throw new Error('The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0');
  if (o.currentReplicas < -1) throw new Error('The --current-replicas must specify an integer of -1 or greater');
  return o;
}

export interface Precondition {
  size: number;
  resourceVersion: string;
}

/** ScalePrecondition.validate: the message of the failed precondition, else undefined. */
export function preconditionFailure(scale: Obj, p: Precondition): string | undefined {
  const replicas = typeof scale.spec?.replicas === 'number' ? scale.spec.replicas : 0;
  if (p.size !== -1 && replicas !== p.size) return `Expected replicas to be ${p.size}, was ${replicas}`;
  const rv = scale.metadata?.resourceVersion ?? '';
  if (p.resourceVersion && rv !== p.resourceVersion) return `Expected resource version to be ${p.resourceVersion}, was ${rv}`;
  return undefined;
}

/** scaleHasDesiredReplicas: done when someone else changed the size, or the size is reached. */
export function scaleSynced(scale: Obj, desired: number): boolean {
  const spec = typeof scale.spec?.replicas === 'number' ? scale.spec.replicas : 0;
  const status = typeof scale.status?.replicas === 'number' ? scale.status.replicas : 0;
  return spec !== desired || (spec === status && desired === status);
}

export interface Timing {
  retryIntervalMs: number;
  retryTimeoutMs: number;
  pollIntervalMs: number;
}
const KUBECTL_TIMING: Timing = { retryIntervalMs: 1000, retryTimeoutMs: 5 * 60_000, pollIntervalMs: 1000 };

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** ScaleSimple: one attempt. */
async function scaleSimple(ctx: ClientContext, path: string, replicas: number, pre: Precondition | undefined, dryRun: boolean): Promise<void> {
  const query = { dryRun: dryRun ? 'All' : undefined };
  if (!pre) {
    await ctx.client.request('PATCH', path, { body: { spec: { replicas } }, contentType: 'application/merge-patch+json', query });
    return;
  }
  const scale = await ctx.client.get<Obj>(path);
  const failed = preconditionFailure(scale, pre);
  if (failed) throw new Error(failed);
  scale.spec = { ...scale.spec, replicas };
  await ctx.client.request('PUT', path, { body: scale, query });
}

/** Scaler.Scale for one object: retried on conflicts, then (timeout > 0) waits for the replicas. */
export async function scaleOne(ctx: ClientContext, t: Pick<Target, 'r' | 'ns' | 'name'>, o: ScaleOptions, timing: Timing = KUBECTL_TIMING): Promise<void> {
  const path = resourcePath(t.r, t.ns, t.name) + '/scale';
  const pre = o.currentReplicas !== -1 || o.resourceVersion ? { size: o.currentReplicas, resourceVersion: o.resourceVersion } : undefined;
  const retryUntil = Date.now() + timing.retryTimeoutMs;
  for (;;) {
    try {
      await scaleSimple(ctx, path, o.replicas, pre, o.dryRun === 'server');
      break;
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 409)) throw e;
      if (Date.now() + timing.retryIntervalMs > retryUntil) throw new Error('timed out waiting for the condition');
      await sleep(timing.retryIntervalMs);
    }
  }
  if (o.timeoutMs <= 0 || o.dryRun !== 'none') return;
  const until = Date.now() + o.timeoutMs;
  for (;;) {
    if (scaleSynced(await ctx.client.get<Obj>(path), o.replicas)) return;
    if (Date.now() + timing.pollIntervalMs > until) throw new Error(`timed out waiting for "${t.name}" to be synced`);
    await sleep(timing.pollIntervalMs);
  }
}

/** The whole command; resolves to the exit code. Like kubectl, it stops at the first object that fails. */
export async function scale(ctx: ClientContext, args: string[], flags: ScaleFlags, timing?: Timing): Promise<number> {
  const o = scaleOptions(flags);
  const { targets, errors } = await findTargets(ctx, args, flags, { allowEmptySelector: false });
  if (o.resourceVersion && targets.length > 1) throw new Error('cannot use --resource-version with multiple resources');
  if (!targets.length) {
    // kubectl wraps the builder's error with %w: a server error loses its "Error from server" prefix
    if (errors.length) throw new Error(`no objects passed to scale ${errors.map((e) => e.replace(/^Error from server( \([^)]*\))?: /, '')).join('\n')}`);
    throw new Error('no objects passed to scale');
  }
  for (const t of targets) {
    if (o.dryRun !== 'client') await scaleOne(ctx, t, o, timing);
    ctx.out(`${nameOf(t)} scaled${dryRunSuffix(o.dryRun)}\n`);
  }
  for (const e of errors) ctx.err(errorLine(e) + '\n');
  return errors.length ? 1 : 0;
}
