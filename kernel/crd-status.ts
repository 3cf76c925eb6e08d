// A CRD's status as apiextensions-apiserver's naming and establishing controllers keep it:
// acceptedNames, the NamesAccepted and Established conditions (Terminating while its objects are
// removed) and storedVersions.
import type { KObject } from './types.ts';
import { rfc3339 } from '@skiff/api';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface CRDCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason: string;
  message: string;
}

const now = () => rfc3339();

/**
 * The status the CRD should have: `refused` is why its names could not be served (a clash), and
 * `terminating` what the cleanup of its objects says while it is being deleted.
 */
export function desiredCRDStatus(crd: KObject, refused: string | undefined, terminating?: { failed?: string }): Obj {
  const spec = isObj(crd.spec) ? crd.spec : {};
  const names = isObj(spec.names) ? spec.names : {};
  const old = isObj(crd.status) ? crd.status : {};
  const conds: CRDCondition[] = [];
  if (refused) {
    conds.push({ type: 'NamesAccepted', status: 'False', reason: 'NameConflict', message: refused });
    conds.push({ type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' });
  } else {
    conds.push({ type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' });
    conds.push({ type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' });
  }
  if (terminating)
    conds.push(
      terminating.failed
        ? { type: 'Terminating', status: 'True', reason: 'InstanceDeletionFailed', message: `could not delete instances: ${terminating.failed}` }
        : { type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' },
    );
  // a condition keeps its lastTransitionTime while its status stays
  const before = (Array.isArray(old.conditions) ? old.conditions : []).filter(isObj);
  for (const c of conds) {
    const prev = before.find((p) => p.type === c.type);
    c.lastTransitionTime = prev && prev.status === c.status && typeof prev.lastTransitionTime === 'string' ? prev.lastTransitionTime : now();
  }
  const accepted = refused
    ? isObj(old.acceptedNames)
      ? old.acceptedNames
      : { plural: '', kind: '' }
    : Object.fromEntries(['plural', 'singular', 'shortNames', 'kind', 'listKind', 'categories'].filter((k) => names[k] !== undefined).map((k) => [k, names[k]]));
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObj) : [];
  const storage = versions.find((v) => v.storage === true)?.name;
  const stored = (Array.isArray(old.storedVersions) ? old.storedVersions : []).filter((v): v is string => typeof v === 'string');
  if (typeof storage === 'string' && !stored.includes(storage)) stored.push(storage);
  return { conditions: conds, acceptedNames: accepted, storedVersions: stored };
}

/** Equal up to lastTransitionTime (kept from the old status anyway): no write needed. */
export function sameCRDStatus(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
