// Kubernetes REST paths -> what they address:
//   /api/v1[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]
//   /apis/{group}/{version}[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]
// `/api/v1/namespaces/{name}[/status]` is the Namespace itself: a segment after the namespace name
// that is not a namespaced resource of the group-version is a subresource of the namespace.
import { errors } from '@skiff/kernel';
import type { KindInfo } from '@skiff/kernel';

export interface ResourcePath {
  group: string;
  version: string;
  /** undefined: the group-version itself (discovery) */
  resource?: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Namespaced resources per group-version, computed once per kinds list (the kernel caches its list). */
const namespacedIndex = new WeakMap<readonly KindInfo[], Map<string, Set<string>>>();

export function namespacedResources(kinds: readonly KindInfo[], group: string, version: string): Set<string> {
  let idx = namespacedIndex.get(kinds);
  if (!idx) {
    idx = new Map();
    for (const k of kinds) {
      const key = `${k.group}/${k.version}`;
      if (!idx.has(key)) idx.set(key, new Set());
      if (k.namespaced) idx.get(key)!.add(k.resource);
    }
    namespacedIndex.set(kinds, idx);
  }
  return idx.get(`${group}/${version}`) ?? new Set();
}

/** A path segment, percent-decoded; 400 for a malformed escape (`%zz`, a cut UTF-8 sequence). */
function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw errors.badRequest(`the request path has a malformed percent-encoding: "${s.length > 100 ? s.slice(0, 100) + '...' : s}"`);
  }
}

export function parseResourcePath(url: string, kinds: readonly KindInfo[]): ResourcePath | undefined {
  const path = url.split('?')[0]!;
  const segs = path.split('/').filter((s) => s !== '').map(decodeSegment);
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 2) {
    group = '';
    version = segs[1]!;
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 3) {
    group = segs[1]!;
    version = segs[2]!;
    rest = segs.slice(3);
  } else return undefined;
  if (rest.length === 0) return { group, version };
  const namespaced = namespacedResources(kinds, group, version);
  if (rest[0] === 'namespaces' && rest.length >= 3 && namespaced.has(rest[2]!)) {
    if (rest.length > 5) throw errors.noSuchResource(`the server could not find the requested resource`);
    return { group, version, namespace: rest[1], resource: rest[2], name: rest[3], subresource: rest[4] };
  }
  if (rest.length > 3) throw errors.noSuchResource(`the server could not find the requested resource`);
  return { group, version, resource: rest[0], name: rest[1], subresource: rest[2] };
}

const parsedOf = new WeakMap<object, { kinds: readonly KindInfo[]; path: ResourcePath | undefined }>();

/**
 * parseResourcePath of a request's URL, parsed once per request: flow control, the dispatcher and
 * the request metrics each need it. A malformed path throws (every time) as parseResourcePath does.
 */
export function requestResourcePath(req: { url: string }, kinds: readonly KindInfo[]): ResourcePath | undefined {
  const hit = parsedOf.get(req);
  if (hit && hit.kinds === kinds) return hit.path;
  const path = parseResourcePath(req.url, kinds);
  parsedOf.set(req, { kinds, path });
  return path;
}
