// Discovery documents: /api, /api/v1, /apis, /apis/{group}, /apis/{group}/{version}, /version.
import type { KindInfo } from '@skiff/kernel';

export interface GroupVersions {
  group: string;
  versions: string[];
}

export function groupsOf(kinds: KindInfo[]): GroupVersions[] {
  const m = new Map<string, string[]>();
  for (const k of kinds) {
    const vs = m.get(k.group) ?? [];
    if (!vs.includes(k.version)) vs.push(k.version);
    m.set(k.group, vs);
  }
  return [...m].map(([group, versions]) => ({ group, versions }));
}

export function coreVersions() {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }] };
}

function apiGroup(g: GroupVersions) {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.group}/${v}`, version: v }));
  return { name: g.group, versions, preferredVersion: versions[0] };
}

export function groupList(kinds: KindInfo[]) {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groupsOf(kinds).filter((g) => g.group !== '').map(apiGroup) };
}

export function groupDoc(kinds: KindInfo[], group: string) {
  const g = groupsOf(kinds).find((x) => x.group === group);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(g) } : undefined;
}

/** Subresources whose objects are of another kind than their parent's. */
export const SUBRESOURCE_KINDS: Record<string, { group: string; version: string; kind: string }> = {
  scale: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
  eviction: { group: 'policy', version: 'v1', kind: 'Eviction' },
};

export function resourceList(kinds: KindInfo[], group: string, version: string) {
  const ks = kinds.filter((k) => k.group === group && k.version === version);
  if (ks.length === 0) return undefined;
  const resources: unknown[] = [];
  for (const k of ks) {
    resources.push({
      name: k.resource,
      singularName: k.singular,
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: k.verbs,
      ...(k.shortNames.length ? { shortNames: k.shortNames } : {}),
      ...(k.categories.length ? { categories: k.categories } : {}),
    });
    for (const sub of k.subresources) {
      const other = SUBRESOURCE_KINDS[sub];
      resources.push({
        name: `${k.resource}/${sub}`,
        singularName: '',
        namespaced: k.namespaced,
        kind: other?.kind ?? k.kind,
        ...(other ? { group: other.group, version: other.version } : {}),
        verbs: sub === 'binding' || sub === 'eviction' ? ['create'] : ['get', 'patch', 'update'],
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-skiff.0.1.0',
  gitCommit: 'skiff',
  gitTreeState: 'clean',
  buildDate: '2026-11-22T00:00:00Z',
  goVersion: 'node' + process.versions.node,
  compiler: 'tsc',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};
