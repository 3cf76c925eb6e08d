// The service proxy on a real kernel (NATS) programming a "node" network namespace with real nft,
// with real traffic: pods on the node's bridge (backends that answer their name, a client), an
// outside client on a link to the node's address. Services, EndpointSlices and the Node are written
// through the kernel API; every expectation is about connections.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ENDPOINT_SLICES, NODES, SERVICES } from '@skiff/api';
import { Nft } from '@skiff/client/nftables';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { eventually, sleep, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { describeNeeding } from '../../scripts/test-parts.ts';
import plugin from './plugin.ts';
import { Backend, connectMany, createTestNode, names, nsExec, type Pod, type TestNode } from './testing.ts';

const CLUSTER_IP = '10.96.0.50';
const NODE_PORT = 30080;

describeNeeding(['root'], 'service proxy in a node namespace (real nft, real traffic)', (missing) => {
  let t: TestKernel;
  let host: PluginHost;
  let node: TestNode;
  let client: Pod;
  let backends: Pod[] = [];
  const servers: Backend[] = [];
  const logs: string[] = [];

  const slice = (eps: { pod: Pod; ready?: boolean; serving?: boolean; terminating?: boolean; nodeName?: string }[]) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: 'default', name: 'web-abcde', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: eps.map((e) => ({
      addresses: [e.pod.ip],
      conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
      nodeName: e.nodeName ?? 'node-a',
      targetRef: { kind: 'Pod', namespace: 'default', name: e.pod.name },
    })),
  });
  const putSlice = async (eps: Parameters<typeof slice>[0]) => {
    const cur = await t.kernel.get(ENDPOINT_SLICES, 'default', 'web-abcde').catch(() => undefined);
    if (cur) await t.kernel.update(ENDPOINT_SLICES, { ...slice(eps), metadata: { ...slice(eps).metadata, resourceVersion: cur.metadata.resourceVersion } } as never);
    else await t.kernel.create(ENDPOINT_SLICES, slice(eps) as never);
  };
  const patchService = (spec: Record<string, unknown>) => t.kernel.patch(SERVICES, 'default', 'web', 'merge', { spec });
  const fromClient = (count = 30) => connectMany(client.ns, CLUSTER_IP, 80, count);
  const sameSet = (a: Set<string | undefined>, b: string[]) => a.size === b.length && b.every((x) => a.has(x));

  beforeAll(async () => {
    if (missing()) return;
    t = await startTestKernel();
    node = await createTestNode(77);
    client = await node.addPod('client', 2);
    backends = [await node.addPod('p1', 11), await node.addPod('p2', 12), await node.addPod('p3', 13)];
    for (const b of backends) servers.push(await Backend.start(b, 8080));
    await t.kernel.create(NODES, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-a' },
      status: { addresses: [{ type: 'InternalIP', address: node.nodeIP }, { type: 'Hostname', address: 'node-a' }] },
    });
    await t.kernel.create(SERVICES, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace: 'default', name: 'web' },
      spec: { type: 'NodePort', clusterIP: CLUSTER_IP, selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: NODE_PORT }] },
    });
    await putSlice(backends.map((pod) => ({ pod })));
    host = new PluginHost({ kernel: t.kernel, logger: createConsoleLogger({ level: 'info', write: (l) => void logs.push(l) }) });
    await host.load([{ descriptor: plugin, config: { nodeName: 'node-a', netns: node.ns, clusterCIDR: '10.77.0.0/16', syncDelayMs: 0 } }]);
  }, 120_000);

  afterAll(async () => {
    await host?.stop();
    for (const s of servers) s.stop();
    await node?.delete(); // the node namespace goes with its nft table
    await t?.stop();
  });

  it('ClusterIP: a pod reaches every ready backend, spread among them', async () => {
    const seen = await eventually(async () => {
      const s = names(await fromClient());
      return sameSet(s, ['p1', 'p2', 'p3']) && s;
    }, 20_000, 'answers from p1, p2 and p3');
    expect([...seen].sort()).toEqual(['p1', 'p2', 'p3']);
    // the table is Skiff's shared one; every object of the proxy has its prefix
    const items = await new Nft({ netns: node.ns }).list(['table', 'inet', 'skiff'], { terse: true });
    const named = items.flatMap((i) => Object.values(i)).map((o) => o.name).filter((n): n is string => typeof n === 'string' && n !== 'skiff');
    expect(named.length).toBeGreaterThan(10);
    expect(named.every((n) => n.startsWith('svc-'))).toBe(true);
  });

  it('NodePort on the node address: an outside client is answered, masqueraded (backends see the node)', async () => {
    const as = await eventually(async () => {
      const r = await connectMany(node.outside.ns, node.nodeIP, NODE_PORT, 15);
      return r.every((a) => a.name) && r;
    }, 10_000, 'NodePort answers');
    expect(as.every((a) => a.from === node.bridgeIP)).toBe(true);
    expect(names(as).size).toBeGreaterThan(1);
    // the node port is on the node's addresses only, not on the ClusterIP
    expect((await connectMany(client.ns, CLUSTER_IP, NODE_PORT, 1, 1000))[0].error).toBeDefined();
  });

  it('a pod keeps its own address towards a ClusterIP (no masquerade inside the cluster CIDR)', async () => {
    const as = await fromClient(6);
    expect(as.every((a) => a.from === client.ip)).toBe(true);
  });

  it('hairpin: a backend reaching itself through its Service is masqueraded and answered', async () => {
    const p1 = backends[0];
    const as = await connectMany(p1.ns, CLUSTER_IP, 80, 30);
    expect(as.every((a) => a.name)).toBe(true);
    const self = as.filter((a) => a.name === 'p1');
    expect(self.length).toBeGreaterThan(0);
    expect(self.every((a) => a.from === node.bridgeIP)).toBe(true);
    expect(as.filter((a) => a.name !== 'p1').every((a) => a.from === p1.ip)).toBe(true);
  });

  it('an endpoint turning not ready, then removed, gets no more traffic', async () => {
    await putSlice([{ pod: backends[0] }, { pod: backends[1] }, { pod: backends[2], ready: false, serving: false }]);
    await eventually(async () => sameSet(names(await fromClient()), ['p1', 'p2']), 10_000, 'p3 out');
    await putSlice([{ pod: backends[0] }]);
    await eventually(async () => sameSet(names(await fromClient(10)), ['p1']), 10_000, 'p2 out');
    await putSlice(backends.map((pod) => ({ pod })));
    await eventually(async () => sameSet(names(await fromClient()), ['p1', 'p2', 'p3']), 10_000, 'all back');
  });

  it('sessionAffinity ClientIP: one client sticks to one backend', async () => {
    await patchService({ sessionAffinity: 'ClientIP' });
    await sleep(500);
    const first = (await fromClient(1))[0].name;
    const as = await fromClient(20);
    expect(names(as)).toEqual(new Set([first]));
    // another client may land elsewhere, and sticks too
    const other = await connectMany(node.outside.ns, node.nodeIP, NODE_PORT, 10);
    expect(names(other).size).toBe(1);
    await patchService({ sessionAffinity: 'None' });
    await eventually(async () => names(await fromClient()).size === 3, 10_000, 'spread again');
  });

  it('terminating fallback: with no ready endpoint, the serving terminating ones get traffic', async () => {
    await putSlice([
      { pod: backends[0], ready: false, serving: true, terminating: true },
      { pod: backends[1], ready: false, serving: false, terminating: true },
      { pod: backends[2], ready: false, serving: false },
    ]);
    await eventually(async () => sameSet(names(await fromClient()), ['p1']), 10_000, 'only the serving terminating p1');
    // once one is ready, terminating ones get nothing
    await putSlice([{ pod: backends[0], ready: false, serving: true, terminating: true }, { pod: backends[2] }]);
    await eventually(async () => sameSet(names(await fromClient()), ['p3']), 10_000, 'only the ready p3');
  });

  it('externalTrafficPolicy Local: outside clients reach only local endpoints (none: dropped); pods still reach all', async () => {
    await patchService({ externalTrafficPolicy: 'Local' });
    await putSlice([{ pod: backends[0] }, { pod: backends[1], nodeName: 'node-b' }]);
    await eventually(async () => sameSet(names(await connectMany(node.outside.ns, node.nodeIP, NODE_PORT, 15)), ['p1']), 10_000, 'only the local p1');
    const outside = await connectMany(node.outside.ns, node.nodeIP, NODE_PORT, 3);
    expect(outside.every((a) => a.from === node.outside.ip)).toBe(true); // client address kept
    await putSlice([{ pod: backends[1], nodeName: 'node-b' }]);
    await eventually(async () => (await connectMany(node.outside.ns, node.nodeIP, NODE_PORT, 1, 700))[0].error === 'TIMEOUT', 10_000, 'dropped');
    expect(names(await fromClient(5))).toEqual(new Set(['p2']));
    await patchService({ externalTrafficPolicy: 'Cluster' });
  });

  it('no endpoints: connections are refused at once (ClusterIP and NodePort)', async () => {
    await putSlice([]);
    await eventually(async () => (await fromClient(1))[0].error === 'ECONNREFUSED', 10_000, 'refused');
    const t0 = Date.now();
    expect((await fromClient(3)).map((a) => a.error)).toEqual(['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED']);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await connectMany(node.outside.ns, node.nodeIP, NODE_PORT, 1))[0].error).toBe('ECONNREFUSED');
    await putSlice(backends.map((pod) => ({ pod })));
    await eventually(async () => names(await fromClient()).size === 3, 10_000, 'answers again');
  });

  it("leaves alone the Services another proxy implements (service-proxy-name label), as kube-proxy does", async () => {
    // the node-local cluster DNS holds kube-dns's address itself: no rule may take its traffic
    const other = { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name: 'other', labels: { 'service.kubernetes.io/service-proxy-name': 'cluster-dns' } }, spec: { clusterIP: '10.96.0.77', ports: [{ name: 'http', port: 80, targetPort: 8080 }] } };
    const mine = { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name: 'mine' }, spec: { clusterIP: '10.96.0.78', ports: [{ name: 'http', port: 80, targetPort: 8080 }] } };
    const sliceOf = (svc: string) => ({ ...slice(backends.map((pod) => ({ pod }))), metadata: { namespace: 'default', name: `${svc}-x`, labels: { 'kubernetes.io/service-name': svc } } });
    await t.kernel.create(SERVICES, other);
    await t.kernel.create(ENDPOINT_SLICES, sliceOf('other') as never);
    await t.kernel.create(SERVICES, mine);
    await t.kernel.create(ENDPOINT_SLICES, sliceOf('mine') as never);
    // once the later Service routes, the proxy has seen both
    await eventually(async () => names(await connectMany(client.ns, '10.96.0.78', 80, 5)).size > 0, 10_000, 'mine routed');
    const rules = String(await nsExec(node.ns, 'nft', 'list', 'table', 'inet', 'skiff'));
    expect(rules).toContain('10.96.0.78');
    expect(rules).not.toContain('10.96.0.77');
    for (const n of ['other', 'mine']) {
      await t.kernel.delete(ENDPOINT_SLICES, 'default', `${n}-x`);
      await t.kernel.delete(SERVICES, 'default', n);
    }
  });

  it('a transaction nft refuses leaves the previous rules working; the proxy retries and catches up', async () => {
    // another plugin of the shared table holds a reference to the Service's chain: deleting it fails
    const nft = new Nft({ netns: node.ns });
    const chain = (await nft.chainNames('inet', 'skiff')).find((c) => c.startsWith('svc-c-') && c.includes('default/web/tcp/http'));
    expect(chain).toBeDefined();
    await nft.apply(`add chain inet skiff other-hold\nadd rule inet skiff other-hold jump ${chain}\n`);
    const failuresBefore = Number(host.runtime('service-proxy')?.failures ?? 0);
    await putSlice([]); // needs the chain gone
    await eventually(() => Number(host.runtime('service-proxy')?.failures ?? 0) > failuresBefore, 10_000, 'a failed sync');
    expect(logs.some((l) => l.includes('sync failed'))).toBe(true);
    expect(String(host.runtime('service-proxy')?.lastError)).toMatch(/busy|Device or resource/i);
    // the previous rules are in force: traffic still flows to all three
    expect(names(await fromClient())).toEqual(new Set(['p1', 'p2', 'p3']));
    await nft.apply('delete chain inet skiff other-hold\n');
    // the retry (a full sync) applies the update
    await eventually(async () => (await fromClient(1))[0].error === 'ECONNREFUSED', 20_000, 'the retried update');
    await putSlice(backends.map((pod) => ({ pod })));
    await eventually(async () => names(await fromClient()).size === 3, 10_000, 'answers again');
  });

  it('stopping the plugin leaves the table to the others (it never deletes it)', async () => {
    await host.stop();
    expect(await new Nft({ netns: node.ns }).hasTable('inet', 'skiff')).toBe(true);
    await nsExec(node.ns, 'true');
  });
});
