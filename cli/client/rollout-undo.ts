// `rollout undo`: kubectl's rollbackers. A Deployment gets, by JSON patch, the pod template of the
// ReplicaSet with the wanted revision (default: the one before the latest), less its
// pod-template-hash label, and that ReplicaSet's annotations (except the ones the controller and
// kubectl apply own); a DaemonSet or StatefulSet gets its ControllerRevision's data as a strategic
// merge patch. A template that already matches is "skipped rollback".
import type { ClientContext } from './context.ts';
import { fetchControllerRevisions, fetchReplicaSets, fetchWorkload, type WorkloadKind } from './rollout-history.ts';
import { POD_TEMPLATE_HASH, equalIgnoreHash, revisionMatches, templateOfRevision } from './rollout-revisions.ts';
import { revisionOf } from './rollout-status.ts';
import { describePodTemplate } from './rollout-template.ts';
import type { Obj } from './rollout-targets.ts';

export type DryRun = 'none' | 'client' | 'server';

export const ROLLED_BACK = 'rolled back';
export const SKIPPED = 'skipped rollback';

/** Deployment annotations a rollback keeps from the Deployment, never copying them from the ReplicaSet. */
export const ANNOTATIONS_TO_SKIP = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  'deployment.kubernetes.io/revision',
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

export type UndoPlan =
  /** nothing to send: print the text after the name (a skip, or a client dry run) */
  | { action: 'print'; text: string }
  | { action: 'patch'; patchType: 'json' | 'strategic'; body: unknown };

const revisionNotFound = (r: number) => new Error(`unable to find specified revision ${r} in history`);

/** kubectl's deploymentRevision: the ReplicaSet of revision `to`, or (0) of the second-highest revision. */
export function replicaSetForRevision(d: Obj, all: Obj[], to: number): Obj {
  let latest: { v: number; rs?: Obj } = { v: -1 };
  let previous: { v: number; rs?: Obj } = { v: -1 };
  for (const rs of all) {
    let v: number;
    try {
      v = revisionOf(rs);
    } catch {
      continue;
    }
    if (to === 0) {
      if (latest.v < v) {
        previous = latest;
        latest = { v, rs };
      } else if (previous.v < v) previous = { v, rs };
    } else if (v === to) return rs;
  }
  if (to > 0) throw revisionNotFound(to);
  if (!previous.rs) throw new Error(`no rollout history found for deployment "${d.metadata?.name}"`);
  return previous.rs;
}

/** The JSON patch that restores a ReplicaSet's template and annotations onto its Deployment. */
export function deploymentRollbackPatch(d: Obj, rs: Obj): unknown[] {
  const template: Obj = structuredClone(rs.spec?.template ?? {});
  if (template.metadata?.labels) delete template.metadata.labels[POD_TEMPLATE_HASH];
  const annotations: Record<string, string> = {};
  const own = (d.metadata?.annotations ?? {}) as Record<string, string>;
  for (const k of ANNOTATIONS_TO_SKIP) if (k in own) annotations[k] = own[k]!;
  for (const [k, v] of Object.entries((rs.metadata?.annotations ?? {}) as Record<string, string>)) if (!ANNOTATIONS_TO_SKIP.has(k)) annotations[k] = v;
  return [
    { op: 'replace', path: '/spec/template', value: template },
    { op: 'replace', path: '/metadata/annotations', value: annotations },
  ];
}

export function planDeploymentUndo(d: Obj, all: Obj[], to: number, dryRun: DryRun): UndoPlan {
  if (to < 0) throw revisionNotFound(to);
  const rs = replicaSetForRevision(d, all, to);
  if (dryRun === 'client') return { action: 'print', text: describePodTemplate(rs.spec?.template) };
  if (d.spec?.paused) throw new Error("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again");
  if (equalIgnoreHash(rs.spec?.template, d.spec?.template)) return { action: 'print', text: `${SKIPPED} (current template already matches revision ${to})` };
  return { action: 'patch', patchType: 'json', body: deploymentRollbackPatch(d, rs) };
}

/** kubectl's findHistory: revision `to`, or (0) the second-highest. */
export function findHistory(to: number, crs: Obj[]): Obj | undefined {
  if (to === 0 && crs.length <= 1) return undefined;
  if (to === 0) return [...crs].sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0))[crs.length - 2];
  return crs.find((cr) => cr.revision === to);
}

export function planHistoryUndo(owner: Obj, crs: Obj[], to: number, dryRun: DryRun): UndoPlan {
  if (to < 0) throw revisionNotFound(to);
  if (to === 0 && crs.length <= 1) throw new Error('no last revision to roll back to');
  const cr = findHistory(to, crs);
  if (!cr) throw revisionNotFound(to);
  if (dryRun === 'client') return { action: 'print', text: `will roll back to ${describePodTemplate(templateOfRevision(owner, cr))}` };
  if (revisionMatches(owner, cr)) return { action: 'print', text: `${SKIPPED} (current template already matches revision ${to})` };
  return { action: 'patch', patchType: 'strategic', body: cr.data };
}

const PATCH_TYPES = { json: 'application/json-patch+json', strategic: 'application/strategic-merge-patch+json' } as const;

/** Rolls one workload back; resolves to what kubectl prints after its name (before any dry-run suffix). */
export async function undo(ctx: ClientContext, kind: WorkloadKind, ns: string, name: string, to: number, dryRun: DryRun): Promise<string> {
  if (to < 0) throw revisionNotFound(to);
  let object: Obj;
  try {
    object = await fetchWorkload(ctx, kind, ns, name);
  } catch (e) {
    throw kind === 'Deployment' ? new Error((e as Error).message.replace(/^failed to retrieve deployment/, 'failed to retrieve Deployment')) : e;
  }
  let plan: UndoPlan;
  if (kind === 'Deployment') {
    let all: Obj[];
    try {
      all = (await fetchReplicaSets(ctx, object)).all;
    } catch (e) {
      throw new Error(`failed to retrieve replica sets from deployment ${name}: ${(e as Error).message}`);
    }
    plan = planDeploymentUndo(object, all, to, dryRun);
  } else {
    plan = planHistoryUndo(object, await fetchControllerRevisions(ctx, object), to, dryRun);
  }
  if (plan.action === 'print') return plan.text;
  const plural = kind === 'Deployment' ? 'deployments' : kind === 'DaemonSet' ? 'daemonsets' : 'statefulsets';
  try {
    await ctx.client.request('PATCH', `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/${plural}/${encodeURIComponent(name)}`, {
      body: plan.body,
      contentType: PATCH_TYPES[plan.patchType],
      query: { dryRun: dryRun === 'server' ? 'All' : undefined },
    });
  } catch (e) {
    throw new Error(`failed restoring revision ${to}: ${(e as Error).message.replace(/^Error from server( \([^)]*\))?: /, '')}`);
  }
  return ROLLED_BACK;
}
