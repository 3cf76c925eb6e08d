// Ephemeral containers (`kubectl debug`): what pods/ephemeralcontainers may change, as kube's
// ValidatePodEphemeralContainersUpdate and validateEphemeralContainers: containers are only added
// (an existing one neither changes nor goes), each new one has a unique DNS-label name and an
// image, names a targetContainerName among spec.containers if any, and sets none of the fields an
// ephemeral container may not have (ports, probes, lifecycle, resources, restartPolicy).
import { isDNS1123Label } from '@skiff/api';
import { asArr, cause, child, deepEqual, isObj, type Obj, type StatusCause } from '../causes.ts';

const FORBIDDEN_FIELDS = ['ports', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'resources', 'resizePolicy', 'restartPolicy'] as const;

/** set, as kube's Go checks read it: an empty list or object (kubectl sends `resources: {}`) is not */
function isSet(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isObj(v)) return Object.values(v).some(isSet);
  return true;
}

const names = (list: unknown): string[] => asArr(list).map((c) => (isObj(c) ? String(c.name ?? '') : ''));

export function validateEphemeralContainersUpdate(spec: Obj, oldSpec: Obj): StatusCause[] {
  const out: StatusCause[] = [];
  const path = 'spec.ephemeralContainers';
  if (spec.ephemeralContainers !== undefined && spec.ephemeralContainers !== null && !Array.isArray(spec.ephemeralContainers)) {
    return [cause.invalid(path, spec.ephemeralContainers, 'must be a list')];
  }
  const next = asArr(spec.ephemeralContainers);
  const old = asArr(oldSpec.ephemeralContainers);
  const byName = new Map(next.filter(isObj).map((c) => [String(c.name ?? ''), c]));
  for (const o of old) {
    if (!isObj(o)) continue;
    const n = byName.get(String(o.name));
    if (!n) out.push(cause.forbidden(path, `existing ephemeral containers "${String(o.name)}" may not be removed`));
    else if (!deepEqual(n, o)) out.push(cause.forbidden(child(path, next.indexOf(n)), `existing ephemeral containers "${String(o.name)}" may not be changed`));
  }
  const oldNames = new Set(names(old));
  const taken = new Set([...names(spec.containers), ...names(spec.initContainers)]);
  const regular = new Set(names(spec.containers));
  const seen = new Set<string>();
  next.forEach((c, i) => {
    const p = child(path, i);
    if (!isObj(c)) return void out.push(cause.invalid(p, c, 'must be an object'));
    const name = typeof c.name === 'string' ? c.name : '';
    if (seen.has(name)) out.push(cause.duplicate(child(p, 'name'), name));
    seen.add(name);
    if (oldNames.has(name)) return; // checked above
    if (!name) out.push(cause.required(child(p, 'name')));
    else {
      for (const msg of isDNS1123Label(name)) out.push(cause.invalid(child(p, 'name'), name, msg));
      if (taken.has(name)) out.push(cause.duplicate(child(p, 'name'), name));
    }
    if (typeof c.image !== 'string' || c.image.trim() === '') out.push(cause.required(child(p, 'image')));
    const target = c.targetContainerName;
    if (target !== undefined && target !== null && target !== '' && !regular.has(String(target))) out.push(cause.notFound(child(p, 'targetContainerName'), target));
    for (const f of FORBIDDEN_FIELDS) {
      if (isSet(c[f])) out.push(cause.forbidden(child(p, f), 'cannot be set for an Ephemeral Container'));
    }
  });
  return out;
}
