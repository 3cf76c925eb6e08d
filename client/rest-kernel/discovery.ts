// The kinds a server serves, as the kernel's KindInfo, from its discovery documents: aggregated
// discovery (apidiscovery.k8s.io/v2: two requests) when the server has it, the per-group-version
// documents otherwise.
import type { KindInfo } from '@skiff/kernel';
import type { RestClient } from '@skiff/client/rest';

export const AGGREGATED_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

interface AggregatedResource {
  resource: string;
  responseKind?: { kind?: string };
  scope?: string;
  singularResource?: string;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: { subresource: string }[];
}
interface AggregatedList {
  kind: 'APIGroupDiscoveryList';
  items: { metadata: { name: string }; versions: { version: string; resources: AggregatedResource[] }[] }[];
}
interface ResourceList {
  groupVersion: string;
  resources: { name: string; singularName?: string; kind: string; namespaced?: boolean; verbs?: string[]; shortNames?: string[]; categories?: string[] }[];
}

const isAggregated = (x: unknown): x is AggregatedList => (x as { kind?: string })?.kind === 'APIGroupDiscoveryList';

function kindInfo(group: string, version: string, r: { resource: string; kind: string; singular?: string; namespaced: boolean; verbs?: string[]; shortNames?: string[]; categories?: string[]; subresources: string[] }): KindInfo {
  return {
    group,
    version,
    kind: r.kind,
    resource: r.resource,
    singular: r.singular || r.kind.toLowerCase(),
    listKind: `${r.kind}List`,
    namespaced: r.namespaced,
    shortNames: r.shortNames ?? [],
    categories: r.categories ?? [],
    subresources: r.subresources,
    verbs: r.verbs ?? [],
  };
}

export function kindsFromAggregated(list: AggregatedList): KindInfo[] {
  return list.items.flatMap((g) =>
    g.versions.flatMap((v) =>
      v.resources.map((r) =>
        kindInfo(g.metadata.name, v.version, {
          resource: r.resource,
          kind: r.responseKind?.kind ?? '',
          singular: r.singularResource,
          namespaced: r.scope === 'Namespaced',
          verbs: r.verbs,
          shortNames: r.shortNames,
          categories: r.categories,
          subresources: (r.subresources ?? []).map((s) => s.subresource),
        }),
      ),
    ),
  );
}

export function kindsFromResourceList(l: ResourceList): KindInfo[] {
  const [group, version] = l.groupVersion.includes('/') ? l.groupVersion.split('/') : ['', l.groupVersion];
  const subs = new Map<string, string[]>();
  for (const r of l.resources) {
    const [parent, sub] = r.name.split('/');
    if (sub) subs.set(parent!, [...(subs.get(parent!) ?? []), sub]);
  }
  return l.resources
    .filter((r) => !r.name.includes('/'))
    .map((r) => kindInfo(group!, version!, { resource: r.name, kind: r.kind, singular: r.singularName, namespaced: r.namespaced === true, verbs: r.verbs, shortNames: r.shortNames, categories: r.categories, subresources: subs.get(r.name) ?? [] }));
}

/** Every kind the server serves: the core group first, then the others, preferred versions first. */
export async function discoverKinds(client: RestClient): Promise<KindInfo[]> {
  const [core, groups] = await Promise.all([client.get<unknown>('/api', { accept: AGGREGATED_ACCEPT }), client.get<unknown>('/apis', { accept: AGGREGATED_ACCEPT })]);
  const coreKinds = isAggregated(core) ? kindsFromAggregated(core) : kindsFromResourceList(await client.get<ResourceList>('/api/v1'));
  if (isAggregated(groups)) return [...coreKinds, ...kindsFromAggregated(groups)];
  const gvs = ((groups as { groups?: { versions: { groupVersion: string }[] }[] }).groups ?? []).flatMap((g) => g.versions.map((v) => v.groupVersion));
  const lists = await Promise.all(gvs.map((gv) => client.get<ResourceList>(`/apis/${gv}`)));
  return [...coreKinds, ...lists.flatMap(kindsFromResourceList)];
}
