import { describe, expect, test } from 'vitest';
import { isStatusError } from '../status.ts';
import { builtinKinds } from './builtin/mod.ts';
import { KindRegistry, toKindInfo } from './registry.ts';

describe('KindRegistry', () => {
  const reg = new KindRegistry(builtinKinds());
  test.each([
    ['po', 'Pod'],
    ['pods', 'Pod'],
    ['pod', 'Pod'],
    ['Pod', 'Pod'],
    ['deploy', 'Deployment'],
    ['deployments.apps', 'Deployment'],
    ['deployments.v1.apps', 'Deployment'],
    ['svc', 'Service'],
    ['ns', 'Namespace'],
    ['no', 'Node'],
    ['cm', 'ConfigMap'],
    ['ep', 'Endpoints'],
    ['ev', 'Event'],
    ['sa', 'ServiceAccount'],
    ['pv', 'PersistentVolume'],
    ['pvc', 'PersistentVolumeClaim'],
    ['rs', 'ReplicaSet'],
    ['ds', 'DaemonSet'],
    ['sts', 'StatefulSet'],
    ['cj', 'CronJob'],
    ['jobs.batch', 'Job'],
    ['crd', 'CustomResourceDefinition'],
    ['leases', 'Lease'],
    ['plugins', 'Plugin'],
    ['distribution', 'Distribution'],
  ])('resolves %s', (name, kind) => {
    expect(reg.resolve(name)?.kind).toBe(kind);
  });
  test('unknown names and wrong groups do not resolve', () => {
    expect(reg.resolve('widgets')).toBeUndefined();
    expect(reg.resolve('deployments.batch')).toBeUndefined();
  });
  test('lookups by GVR and GVK', () => {
    expect(reg.get({ group: 'apps', version: 'v1', resource: 'deployments' })?.kind).toBe('Deployment');
    expect(reg.byKind('', 'v1', 'Pod')?.resource).toBe('pods');
    expect(reg.forObject('batch/v1', 'CronJob')?.resource).toBe('cronjobs');
    expect(reg.get({ group: '', version: 'v2', resource: 'pods' })).toBeUndefined();
    expect(() => reg.mustGet({ group: 'x', version: 'v1', resource: 'y' })).toThrow(/could not find/);
  });
  test('duplicate registration is a 409; unregister frees the name', () => {
    const r = new KindRegistry();
    const def = { group: 'example.com', version: 'v1', kind: 'Widget', resource: 'widgets', namespaced: true, shortNames: ['wd'] };
    const off = r.register(def);
    let err: unknown;
    try {
      r.register({ ...def });
    } catch (e) {
      err = e;
    }
    expect(isStatusError(err) && err.code).toBe(409);
    expect(r.resolve('wd')?.kind).toBe('Widget');
    off();
    expect(r.resolve('wd')).toBeUndefined();
    expect(() => r.register(def)).not.toThrow();
  });
  test('discovery groups and kind info', () => {
    const groups = reg.groups();
    expect(groups[0]).toEqual({ name: '', versions: ['v1'], preferredVersion: 'v1' });
    expect(groups.map((g) => g.name)).toEqual(expect.arrayContaining(['apps', 'batch', 'coordination.k8s.io', 'apiextensions.k8s.io', 'plugins.skiff.io']));
    const info = toKindInfo(reg.resolve('deploy')!);
    expect(info).toMatchObject({ group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', singular: 'deployment', listKind: 'DeploymentList', namespaced: true, shortNames: ['deploy'], subresources: ['status', 'scale'] });
    expect(info.verbs).toEqual(['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
    expect(toKindInfo({ group: 'x.io', version: 'v1', kind: 'Thing', resource: 'things', namespaced: false }).singular).toBe('thing');
    expect(reg.inCategory('all').map((d) => d.kind)).toEqual(expect.arrayContaining(['Pod', 'Service', 'Deployment']));
    expect(reg.resources('apps', 'v1').map((k) => k.kind)).toEqual(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'ControllerRevision']);
  });
});
