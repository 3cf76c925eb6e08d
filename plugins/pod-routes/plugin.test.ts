// Two "nodes" made of network namespaces this test creates: each node's namespace has a bridge for
// its pod CIDR and one pod on it; the nodes share a link (192.168.<n>.0/24). On a real kernel, each
// node runs pod-routes (and cni-bridge's nftables objects, for the masquerade rule) in its own
// namespace; Nodes are written through the kernel API. Real routes, real traffic: pod to pod across
// the nodes with their own addresses, masquerade only when leaving the cluster CIDR, the route gone
// with its Node. Deleting the namespaces removes every route, bridge and nft table.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { NODES, type Node } from '@skiff/api';
import { createConsoleLogger, PluginHost, type PluginEventRecord } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { describeNeeding } from '../../scripts/test-parts.ts';
import cniBridge from '../cni-bridge/plugin.ts';
import { ProbeServer, probe, randomTag, run, TestNetns } from '../cni-bridge/testing.ts';
import { desiredRoutes } from './desired.ts';
import plugin from './plugin.ts';

it('desiredRoutes: other nodes with a pod CIDR and an InternalIP, canonical, first by name on a clash', () => {
  const node = (name: string, cidr?: string, ip?: string): Node => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: cidr ? { podCIDR: cidr } : {},
    status: { addresses: ip ? [{ type: 'Hostname', address: name }, { type: 'InternalIP', address: ip }] : [] },
  });
  expect(desiredRoutes([node('a', '10.244.0.0/24', '192.0.2.1'), node('c', '10.244.2.7/24', '192.0.2.3'), node('b', '10.244.1.0/24', '192.0.2.2'), node('d', '10.244.3.0/24'), node('e', undefined, '192.0.2.5'), node('f', '10.244.1.0/24', '192.0.2.6'), node('g', 'fd00::/64', '192.0.2.7')], 'a')).toEqual([
    { dst: '10.244.1.0/24', via: '192.0.2.2', node: 'b' },
    { dst: '10.244.2.0/24', via: '192.0.2.3', node: 'c' },
  ]);
});

describeNeeding(['root'], 'pod routes between two node namespaces (real routes, real traffic)', (missing) => {
  const tag = randomTag();
  const n = 100 + Math.floor(Math.random() * 100);
  const clusterCIDR = '10.252.0.0/16';
  const nodes = [
    { name: 'node-a', ip: `192.168.${n}.1`, cidr: '10.252.1.0/24', bridgeIP: '10.252.1.1', podIP: '10.252.1.2' },
    { name: 'node-b', ip: `192.168.${n}.2`, cidr: '10.252.2.0/24', bridgeIP: '10.252.2.1', podIP: '10.252.2.2' },
  ];
  let t: TestKernel;
  // One plugin host per node, as on real nodes: each node's cni-bridge provides that node's services.
  const hosts: PluginHost[] = [];
  const ns: TestNetns[] = [];
  let nodeNs: TestNetns[] = [];
  let podNs: TestNetns[] = [];
  const servers: ProbeServer[] = [];
  const events: PluginEventRecord[] = [];
  let confDir: string;
  const routesOf = async (i: number) => (await nodeNs[i]!.ipJson<{ dst: string; gateway?: string }[]>('route', 'show', 'proto', '120')).map((r) => `${r.dst} via ${r.gateway}`);
  const nodeObject = (x: (typeof nodes)[number]) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: x.name },
    spec: { podCIDR: x.cidr, podCIDRs: [x.cidr] },
    status: { addresses: [{ type: 'InternalIP', address: x.ip }, { type: 'Hostname', address: x.name }] },
  });

  beforeAll(async () => {
    if (missing()) return;
    const mk = async (role: string) => {
      const x = await TestNetns.create(`skiff-test-${tag}-${role}`);
      ns.push(x);
      return x;
    };
    nodeNs = [await mk('na'), await mk('nb')];
    podNs = [await mk('pa'), await mk('pb')];
    await nodeNs[0]!.exec('ip', ['link', 'add', 'link0', 'type', 'veth', 'peer', 'name', 'link0', 'netns', nodeNs[1]!.name]);
    for (const [i, x] of nodes.entries()) {
      const node = nodeNs[i]!;
      const pod = podNs[i]!;
      await node.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
      await node.exec('ip', ['addr', 'add', `${x.ip}/24`, 'dev', 'link0']);
      await node.exec('ip', ['link', 'set', 'link0', 'up']);
      await node.exec('ip', ['link', 'add', 'br0', 'type', 'bridge']);
      await node.exec('ip', ['addr', 'add', `${x.bridgeIP}/24`, 'dev', 'br0']);
      await node.exec('ip', ['link', 'set', 'br0', 'up']);
      await node.exec('ip', ['link', 'add', 'vpod', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.name]);
      await node.exec('ip', ['link', 'set', 'vpod', 'master', 'br0', 'up']);
      await pod.exec('ip', ['addr', 'add', `${x.podIP}/24`, 'dev', 'eth0']);
      await pod.exec('ip', ['link', 'set', 'eth0', 'up']);
      await pod.exec('ip', ['route', 'add', 'default', 'via', x.bridgeIP]);
    }
    confDir = mkdtempSync(join(tmpdir(), 'skiff-routes-conf-'));
    t = await startTestKernel();
    for (const x of nodes) await t.kernel.create(NODES, nodeObject(x) as never);
    for (const [i, x] of nodes.entries()) {
      const host = new PluginHost({ kernel: t.kernel, logger: createConsoleLogger({ level: 'error' }) });
      host.on('event', (e: PluginEventRecord) => void events.push(e));
      hosts.push(host);
      await host.load([
        { descriptor: plugin, config: { nodeName: x.name, netns: nodeNs[i]!.name }, name: `pod-routes-${x.name}` },
        { descriptor: cniBridge, config: { nodeName: x.name, netns: nodeNs[i]!.name, clusterCIDR, confDir: join(confDir, x.name), bridgeName: 'br0', checkPlugins: false }, name: `cni-bridge-${x.name}` },
      ]);
    }
    servers.push(await ProbeServer.start(podNs[1]!, 8080));
    servers.push(await ProbeServer.start(nodeNs[1]!, 9000));
  }, 60_000);

  afterAll(async () => {
    for (const h of hosts) await h.stop();
    for (const s of servers) s.stop();
    await Promise.all(ns.map((x) => x.delete()));
    await t?.stop();
    if (confDir) rmSync(confDir, { recursive: true, force: true });
    if (!missing()) expect((await run('ip', ['netns', 'list'])).stdout).not.toContain(tag);
  });

  it('each node routes the other\'s pod CIDR via its InternalIP, tagged as this plugin\'s', async () => {
    await eventually(async () => (await routesOf(0)).length === 1 && (await routesOf(1)).length === 1, 10_000, 'the routes');
    expect(await routesOf(0)).toEqual([`10.252.2.0/24 via ${nodes[1]!.ip}`]);
    expect(await routesOf(1)).toEqual([`10.252.1.0/24 via ${nodes[0]!.ip}`]);
  });

  it('a pod reaches a pod on the other node by IP, with its own address (no masquerade inside the cluster CIDR)', async () => {
    expect(await eventually(async () => (await probe(podNs[0]!, nodes[1]!.podIP, 8080, 1500)).from)).toBe(nodes[0]!.podIP);
  });

  it('traffic leaving the cluster CIDR is masqueraded to the node\'s address', async () => {
    expect(await eventually(async () => (await probe(podNs[0]!, nodes[1]!.ip, 9000, 1500)).from)).toBe(nodes[0]!.ip);
  });

  it('a changed InternalIP changes the route; a deleted Node takes its route with it', async () => {
    // a second address on node-b's link: the route follows the Node's InternalIP
    const alt = `192.168.${n}.12`;
    await nodeNs[1]!.exec('ip', ['addr', 'add', `${alt}/24`, 'dev', 'link0']);
    await t.kernel.patch(NODES, undefined, 'node-b', 'merge', { status: { addresses: [{ type: 'InternalIP', address: alt }] } }, { subresource: 'status' });
    await eventually(async () => (await routesOf(0))[0] === `10.252.2.0/24 via ${alt}`, 10_000, 'the route to follow the address');
    expect((await probe(podNs[0]!, nodes[1]!.podIP, 8080)).from).toBe(nodes[0]!.podIP);

    await t.kernel.delete(NODES, undefined, 'node-b');
    await eventually(async () => (await routesOf(0)).length === 0, 10_000, 'the route to go');
    expect((await probe(podNs[0]!, nodes[1]!.podIP, 8080, 1500)).error).toMatch(/EHOSTUNREACH|ENETUNREACH|TIMEOUT/);
  });

  it('a route the kernel refuses (gateway off every link) is a warning Event; the others are still programmed', async () => {
    await t.kernel.create(NODES, nodeObject({ ...nodes[1]!, name: 'node-c', ip: '203.0.113.9', cidr: '10.252.3.0/24' }) as never);
    await t.kernel.create(NODES, nodeObject({ ...nodes[1]!, name: 'node-d', cidr: '10.252.4.0/24' }) as never);
    await eventually(async () => (await routesOf(0)).includes(`10.252.4.0/24 via ${nodes[1]!.ip}`), 10_000, 'node-d\'s route');
    expect((await routesOf(0)).some((r) => r.startsWith('10.252.3.0/24'))).toBe(false);
    const failed = await eventually(() => events.find((e) => e.event.reason === 'RouteFailed' && e.name === 'pod-routes-node-a'), 10_000, 'a RouteFailed event');
    expect(failed.event).toMatchObject({ type: 'Warning', message: expect.stringContaining('route replace 10.252.3.0/24 via 203.0.113.9') });
  });
});
