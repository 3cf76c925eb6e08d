import { describe as suite, expect, it } from 'vitest';
import { describeObject, renderValue } from './describe.ts';
import type { ApiResource } from './resources.ts';
import { deleteOptions } from './delete.ts';
import { apiResourcesTable } from './api-resources.ts';

const pods: ApiResource = { group: '', version: 'v1', name: 'pods', singularName: 'pod', kind: 'Pod', shortNames: ['po'], namespaced: true, verbs: ['get'] };
const deploys: ApiResource = { group: 'apps', version: 'v1', name: 'deployments', singularName: 'deployment', kind: 'Deployment', shortNames: ['deploy'], namespaced: true, verbs: [] };

suite('describeObject', () => {
  const now = Date.parse('2026-01-01T00:10:00Z');
  const pod = {
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'demo', labels: { app: 'web', tier: 'front' }, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'nginx:1.27' }] },
    status: {
      phase: 'Running',
      podIP: '10.0.0.5',
      containerStatuses: [{ name: 'c', ready: true, restartCount: 2, state: { running: { startedAt: '2026-01-01T00:01:00Z' } } }],
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };

  it('renders a Pod with containers, conditions and events', () => {
    const events = [{ type: 'Normal', reason: 'Scheduled', message: 'assigned demo/web to n1', source: { component: 'scheduler' }, lastTimestamp: '2026-01-01T00:05:00Z' }];
    const text = describeObject(pods, pod, events, now);
    expect(text).toContain('Name:               web\n');
    expect(text).toContain('Namespace:          demo\n');
    expect(text).toContain('Labels:             app=web\n                    tier=front\n');
    expect(text).toContain('Annotations:        <none>\n');
    expect(text).toContain('Node:               n1\n');
    expect(text).toContain('Status:             Running\n');
    expect(text).toMatch(/Containers:\n  c:\n    Image: +nginx:1.27\n    State: +Running\n      StartedAt: +2026-01-01T00:01:00Z\n    Ready: +True\n    Restart Count: +2\n/);
    expect(text).toMatch(/Conditions:\n  TYPE +STATUS\n  Ready +True\n/i);
    expect(text).toMatch(/Events:\n  Type +Reason +Age +From +Message\n  ---- +------ +---- +---- +-------\n  Normal +Scheduled +5m +scheduler +assigned demo\/web to n1\n$/);
  });

  it('renders other kinds as indented Key: value lines', () => {
    const d = { metadata: { name: 'd' }, spec: { replicas: 2, selector: { matchLabels: { app: 'd' } }, template: { spec: { containers: [{ name: 'c', image: 'i' }] } } } };
    const text = describeObject(deploys, d, []);
    expect(text).toContain('Spec:\n  Replicas:  2\n  Selector:\n    MatchLabels:\n      app:  d\n');
    expect(text).toContain('      Containers:\n        - Name:  c\n          Image:  i\n');
    expect(text).toMatch(/Events: +<none>\n$/);
  });

  it('renderValue handles scalars arrays and multi-line strings', () => {
    expect(renderValue('ports', [80, 443], '')).toEqual(['Ports: 80, 443']);
    expect(renderValue('script', 'a\nb\n', '  ')).toEqual(['  Script:', '    a', '    b']);
  });
});

suite('deleteOptions', () => {
  it('maps --cascade and --grace-period', () => {
    expect(deleteOptions({ cascade: 'foreground', gracePeriod: '0' })).toEqual({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground', gracePeriodSeconds: 0 });
    expect(deleteOptions({ cascade: 'orphan' }).propagationPolicy).toBe('Orphan');
    expect(deleteOptions({ gracePeriod: '-1' })).toEqual({ kind: 'DeleteOptions', apiVersion: 'v1' });
    expect(() => deleteOptions({ cascade: 'sideways' })).toThrow(/invalid cascade value/);
  });
});

suite('apiResourcesTable', () => {
  it('prints like kubectl api-resources', () => {
    expect(apiResourcesTable([deploys, pods])).toEqual([
      'NAME          SHORTNAMES   APIVERSION   NAMESPACED   KIND',
      'pods          po           v1           true         Pod',
      'deployments   deploy       apps/v1      true         Deployment',
    ]);
    expect(apiResourcesTable([deploys, pods], { output: 'name' })).toEqual(['pods', 'deployments.apps']);
  });
});
