// A StatefulSet's ControllerRevisions as values (the revision helpers of stateful_set_utils.go): a
// revision's data is a strategic merge patch that replaces spec.template
// ({"spec":{"template":{...,"$patch":"replace"}}}); naming, hashing, comparing and ordering are the
// client's (kube's pkg/controller/history).
import { newControllerRef, type ControllerRevision, type StatefulSet } from '@skiff/api';
import { CONTROLLER_REVISION_HASH_LABEL, newControllerRevision, revisionTemplate, templatePatch, type TemplatePatch } from '@skiff/client';
import { STS_API_VERSION, STS_KIND } from './identity.ts';

/** history.ControllerRevisionHashLabel */
export const HASH_LABEL = CONTROLLER_REVISION_HASH_LABEL;

/** The revision data of a set: its pod template (a copy) as a replacing patch (getPatch). */
export function patchOf(set: StatefulSet): TemplatePatch {
  return templatePatch(structuredClone(set.spec?.template));
}

/** newRevision: a revision of `set` numbered `revision` (not yet stored), with the set's annotations. */
export function newRevision(set: StatefulSet, revision: number, collisionCount: number): ControllerRevision {
  const ref = newControllerRef(set, STS_API_VERSION, STS_KIND);
  const rev = newControllerRevision(set, ref, set.spec?.template?.metadata?.labels, patchOf(set), revision, collisionCount);
  const annotations = set.metadata.annotations;
  if (annotations && Object.keys(annotations).length) rev.metadata.annotations = { ...annotations };
  return rev;
}

/** ApplyRevision: the set with the revision's template (the patch replaces spec.template whole). */
export function applyRevision(set: StatefulSet, rev: ControllerRevision): StatefulSet {
  return { ...set, spec: { ...set.spec!, template: revisionTemplate(rev) } };
}
