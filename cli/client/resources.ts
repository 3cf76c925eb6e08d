// What the user typed (`po`, `pods`, `Pod`, `deploy`, `deployments.apps`) → group/version/resource,
// through the server's discovery documents (fetched per invocation, aggregated when the server has
// it: two requests; never cached on disk).
import type { RestClient } from '@skiff/client/rest';

export interface ApiResource {
  group: string;
  version: string;
  /** plural, e.g. `pods` */
  name: string;
  singularName: string;
  kind: string;
  shortNames: string[];
  namespaced: boolean;
  verbs: string[];
}

interface RawResource {
  name: string;
  singularName?: string;
  kind: string;
  shortNames?: string[];
  namespaced?: boolean;
  verbs?: string[];
}
export interface APIResourceList {
  groupVersion: string;
  resources: RawResource[];
}
interface APIGroupList {
  groups: { name: string; versions: { groupVersion: string; version: string }[]; preferredVersion?: { version: string } }[];
}

export const apiVersionOf = (r: Pick<ApiResource, 'group' | 'version'>): string => (r.group ? `${r.group}/${r.version}` : r.version);

/** `pod`, `deployment.apps`: what kubectl prints before `/name` and in `deleted` lines. */
export const kindRef = (r: Pick<ApiResource, 'group' | 'kind'>): string => r.kind.toLowerCase() + (r.group ? `.${r.group}` : '');

/** Flattens APIResourceLists into resources, skipping subresources (`pods/log`). Lists come preferred version first. */
export function fromResourceLists(lists: APIResourceList[]): ApiResource[] {
  const out: ApiResource[] = [];
  for (const l of lists) {
    const [group, version] = l.groupVersion.includes('/') ? l.groupVersion.split('/') : ['', l.groupVersion];
    for (const r of l.resources ?? []) {
      if (r.name.includes('/')) continue;
      out.push({
        group: group!,
        version: version!,
        name: r.name,
        singularName: r.singularName || r.kind.toLowerCase(),
        kind: r.kind,
        shortNames: r.shortNames ?? [],
        namespaced: r.namespaced === true,
        verbs: r.verbs ?? [],
      });
    }
  }
  return out;
}

export class ResourceNotFoundError extends Error {
  constructor(typed: string) {
    super(`error: the server doesn't have a resource type "${typed}"`);
    this.name = 'ResourceNotFoundError';
  }
}

/**
 * Resolves `typed` like kubectl: an optional `.group` suffix (`deployments.apps`, `deploy.apps`,
 * `deployments.v1.apps`), matched against plural, singular, short names and kind (case-insensitive).
 * The first match wins, and resources are in discovery order (core first, preferred versions first).
 */
export function resolveResource(resources: ApiResource[], typed: string): ApiResource {
  const lower = typed.toLowerCase();
  const matches = (r: ApiResource, word: string) =>
    r.name === word || r.singularName === word || r.kind.toLowerCase() === word || r.shortNames.includes(word);
  // whole word first (a plural may itself contain a dot only via the group suffix)
  let found = resources.find((r) => matches(r, lower));
  if (!found) {
    const dot = lower.indexOf('.');
    if (dot > 0) {
      const word = lower.slice(0, dot);
      const rest = lower.slice(dot + 1);
      found = resources.find((r) => matches(r, word) && (r.group === rest || `${r.version}.${r.group}` === rest));
    }
  }
  if (!found) throw new ResourceNotFoundError(typed);
  return found;
}

/** The resource an object's `apiVersion` + `kind` is stored as. */
export function resourceForKind(resources: ApiResource[], apiVersion: string, kind: string): ApiResource {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const r = resources.find((x) => x.group === group && x.version === version && x.kind === kind);
  if (!r) throw new Error(`error: resource mapping not found for kind "${kind}" in version "${apiVersion}": ensure the kind and apiVersion are right`);
  return r;
}

/** `/api/v1/namespaces/ns/pods/name`; `namespace` is ignored for cluster-scoped resources. */
export function resourcePath(r: ApiResource, namespace?: string, name?: string): string {
  let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  if (r.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${r.name}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  return p;
}

interface AggregatedList {
  kind: 'APIGroupDiscoveryList';
  items: {
    metadata: { name: string };
    versions: { version: string; resources: { resource: string; responseKind: { kind: string }; scope: string; singularResource?: string; verbs?: string[]; shortNames?: string[] }[] }[];
  }[];
}

/** Aggregated discovery first (apidiscovery.k8s.io v2, then v2beta1), plain documents otherwise. */
export const DISCOVERY_ACCEPT = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

const isAggregated = (x: unknown): x is AggregatedList => (x as { kind?: string })?.kind === 'APIGroupDiscoveryList';

/** An aggregated discovery document as the per-group-version lists it stands for (versions preferred first). */
export function fromAggregated(list: AggregatedList): APIResourceList[] {
  return list.items.flatMap((g) =>
    g.versions.map((v) => ({
      groupVersion: g.metadata.name ? `${g.metadata.name}/${v.version}` : v.version,
      resources: v.resources.map((r) => ({
        name: r.resource,
        singularName: r.singularResource,
        kind: r.responseKind.kind,
        shortNames: r.shortNames,
        namespaced: r.scope === 'Namespaced',
        verbs: r.verbs,
      })),
    })),
  );
}

/**
 * Every resource the server serves: core first, then each group's versions (preferred first). Two
 * requests when the server has aggregated discovery; one per group version otherwise.
 */
export async function discover(client: RestClient): Promise<ApiResource[]> {
  const [core, groups] = await Promise.all([
    client.get<AggregatedList | unknown>('/api', { accept: DISCOVERY_ACCEPT }),
    client.get<AggregatedList | APIGroupList>('/apis', { accept: DISCOVERY_ACCEPT }),
  ]);
  const coreLists = isAggregated(core) ? Promise.resolve(fromAggregated(core)) : client.get<APIResourceList>('/api/v1').then((l) => [l]);
  let groupLists: Promise<APIResourceList[]>;
  if (isAggregated(groups)) {
    groupLists = Promise.resolve(fromAggregated(groups));
  } else {
    const gvs: string[] = [];
    for (const g of (groups as APIGroupList).groups ?? []) {
      const pref = g.preferredVersion?.version;
      const vs = [...g.versions].sort((a, b) => (a.version === pref ? -1 : b.version === pref ? 1 : 0));
      for (const v of vs) gvs.push(v.groupVersion);
    }
    groupLists = Promise.all(gvs.map((gv) => client.get<APIResourceList>(`/apis/${gv}`).catch(() => ({ groupVersion: gv, resources: [] }))));
  }
  return fromResourceLists([...(await coreLists), ...(await groupLists)]);
}

/** Discovery fetched at most once per CLI run. */
export class Resources {
  private all?: Promise<ApiResource[]>;
  constructor(private readonly client: RestClient) {}

  list(): Promise<ApiResource[]> {
    return (this.all ??= discover(this.client));
  }

  async resolve(typed: string): Promise<ApiResource> {
    return resolveResource(await this.list(), typed);
  }

  async forObject(apiVersion: string, kind: string): Promise<ApiResource> {
    return resourceForKind(await this.list(), apiVersion, kind);
  }
}
