// The default chain (bridge + host-local, run by CniExec with the real plugins as containerd runs
// them) with the plugin's nftables objects, on a real kernel, in network namespaces this test
// creates (deleting them removes bridge, veths, nft table and iptables rules with them):
//   node      the node's own namespace: its iptables FORWARD policy is DROP, as Docker leaves it here
//   pod1/2    pods on the node's bridge; pod1 asks for hostPort 30080 -> 8080
//   outside   a machine on a link to the node's address
// Pods are Pod objects written through the kernel (spec.nodeName, status.podIP); every expectation
// is about connections and what nft holds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PODS } from '@skiff/api';
import { Nft } from '@skiff/client/nftables';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { describeNeeding } from '../../scripts/test-parts.ts';
import type { CniConflist, CniRuntimeConf } from '@skiff/node-api';
import { CniExec } from './cni-exec.ts';
import { containerIPs } from './cni-result.ts';
import { buildConflist } from './conflist.ts';
import { FORWARD_COMMENT } from './forward-accept.ts';
import plugin from './plugin.ts';
import { ProbeServer, probe, randomTag, realCniSkipReason, run, TestNetns } from './testing.ts';

const BIN_DIR = '/usr/lib/cni';
describeNeeding(['root', ['cni', () => realCniSkipReason(BIN_DIR, ['bridge', 'host-local'])]], 'pod network in nftables: masquerade, hostPorts, forwarding (real CNI, nft, traffic)', (missing) => {
  const tag = randomTag();
  const octet = 1 + Math.floor(Math.random() * 250);
  const clusterCIDR = '10.251.0.0/16';
  const subnet = `10.251.${octet}.0/24`;
  const gateway = `10.251.${octet}.1`;
  const bridge = `skp${tag}`;
  const HOST_PORT = 30080;
  const NODE_IP = '198.51.100.1';
  const OUTSIDE_IP = '198.51.100.2';

  let t: TestKernel;
  let host: PluginHost;
  let node: TestNetns, pod1: TestNetns, pod2: TestNetns, outside: TestNetns;
  let dataDir: string, confDir: string;
  let list: CniConflist;
  let cni: CniExec;
  let rt1: CniRuntimeConf, rt2: CniRuntimeConf;
  let ip1: string, ip2: string;
  const servers: ProbeServer[] = [];
  let nft: Nft;
  const elems = async (set: string) => {
    const [s] = (await nft.list([set.includes('hostport') || set.includes('hostip') ? 'map' : 'set', 'inet', 'skiff', set])).map((i) => i.map ?? i.set);
    return JSON.stringify(s?.elem ?? []);
  };
  const podObject = (name: string, ip: string, ports: unknown[] = []) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName: 'node-a', containers: [{ name: 'c', image: 'busybox', ports }] },
  });
  const createPod = async (name: string, ip: string, ports: unknown[] = []) => {
    await t.kernel.create(PODS, podObject(name, ip, ports) as never);
    await t.kernel.patch(PODS, 'default', name, 'merge', { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] } }, { subresource: 'status' });
  };

  beforeAll(async () => {
    if (missing()) return;
    const ns = (role: string) => TestNetns.create(`skiff-test-${tag}-${role}`);
    [node, pod1, pod2, outside] = await Promise.all([ns('node'), ns('pod1'), ns('pod2'), ns('out')]);
    await node.exec('iptables', ['-P', 'FORWARD', 'DROP']);
    await node.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    await node.exec('ip', ['link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', outside.name]);
    await node.exec('ip', ['addr', 'add', `${NODE_IP}/24`, 'dev', 'uplink']);
    await node.exec('ip', ['link', 'set', 'uplink', 'up']);
    await outside.exec('ip', ['addr', 'add', `${OUTSIDE_IP}/24`, 'dev', 'eth0']);
    await outside.exec('ip', ['link', 'set', 'eth0', 'up']);
    dataDir = mkdtempSync(join(tmpdir(), 'skiff-cni-ipam-'));
    confDir = mkdtempSync(join(tmpdir(), 'skiff-cni-conf-'));
    list = buildConflist({ podCIDRs: [subnet], bridgeName: bridge, dataDir });
    cni = new CniExec({ binDir: BIN_DIR, hostNetns: node.path });
    rt1 = { containerId: `skiff-test-${tag}-1`, netns: pod1.path, ifName: 'eth0' };
    rt2 = { containerId: `skiff-test-${tag}-2`, netns: pod2.path, ifName: 'eth0' };
    ip1 = containerIPs(await cni.add(list, rt1))[0]!.address.split('/')[0]!;
    ip2 = containerIPs(await cni.add(list, rt2))[0]!.address.split('/')[0]!;
    nft = new Nft({ netns: node.name });
    t = await startTestKernel();
    host = new PluginHost({ kernel: t.kernel, logger: createConsoleLogger({ level: 'warn' }) });
    await host.load([{ descriptor: plugin, config: { nodeName: 'node-a', netns: node.name, clusterCIDR, confDir, dataDir, bridgeName: bridge, checkPlugins: false } }]);
  }, 60_000);

  afterAll(async () => {
    await host?.stop();
    for (const s of servers) s.stop();
    if (!missing()) {
      await cni.del(list, rt1).catch(() => {});
      await cni.del(list, rt2).catch(() => {});
    }
    await Promise.all([node, pod1, pod2, outside].filter(Boolean).map((n) => n.delete()));
    await t?.stop();
    for (const d of [dataDir, confDir]) if (d) rmSync(d, { recursive: true, force: true });
    if (!missing()) expect((await run('ip', ['netns', 'list'])).stdout).not.toContain(tag);
  });

  it('the chain runs no iptables per pod: the node has no nat rules and FORWARD only the two cluster-CIDR rules inserted at start', async () => {
    const filter = await eventually(async () => {
      const f = (await node.exec('iptables-save', ['-t', 'filter'])).stdout;
      return f.split(FORWARD_COMMENT).length === 3 && f;
    });
    expect(filter).toContain(':FORWARD DROP');
    const ours = filter.split('\n').filter((l) => l.startsWith('-A FORWARD'));
    expect(ours).toEqual([
      `-A FORWARD -d ${clusterCIDR} -m comment --comment "${FORWARD_COMMENT}" -j ACCEPT`,
      `-A FORWARD -s ${clusterCIDR} -m comment --comment "${FORWARD_COMMENT}" -j ACCEPT`,
    ]);
    expect((await node.exec('iptables-save', ['-t', 'nat'])).stdout).not.toMatch(/^-A /m);
  });

  it('pods reach each other over the bridge with their own addresses under FORWARD policy DROP', async () => {
    servers.push(await ProbeServer.start(pod2, 8080));
    expect(await probe(pod1, ip2, 8080)).toEqual({ from: ip1 });
  });

  it('a pod\'s traffic leaving the cluster CIDR is masqueraded to the node\'s address (the bridge plugin no longer does it)', async () => {
    servers.push(await ProbeServer.start(outside, 9000));
    expect(await eventually(async () => (await probe(pod1, OUTSIDE_IP, 9000, 1500)).from)).toBe(NODE_IP);
  });

  it('a hostPort is reachable on the node address — from off the node (client address kept), from the node, from another pod and from the pod itself — as map elements, no rules', async () => {
    servers.push(await ProbeServer.start(pod1, 8080));
    const rulesBefore = (await nft.list(['table', 'inet', 'skiff'])).filter((i) => i.rule).length;
    await createPod('web', ip1, [{ containerPort: 8080, hostPort: HOST_PORT, protocol: 'TCP' }]);
    await createPod('other', ip2);
    await eventually(async () => (await elems('pod-hostports')).includes(String(HOST_PORT)), 10_000, 'the hostPort element');
    expect(await elems('pod-hostports')).toContain(ip1);
    expect(await elems('pod-ips')).toContain(ip2);
    expect((await nft.list(['table', 'inet', 'skiff'])).filter((i) => i.rule).length).toBe(rulesBefore); // elements, not rules
    expect(await probe(outside, NODE_IP, HOST_PORT)).toEqual({ from: OUTSIDE_IP });
    expect((await probe(node, NODE_IP, HOST_PORT)).from).toBeDefined();
    expect(await probe(pod2, NODE_IP, HOST_PORT)).toEqual({ from: ip2 });
    expect((await probe(pod1, gateway, HOST_PORT)).from).toBe(gateway); // hairpin: masqueraded back through the node
  });

  it('a hostPort with a hostIP answers on that address only', async () => {
    await t.kernel.delete(PODS, 'default', 'other', { gracePeriodSeconds: 0 });
    await createPod('other2', ip2, [{ containerPort: 8080, hostPort: 30081, hostIP: NODE_IP, protocol: 'TCP' }]);
    await eventually(async () => (await elems('pod-hostip-ports')).includes('30081'), 10_000, 'the hostIP element');
    expect(await probe(outside, NODE_IP, 30081)).toEqual({ from: OUTSIDE_IP });
    expect((await probe(pod1, gateway, 30081, 1500)).error).toBe('ECONNREFUSED'); // the bridge address is not the hostIP
  });

  it('deleting the pod removes its elements: the hostPort is closed again', async () => {
    // as the kubelet does once the sandbox is stopped (a pod in its grace period keeps serving)
    await t.kernel.delete(PODS, 'default', 'web', { gracePeriodSeconds: 0 });
    await eventually(async () => !(await elems('pod-hostports')).includes(String(HOST_PORT)), 10_000, 'the element to go');
    expect(await elems('pod-ips')).not.toContain(`"${ip1}"`);
    expect((await probe(outside, NODE_IP, HOST_PORT, 1500)).error).toBe('ECONNREFUSED');
  });
});
