// `rollout history`: the revisions of a Deployment (its ReplicaSets) or of a DaemonSet or StatefulSet
// (its ControllerRevisions) as kubectl's history viewers print them — a REVISION / CHANGE-CAUSE table,
// or with --revision N that revision's pod template.
import { labelSelectorString } from '@skiff/api';
import type { ClientContext } from './context.ts';
import type { ApiResource } from './resources.ts';
import { revisionOf, groupKind } from './rollout-status.ts';
import { CHANGE_CAUSE, controlledBy, deploymentReplicaSets, templateOfRevision } from './rollout-revisions.ts';
import { describePodTemplate } from './rollout-template.ts';
import type { Obj } from './rollout-targets.ts';

export type WorkloadKind = 'Deployment' | 'DaemonSet' | 'StatefulSet';

/** apps.GroupKindElement.Accept: the kinds kubectl's visitors know; only three have rollouts. */
const VISITED: [string[], string][] = [
  [['apps', 'extensions'], 'DaemonSet'],
  [['apps', 'extensions'], 'Deployment'],
  [['batch'], 'Job'],
  [['', 'core'], 'Pod'],
  [['apps', 'extensions'], 'ReplicaSet'],
  [['', 'core'], 'ReplicationController'],
  [['apps'], 'StatefulSet'],
  [['batch'], 'CronJob'],
];

/**
 * The workload kind behind a resource for history and undo, else kubectl's error for it: `what` is
 * "history viewer" or "rollbacker", `verb` is "retrieving history" or "retrieving rollbacker".
 */
export function workloadKind(r: Pick<ApiResource, 'group' | 'kind'>, what: 'history viewer' | 'rollbacker', verb: string): WorkloadKind {
  const known = VISITED.find(([groups, kind]) => groups.includes(r.group) && kind === r.kind);
  if (!known) throw new Error(`${verb} for "${groupKind(r)}", no visitor method exists for {${r.group} ${r.kind}}`);
  if (r.kind === 'Deployment' || r.kind === 'DaemonSet' || r.kind === 'StatefulSet') return r.kind;
  throw new Error(`no ${what} has been implemented for "${groupKind(r)}"`);
}

/** Go's tabwriter (minwidth 0, padding 2): every cell but a line's last padded to its column's width + 2. */
export function tabbed(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.slice(0, -1).forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((row) => row.map((c, i) => (i < row.length - 1 ? c.padEnd(widths[i]! + 2) : c)).join('') + '\n').join('');
}

/** One revision: its number, change cause, and the pod template it rolls out. */
export interface Revision {
  revision: number;
  changeCause?: string;
  template: Obj | undefined;
}

/** Deployment: from its ReplicaSets; the change cause joins the template's annotations, as kubectl shows it. */
export function deploymentRevisions(rss: Obj[], warn: (s: string) => void = () => {}): Map<number, Revision> {
  const out = new Map<number, Revision>();
  for (const rs of rss) {
    let v: number;
    try {
      v = revisionOf(rs);
    } catch (e) {
      warn(`unable to get revision from replicaset ${rs.metadata?.name}: ${(e as Error).message}`);
      continue;
    }
    const template: Obj = structuredClone(rs.spec?.template ?? {});
    const cause = rs.metadata?.annotations?.[CHANGE_CAUSE];
    template.metadata ??= {};
    template.metadata.annotations ??= {};
    if (cause) template.metadata.annotations[CHANGE_CAUSE] = cause;
    out.set(v, { revision: v, changeCause: cause, template });
  }
  return out;
}

/** DaemonSet / StatefulSet: from its ControllerRevisions. */
export function controllerRevisions(owner: Obj, crs: Obj[]): Map<number, Revision> {
  const out = new Map<number, Revision>();
  for (const cr of crs) {
    const v = typeof cr.revision === 'number' ? cr.revision : 0;
    out.set(v, { revision: v, changeCause: cr.metadata?.annotations?.[CHANGE_CAUSE], template: templateOfRevision(owner, cr) });
  }
  return out;
}

/** ViewHistory's text: the table, one revision's template, or "No rollout history found.". */
export function viewHistory(revisions: Map<number, Revision>, revision: number): string {
  if (!revisions.size) return 'No rollout history found.';
  if (revision > 0) {
    const r = revisions.get(revision);
    if (!r) throw new Error('unable to find the specified revision');
    return describePodTemplate(r.template);
  }
  const sorted = [...revisions.keys()].sort((a, b) => a - b);
  return tabbed([['REVISION', 'CHANGE-CAUSE'], ...sorted.map((v) => [String(v), revisions.get(v)!.changeCause || '<none>'])]);
}

/** What the history command prints after the name: `deployment.apps/web <operation>\n`. */
export function historyOperation(text: string, revision: number): string {
  return `${revision > 0 ? `with revision #${revision}` : ''}\n${text}`;
}

/** The ReplicaSets a Deployment controls (listed by its selector), old ones first. */
export async function fetchReplicaSets(ctx: ClientContext, d: Obj): Promise<{ all: Obj[]; newRS: Obj | undefined }> {
  const ns = d.metadata?.namespace;
  const list = await ctx.client.get<{ items?: Obj[] }>(`/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/replicasets`, {
    query: { labelSelector: labelSelectorString(d.spec?.selector) },
  });
  return deploymentReplicaSets(d, list.items ?? []);
}

/** The ControllerRevisions a DaemonSet or StatefulSet controls. */
export async function fetchControllerRevisions(ctx: ClientContext, owner: Obj): Promise<Obj[]> {
  const ns = owner.metadata?.namespace;
  const list = await ctx.client.get<{ items?: Obj[] }>(`/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/controllerrevisions`, {
    query: { labelSelector: labelSelectorString(owner.spec?.selector) },
  });
  return (list.items ?? []).filter((cr) => controlledBy(cr, owner));
}

const KIND_PATHS: Record<WorkloadKind, string> = { Deployment: 'deployments', DaemonSet: 'daemonsets', StatefulSet: 'statefulsets' };

/** The object again, as the history viewers fetch it (apps/v1), with their error wording. */
export async function fetchWorkload(ctx: ClientContext, kind: WorkloadKind, ns: string, name: string): Promise<Obj> {
  try {
    return await ctx.client.get(`/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/${KIND_PATHS[kind]}/${encodeURIComponent(name)}`);
  } catch (e) {
    const label = kind === 'StatefulSet' ? 'Statefulset' : kind === 'Deployment' ? 'deployment' : kind;
    throw new Error(`failed to retrieve ${label} ${name}: ${(e as Error).message.replace(/^Error from server( \([^)]*\))?: /, '')}`);
  }
}

/** All revisions of one workload. */
export async function revisionsOf(ctx: ClientContext, kind: WorkloadKind, ns: string, name: string): Promise<{ object: Obj; revisions: Map<number, Revision> }> {
  const object = await fetchWorkload(ctx, kind, ns, name);
  if (kind === 'Deployment') {
    const { all } = await fetchReplicaSets(ctx, object);
    return { object, revisions: deploymentRevisions(all, (s) => ctx.err(`Warning: ${s}\n`)) };
  }
  return { object, revisions: controllerRevisions(object, await fetchControllerRevisions(ctx, object)) };
}
