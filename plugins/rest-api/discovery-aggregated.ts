// Aggregated discovery (apidiscovery.k8s.io v2, and v2beta1 for older clients): every group,
// version and resource in one document at /api (the core group) and /apis (the rest), asked for by
// content negotiation. kubectl ≥ 1.26 and client-go ask for it first; a client that gets it makes
// two discovery requests instead of one per group version.
import type { KindInfo } from '@skiff/kernel';
import { groupsOf, SUBRESOURCE_KINDS } from './discovery.ts';

export type AggregatedVersion = 'v2' | 'v2beta1';

/**
 * The aggregated form the Accept header asks for first, or undefined (the plain APIVersions /
 * APIGroupList then). A media range is `application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`.
 */
export function aggregatedAccept(accept: string | undefined): AggregatedVersion | undefined {
  if (!accept) return undefined;
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((s) => s.trim());
    if (type !== 'application/json') continue;
    const p = new Map(params.map((x) => x.split('=').map((s) => s.trim()) as [string, string]));
    if (!p.has('g')) return undefined; // plain JSON comes first: that is what the client prefers
    if (p.get('g') !== 'apidiscovery.k8s.io' || p.get('as') !== 'APIGroupDiscoveryList') continue;
    const v = p.get('v');
    if (v === 'v2' || v === 'v2beta1') return v;
  }
  return undefined;
}

// (with the charset, which fastify would otherwise append after re-quoting every parameter)
export const aggregatedContentType = (v: AggregatedVersion) => `application/json;g=apidiscovery.k8s.io;v=${v};as=APIGroupDiscoveryList;charset=utf-8`;

const subresourceVerbs = (sub: string) => (sub === 'binding' || sub === 'eviction' ? ['create'] : ['get', 'patch', 'update']);

function resourcesOf(kinds: KindInfo[]) {
  return kinds.map((k) => ({
    resource: k.resource,
    responseKind: { group: k.group, version: k.version, kind: k.kind },
    scope: k.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: k.singular,
    verbs: k.verbs,
    ...(k.shortNames.length ? { shortNames: k.shortNames } : {}),
    ...(k.categories.length ? { categories: k.categories } : {}),
    ...(k.subresources.length
      ? {
          subresources: k.subresources.map((sub) => {
            const other = SUBRESOURCE_KINDS[sub];
            return {
              subresource: sub,
              responseKind: other ? { group: other.group, version: other.version, kind: other.kind } : { group: k.group, version: k.version, kind: k.kind },
              verbs: subresourceVerbs(sub),
            };
          }),
        }
      : {}),
  }));
}

/** The APIGroupDiscoveryList of the core group (`core`: /api) or of every other group (/apis), versions preferred first. */
export function aggregatedDiscovery(kinds: KindInfo[], core: boolean, v: AggregatedVersion) {
  const items = groupsOf(kinds)
    .filter((g) => (g.group === '') === core)
    .map((g) => ({
      metadata: { name: g.group, creationTimestamp: null },
      versions: g.versions.map((version) => ({
        version,
        resources: resourcesOf(kinds.filter((k) => k.group === g.group && k.version === version)),
        freshness: 'Current',
      })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${v}`, metadata: {}, items };
}
