// ControllerRevisions as values, as kube's pkg/controller/history and the revision helpers the
// DaemonSet and StatefulSet controllers share: a revision's data is the strategic merge patch that
// restores the owner's pod template ({"spec":{"template":{...,"$patch":"replace"}}}, getPatch),
// compared and hashed as the bytes Go's json.Marshal writes.
import type { ControllerRevision, KObject, OwnerReference, PodTemplateSpec } from '@skiff/api';
import { goJson } from './canonical-json.ts';
import { fnv32, safeEncodeString } from './hash.ts';

/** history.ControllerRevisionHashLabel (StatefulSet revisions; DaemonSets label theirs controller-revision-hash). */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';

export interface TemplatePatch {
  spec: { template: Record<string, unknown> };
}

/** getPatch: the revision data of an owner with this pod template (shared, not copied). */
export function templatePatch(template: PodTemplateSpec | undefined): TemplatePatch {
  return { spec: { template: { ...(template ?? {}), $patch: 'replace' } } };
}

const dataJsons = new WeakMap<object, string>();
const ownerPatchJsons = new WeakMap<object, string>();
const templates = new WeakMap<object, PodTemplateSpec>();

/** The bytes of a revision's data (cached per object: informer objects are immutable). */
export function revisionDataJson(rev: ControllerRevision): string {
  let s = dataJsons.get(rev);
  if (s === undefined) dataJsons.set(rev, (s = goJson(rev.data ?? null)));
  return s;
}

/** The bytes of the revision data an owner's current template makes (cached per owner object). */
export function ownerPatchJson(owner: KObject & { spec?: { template?: PodTemplateSpec } }): string {
  let s = ownerPatchJsons.get(owner);
  if (s === undefined) ownerPatchJsons.set(owner, (s = goJson(templatePatch(owner.spec?.template))));
  return s;
}

/** Does `rev` hold the owner's current template (the daemon controller's Match)? */
export function revisionMatches(owner: KObject & { spec?: { template?: PodTemplateSpec } }, rev: ControllerRevision): boolean {
  return revisionDataJson(rev) === ownerPatchJson(owner);
}

/** The pod template a revision restores (cached per revision object). */
export function revisionTemplate(rev: ControllerRevision): PodTemplateSpec {
  let t = templates.get(rev);
  if (!t) {
    const data = (rev.data ?? {}) as { spec?: { template?: Record<string, unknown> } };
    const { $patch: _, ...rest } = data.spec?.template ?? {};
    templates.set(rev, (t = rest as PodTemplateSpec));
  }
  return t;
}

/** history.HashControllerRevision: FNV-32 of the data's bytes, then the probe (collision count) in decimal. */
export function hashControllerRevision(dataJson: string, probe?: number | null): string {
  const s = probe === undefined || probe === null ? dataJson : dataJson + String(probe);
  return safeEncodeString(String(fnv32(new TextEncoder().encode(s))));
}

/** history.ControllerRevisionName: "<prefix>-<hash>", the prefix cut to 223 characters. */
export function revisionName(prefix: string, hash: string): string {
  return `${prefix.length > 223 ? prefix.slice(0, 223) : prefix}-${hash}`;
}

/**
 * history.NewControllerRevision: a revision of `parent` (not stored yet) holding `data`, labelled
 * with the template's labels and its hash, named by that hash, controlled by `controllerRef`.
 */
export function newControllerRevision(
  parent: KObject,
  controllerRef: OwnerReference,
  templateLabels: Record<string, string> | undefined,
  data: unknown,
  revision: number,
  collisionCount?: number | null,
): ControllerRevision {
  const json = goJson(data ?? null);
  const hash = hashControllerRevision(json, collisionCount);
  const rev: ControllerRevision = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: revisionName(parent.metadata.name!, hash),
      namespace: parent.metadata.namespace,
      labels: { ...(templateLabels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash },
      ownerReferences: [controllerRef],
    },
    data,
    revision,
  };
  dataJsons.set(rev, json);
  return rev;
}

/** history.EqualRevision: hash labels that both parse as int32 and differ: not equal; else the data decides. */
export function equalRevision(a: ControllerRevision | undefined, b: ControllerRevision | undefined): boolean {
  if (!a || !b) return a === b;
  const ha = intHash(a);
  const hb = intHash(b);
  if (ha !== undefined && hb !== undefined && ha !== hb) return false;
  return revisionDataJson(a) === revisionDataJson(b);
}

function intHash(r: ControllerRevision): number | undefined {
  const s = r.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL];
  if (s === undefined || !/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : undefined;
}

/** history.SortControllerRevisions (in place): by revision, then creation time, then name. */
export function sortRevisions<T extends ControllerRevision>(revs: T[]): T[] {
  return revs.sort((a, b) => {
    if (a.revision !== b.revision) return (a.revision ?? 0) - (b.revision ?? 0);
    const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
    const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
    if (ta !== tb) return ta - tb;
    const na = a.metadata.name ?? '';
    const nb = b.metadata.name ?? '';
    return na < nb ? -1 : na > nb ? 1 : 0;
  });
}

/** The highest revision number (0 for none). */
export const maxRevision = (revs: readonly ControllerRevision[]): number => revs.reduce((m, r) => Math.max(m, r.revision ?? 0), 0);

/** history.NextRevision: one past the highest (1 for none). */
export const nextRevision = (revs: readonly ControllerRevision[]): number => maxRevision(revs) + 1;
