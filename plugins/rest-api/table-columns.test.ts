// The `kubectl get` columns of the workload, autoscaling, disruption-budget, priority and endpoint kinds.
import { describe, expect, test } from 'vitest';
import type { KObject } from '@skiff/kernel';
import { formatLabelSelector, humanDuration } from './table-kit.ts';
import { hpaTargets } from './table-policy.ts';
import { toTable } from './table.ts';

const T0 = new Date(Date.now() - 3600_000).toISOString();
const o = (fields: Record<string, unknown>, meta: Record<string, unknown> = {}): KObject => ({ apiVersion: 'x', kind: 'X', metadata: { name: 'web', creationTimestamp: T0, ...meta }, ...fields });
const row = (resource: string, obj: KObject) => {
  const t = toTable(resource, [obj], {}, {});
  return Object.fromEntries(t.columnDefinitions!.map((c, i) => [c.name, t.rows[0]!.cells[i]]));
};

describe('table columns', () => {
  test('ReplicationController and ReplicaSet', () => {
    const spec = { replicas: 3, selector: { tier: 'fe', app: 'web' }, template: { spec: { containers: [{ name: 'a', image: 'nginx:1' }, { name: 'b', image: 'busybox' }] } } };
    expect(row('replicationcontrollers', o({ spec, status: { replicas: 2, readyReplicas: 1 } }))).toEqual({
      Name: 'web', Desired: 3, Current: 2, Ready: 1, Age: '60m', Containers: 'a,b', Images: 'nginx:1,busybox', Selector: 'app=web,tier=fe',
    });
    const rs = row('replicasets', o({ spec: { ...spec, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['b', 'a'] }] } } }));
    expect(rs).toMatchObject({ Desired: 3, Current: 0, Ready: 0, Selector: 'app=web,env in (a,b)' });
  });
  test('selectors as kubectl formats them', () => {
    expect(formatLabelSelector({})).toBe('<none>');
    expect(formatLabelSelector({ matchExpressions: [{ key: 'z', operator: 'Exists' }, { key: 'a', operator: 'DoesNotExist' }, { key: 'm', operator: 'NotIn', values: ['x'] }] })).toBe('!a,m notin (x),z');
  });
  test('Job status, completions and duration', () => {
    const start = new Date(Date.now() - 125_000).toISOString();
    expect(row('jobs', o({ spec: { completions: 3 }, status: { succeeded: 1, startTime: start } }))).toMatchObject({ Status: 'Running', Completions: '1/3', Duration: '2m5s' });
    expect(row('jobs', o({ spec: { parallelism: 2 }, status: { conditions: [{ type: 'Complete', status: 'True' }], startTime: T0, completionTime: T0 } }))).toMatchObject({
      Status: 'Complete',
      Completions: '0/1 of 2',
      Duration: '0s',
    });
    expect(humanDuration(3 * 86400 + 7200)).toBe('3d2h');
  });
  test('CronJob, DaemonSet, StatefulSet, ControllerRevision', () => {
    expect(row('cronjobs', o({ spec: { schedule: '*/5 * * * *', suspend: false }, status: { active: [{ name: 'a' }] } }))).toMatchObject({ Schedule: '*/5 * * * *', Timezone: '<none>', Suspend: 'False', Active: 1, 'Last Schedule': '<none>' });
    expect(row('daemonsets', o({ spec: { template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' } } } }, status: { desiredNumberScheduled: 2, numberReady: 1 } }))).toMatchObject({
      Desired: 2, Current: 0, Ready: 1, 'Node Selector': 'kubernetes.io/os=linux',
    });
    expect(row('statefulsets', o({ spec: { replicas: 3 }, status: { readyReplicas: 2 } }))).toMatchObject({ Ready: '2/3' });
    const owner = { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: 'u', controller: true };
    expect(row('controllerrevisions', o({ revision: 4 }, { ownerReferences: [owner] }))).toMatchObject({ Controller: 'daemonset.apps/ds', Revision: 4 });
  });
  test('HorizontalPodAutoscaler', () => {
    const spec = { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] };
    expect(row('horizontalpodautoscalers', o({ spec }))).toMatchObject({ Reference: 'Deployment/web', Targets: 'cpu: <unknown>/80%', MinPods: '1', MaxPods: 5, Replicas: 0 });
    const status = { currentReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 45 } } }] };
    expect(hpaTargets(o({ spec, status }))).toBe('cpu: 45%/80%');
    const many = { ...spec, metrics: [...spec.metrics, { type: 'Pods', pods: { target: { averageValue: '10' } } }, { type: 'External', external: { target: { averageValue: '3' } } }] };
    expect(hpaTargets(o({ spec: many, status }))).toBe('cpu: 45%/80%, <unknown>/10 + 1 more...');
  });
  test('PodDisruptionBudget and PriorityClass', () => {
    expect(row('poddisruptionbudgets', o({ spec: { minAvailable: '50%' }, status: { disruptionsAllowed: 1 } }))).toMatchObject({ 'Min Available': '50%', 'Max Unavailable': 'N/A', 'Allowed Disruptions': 1 });
    expect(row('priorityclasses', o({ value: 1000, globalDefault: true, preemptionPolicy: 'Never' }))).toMatchObject({ Value: 1000, 'Global-Default': true, PreemptionPolicy: 'Never' });
  });
  test('Endpoints and EndpointSlice', () => {
    const addrs = (n: number) => Array.from({ length: n }, (_, i) => ({ ip: `10.0.0.${i + 1}` }));
    expect(row('endpoints', o({ subsets: [{ addresses: addrs(2), ports: [{ port: 80 }, { port: 443 }] }] }))).toMatchObject({ Endpoints: '10.0.0.1:80,10.0.0.1:443,10.0.0.2:80 + 1 more...' });
    expect(row('endpoints', o({ subsets: [{ notReadyAddresses: addrs(1) }] }))).toMatchObject({ Endpoints: '<none>' });
    const eps = addrs(4).map((a) => ({ addresses: [a.ip] }));
    expect(row('endpointslices', o({ addressType: 'IPv4', ports: [{ port: 8080 }], endpoints: eps }))).toEqual({
      Name: 'web', AddressType: 'IPv4', Ports: '8080', Endpoints: '10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...', Age: '60m',
    });
    expect(row('endpointslices', o({ addressType: 'IPv4', ports: [], endpoints: [] }))).toMatchObject({ Ports: '<unset>', Endpoints: '<unset>' });
  });
  test('Node (wide), Service selector, ServiceAccount, Lease, Event (wide), CRD', () => {
    const node = o({ status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '10.0.0.5' }], nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian', kernelVersion: '6.1.0', containerRuntimeVersion: 'containerd://1.6' } } });
    expect(row('nodes', node)).toEqual({
      Name: 'web', Status: 'Ready', Roles: '<none>', Age: '60m', Version: 'v1.32.0', 'Internal-IP': '10.0.0.5', 'External-IP': '<none>', 'OS-Image': 'Debian', 'Kernel-Version': '6.1.0', 'Container-Runtime': 'containerd://1.6',
    });
    expect(row('services', o({ spec: { clusterIP: '10.96.0.1', selector: { app: 'web' }, ports: [{ port: 80 }] } }))).toMatchObject({ 'Port(s)': '80/TCP', Selector: 'app=web' });
    expect(row('serviceaccounts', o({ secrets: [{ name: 's' }] }))).toEqual({ Name: 'web', Secrets: 1, Age: '60m' });
    expect(row('leases', o({ spec: { holderIdentity: 'node-1' } }))).toEqual({ Name: 'web', Holder: 'node-1', Age: '60m' });
    const ev = o({ type: 'Normal', reason: 'Pulled', message: 'ok', involvedObject: { kind: 'Pod', name: 'p', fieldPath: 'spec.containers{c}' }, source: { component: 'kubelet', host: 'n1' }, count: 3, firstTimestamp: T0, lastTimestamp: T0 });
    expect(row('events', ev)).toEqual({ 'Last Seen': '60m', Type: 'Normal', Reason: 'Pulled', Object: 'pod/p', Subobject: 'spec.containers{c}', Source: 'kubelet, n1', Message: 'ok', 'First Seen': '60m', Count: 3, Name: 'web' });
    expect(row('customresourcedefinitions', o({}))).toEqual({ Name: 'web', 'Created At': T0 });
  });
});
