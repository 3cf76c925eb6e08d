import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { apiVersionOf, fromAggregated, fromResourceLists, kindRef, resolveResource, resourceForKind, resourcePath, type APIResourceList } from './resources.ts';

// captured from a Skiff server: /api/v1 and /apis/apps/v1
const captured = JSON.parse(readFileSync(new URL('./testdata/discovery.json', import.meta.url), 'utf8')) as { lists: APIResourceList[] };
const all = fromResourceLists(captured.lists);

describe('resolveResource', () => {
  it.each([
    ['po', 'pods'],
    ['pods', 'pods'],
    ['pod', 'pods'],
    ['Pod', 'pods'],
    ['PODS', 'pods'],
    ['ns', 'namespaces'],
    ['cm', 'configmaps'],
    ['configmap', 'configmaps'],
    ['deploy', 'deployments'],
    ['deployment', 'deployments'],
    ['deployments.apps', 'deployments'],
    ['deploy.apps', 'deployments'],
    ['deployments.v1.apps', 'deployments'],
  ])('%s → %s', (typed, plural) => {
    expect(resolveResource(all, typed).name).toBe(plural);
  });

  it('knows groups, versions and scope', () => {
    expect(resolveResource(all, 'deploy')).toMatchObject({ group: 'apps', version: 'v1', kind: 'Deployment', namespaced: true });
    expect(resolveResource(all, 'ns')).toMatchObject({ group: '', version: 'v1', namespaced: false });
  });

  it('skips subresources and rejects unknown types like kubectl', () => {
    expect(all.some((r) => r.name.includes('/'))).toBe(false);
    expect(() => resolveResource(all, 'pods/status')).toThrow(/doesn't have a resource type "pods\/status"/);
    expect(() => resolveResource(all, 'widgets')).toThrow(`error: the server doesn't have a resource type "widgets"`);
    expect(() => resolveResource(all, 'pods.apps')).toThrow(/doesn't have a resource type/);
  });
});

describe('resourceForKind', () => {
  it('maps apiVersion + kind to the resource', () => {
    expect(resourceForKind(all, 'apps/v1', 'Deployment').name).toBe('deployments');
    expect(resourceForKind(all, 'v1', 'ConfigMap').name).toBe('configmaps');
    expect(() => resourceForKind(all, 'v1', 'Deployment')).toThrow(/resource mapping not found for kind "Deployment" in version "v1"/);
  });
});

describe('paths and names', () => {
  const pods = resolveResource(all, 'po');
  const deploy = resolveResource(all, 'deploy');
  const ns = resolveResource(all, 'ns');
  it('builds Kubernetes paths', () => {
    expect(resourcePath(pods, 'default')).toBe('/api/v1/namespaces/default/pods');
    expect(resourcePath(pods, 'a', 'x')).toBe('/api/v1/namespaces/a/pods/x');
    expect(resourcePath(pods)).toBe('/api/v1/pods');
    expect(resourcePath(deploy, 'a', 'd')).toBe('/apis/apps/v1/namespaces/a/deployments/d');
    expect(resourcePath(ns, 'ignored', 'demo')).toBe('/api/v1/namespaces/demo');
  });
  it('names kinds like kubectl', () => {
    expect(kindRef(pods)).toBe('pod');
    expect(kindRef(deploy)).toBe('deployment.apps');
    expect(apiVersionOf(deploy)).toBe('apps/v1');
    expect(apiVersionOf(pods)).toBe('v1');
  });
});

describe('fromAggregated', () => {
  it('reads an apidiscovery.k8s.io/v2 document as the per-group-version lists, subresources left out', () => {
    const lists = fromAggregated({
      kind: 'APIGroupDiscoveryList',
      items: [
        {
          metadata: { name: 'apps' },
          versions: [{ version: 'v1', resources: [{ resource: 'deployments', responseKind: { kind: 'Deployment' }, scope: 'Namespaced', singularResource: 'deployment', verbs: ['get', 'list'], shortNames: ['deploy'] }] }],
        },
        { metadata: { name: '' }, versions: [{ version: 'v1', resources: [{ resource: 'nodes', responseKind: { kind: 'Node' }, scope: 'Cluster', singularResource: 'node' }] }] },
      ],
    });
    expect(lists.map((l) => l.groupVersion)).toEqual(['apps/v1', 'v1']);
    const rs = fromResourceLists(lists);
    expect(resolveResource(rs, 'deploy')).toEqual({ group: 'apps', version: 'v1', name: 'deployments', singularName: 'deployment', kind: 'Deployment', shortNames: ['deploy'], namespaced: true, verbs: ['get', 'list'] });
    expect(resolveResource(rs, 'node')).toMatchObject({ group: '', name: 'nodes', namespaced: false, shortNames: [], verbs: [] });
  });
});
