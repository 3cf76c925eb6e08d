// EndpointSlices and Endpoints through `skiff server` (the default distribution, so the
// endpointslice-controller runs as a user gets it) and kubectl 1.32: a Deployment on two hollow
// nodes (`skiff sim`, whose pods get IPs and turn Ready), exposed as Service `web`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './kubectl-client.ts';
import { deployment, eventually, startCluster, type Cluster } from './rollout-fixtures.ts';

let c: Cluster;
beforeAll(async () => {
  c = await startCluster();
  c.startSim(2);
  await eventually(async () => ((await c.rest.get('/api/v1/nodes')).items ?? []).length === 2, 'two hollow nodes');
});
afterAll(async () => {
  await c?.stop();
});

const sliceEndpoints = () => {
  const list = c.kubectl.json('get', 'endpointslices', '-l', 'kubernetes.io/service-name=web');
  return (list.items as { endpoints?: { addresses: string[]; conditions: { ready: boolean } }[] }[]).flatMap((s) => s.endpoints ?? []);
};

describe('EndpointSlices with kubectl', () => {
  it('lists the ready pods of a Service, and follows a scale-down', async () => {
    await c.rest.request('POST', '/apis/apps/v1/namespaces/default/deployments', { body: deployment('default', 'web', 'registry.local/web:1', { replicas: 3 }) });
    const exposed = c.kubectl('expose', 'deployment', 'web', '--port', '80', '--target-port', '8080');
    expect([exposed.code, exposed.err]).toEqual([0, '']);
    await until(() => sliceEndpoints().filter((e) => e.conditions.ready).length === 3, '3 ready endpoints', 60_000);
    // kubectl's table: NAME ADDRESSTYPE PORTS ENDPOINTS AGE
    const table = c.kubectl('get', 'endpointslices', '-l', 'kubernetes.io/service-name=web');
    expect(table.code).toBe(0);
    const [head, row, ...rest] = table.out.trimEnd().split('\n');
    expect(head.split(/\s+/)).toEqual(['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']);
    expect(rest).toEqual([]);
    expect(row).toMatch(/^web-[a-z0-9]{5}\s+IPv4\s+8080\s+10\.244\.\d+\.\d+,10\.244\.\d+\.\d+,10\.244\.\d+\.\d+\s+\d+s$/);
    // the legacy Endpoints agree
    const ep = c.kubectl.json('get', 'endpoints', 'web');
    expect(ep.subsets[0].addresses).toHaveLength(3);
    expect(c.kubectl('get', 'ep', 'web').out).toMatch(/^NAME\s+ENDPOINTS\s+AGE\nweb\s+10\.244\.\d+\.\d+:8080,10\.244\.\d+\.\d+:8080,10\.244\.\d+\.\d+:8080\s+\d+s\n$/);
    expect(c.kubectl('scale', 'deployment', 'web', '--replicas', '1').code).toBe(0);
    await until(() => sliceEndpoints().length === 1, 'one endpoint', 60_000);
  });

  it('deletes the slices with the Service', async () => {
    expect(c.kubectl('delete', 'service', 'web').code).toBe(0);
    await until(() => c.kubectl.json('get', 'endpointslices', '-l', 'kubernetes.io/service-name=web').items.length === 0, 'no slices', 30_000);
    expect(c.kubectl('get', 'endpoints', 'web').err).toMatch(/NotFound/);
  });
});
