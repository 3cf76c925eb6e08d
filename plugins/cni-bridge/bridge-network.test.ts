// The legacy conflist (bridge + portmap + firewall) run by CniExec with the real plugins (Debian containernetworking-plugins in
// /usr/lib/cni), as containerd would run it for two pods — entirely inside network namespaces this
// test creates:
//   node   stands in for the node's own namespace: the plugins run in it (nsenter), so the bridge,
//          the veth host ends and every iptables rule land there. Its FORWARD policy is set to DROP,
//          as Docker leaves it on these machines (and br_netfilter is on), so what passes here passes
//          on them.
//   pod1, pod2   the pods' namespaces (CNI_NETNS)
//   outside      a machine off the node, linked to `node` by a veth (198.51.100.0/24, TEST-NET-2)
// Deleting the namespaces at the end deletes the bridge, the veths and the rules with them; the
// machine's own interfaces, routes and iptables are never touched.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeNeeding } from '../../scripts/test-parts.ts';
import { CniError, type CniConflist, type CniResult, type CniRuntimeConf } from '@skiff/node-api';
import { CniExec } from './cni-exec.ts';
import { containerIPs } from './cni-result.ts';
import { buildConflist } from './conflist.ts';
import { ProbeServer, probe, randomTag, realCniSkipReason, run, TestNetns } from './testing.ts';

const BIN_DIR = '/usr/lib/cni';
const CHAIN = ['bridge', 'host-local', 'portmap', 'firewall'];
describeNeeding(['root', ['cni', () => realCniSkipReason(BIN_DIR, CHAIN)]], 'the Skiff conflist with the real CNI plugins, in test network namespaces', (missing) => {
  const tag = randomTag();
  const octet = 1 + Math.floor(Math.random() * 250);
  const subnet = `10.250.${octet}.0/24`;
  const gateway = `10.250.${octet}.1`;
  const bridge = `skt${tag}`;
  const HOST_PORT = 30080;
  const NODE_IP = '198.51.100.1';
  const OUTSIDE_IP = '198.51.100.2';
  const ports = [{ hostPort: HOST_PORT, containerPort: 8080, protocol: 'tcp' as const }];

  let node: TestNetns, pod1: TestNetns, pod2: TestNetns, outside: TestNetns;
  let dataDir: string;
  let list: CniConflist;
  let cni: CniExec;
  let rt1: CniRuntimeConf, rt2: CniRuntimeConf;
  let r1: CniResult, r2: CniResult;
  let ip1: string, ip2: string;
  const servers: ProbeServer[] = [];
  const serve = async (ns: TestNetns, port: number) => {
    const s = await ProbeServer.start(ns, port);
    servers.push(s);
    return s;
  };
  const natRules = async () => (await node.exec('iptables-save', ['-t', 'nat'])).stdout;
  const filterRules = async () => (await node.exec('iptables-save', ['-t', 'filter'])).stdout;
  const leases = () => readdirSync(join(dataDir, 'skiff')).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)).sort();

  beforeAll(async () => {
    if (missing()) return;
    const ns = (role: string) => TestNetns.create(`skiff-test-${tag}-${role}`);
    [node, pod1, pod2, outside] = await Promise.all([ns('node'), ns('pod1'), ns('pod2'), ns('out')]);
    await node.exec('iptables', ['-P', 'FORWARD', 'DROP']);
    await node.exec('ip', ['link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', outside.name]);
    await node.exec('ip', ['addr', 'add', `${NODE_IP}/24`, 'dev', 'uplink']);
    await node.exec('ip', ['link', 'set', 'uplink', 'up']);
    await outside.exec('ip', ['addr', 'add', `${OUTSIDE_IP}/24`, 'dev', 'eth0']);
    await outside.exec('ip', ['link', 'set', 'eth0', 'up']);
    dataDir = mkdtempSync(join(tmpdir(), 'skiff-cni-ipam-'));
    list = buildConflist({ podCIDRs: [subnet], bridgeName: bridge, dataDir, chain: 'legacy' });
    cni = new CniExec({ binDir: BIN_DIR, hostNetns: node.path });
    rt1 = { containerId: `skiff-test-${tag}-1`, netns: pod1.path, ifName: 'eth0', args: { K8S_POD_NAMESPACE: 'default', K8S_POD_NAME: 'pod1' }, capabilityArgs: { portMappings: ports } };
    rt2 = { containerId: `skiff-test-${tag}-2`, netns: pod2.path, ifName: 'eth0' };
  });

  afterAll(async () => {
    if (missing()) return;
    for (const s of servers) s.stop();
    await Promise.all([node, pod1, pod2, outside].filter(Boolean).map((n) => n.delete()));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    const left = (await run('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.includes(tag));
    expect(left).toEqual([]);
  });

  it('every plugin of the chain speaks the conflist\'s cniVersion (VERSION)', async () => {
    for (const type of CHAIN) {
      const v = await cni.version(type);
      expect(v.supportedVersions, type).toContain(list.cniVersion);
    }
  });

  it('ADD gives each pod an address of the subnet and a default route via the gateway; the veths join the bridge with hairpin on', async () => {
    r1 = await cni.add(list, rt1);
    r2 = await cni.add(list, rt2);
    const [a1, a2] = [containerIPs(r1), containerIPs(r2)];
    expect(a1).toHaveLength(1);
    expect(a2).toHaveLength(1);
    ip1 = a1[0].address.split('/')[0];
    ip2 = a2[0].address.split('/')[0];
    for (const a of [a1[0], a2[0]]) {
      expect(a.address).toMatch(new RegExp(`^10\\.250\\.${octet}\\.\\d+/24$`));
      expect(a.gateway).toBe(gateway);
    }
    expect(ip1).not.toBe(ip2);
    expect(r1.routes).toEqual([{ dst: '0.0.0.0/0' }]);

    for (const [pod, ip] of [[pod1, ip1], [pod2, ip2]] as const) {
      const addrs = await pod.ipJson<{ addr_info: { family: string; local: string; prefixlen: number }[] }[]>('addr', 'show', 'dev', 'eth0');
      expect(addrs[0].addr_info.filter((i) => i.family === 'inet')).toEqual([expect.objectContaining({ local: ip, prefixlen: 24 })]);
      const routes = await pod.ipJson<{ dst: string; gateway?: string; dev: string }[]>('route', 'show');
      expect(routes).toContainEqual(expect.objectContaining({ dst: 'default', gateway, dev: 'eth0' }));
    }
    // the bridge holds the gateway address, in the node namespace only
    const br = await node.ipJson<{ addr_info: { family: string; local: string }[] }[]>('addr', 'show', 'dev', bridge);
    expect(br[0].addr_info).toContainEqual(expect.objectContaining({ family: 'inet', local: gateway }));
    await expect(run('ip', ['link', 'show', bridge])).rejects.toThrow(); // not in the machine's own namespace
    const ports = await node.ipJson<{ ifname: string; linkinfo: { info_slave_data?: { hairpin?: boolean } } }[]>('-d', 'link', 'show', 'master', bridge);
    expect(ports).toHaveLength(2);
    for (const p of ports) expect(p.linkinfo.info_slave_data?.hairpin, p.ifname).toBe(true);
    expect(leases()).toEqual([ip1, ip2].sort());
  });

  it('the pods reach each other over the bridge under FORWARD policy DROP (the firewall plugin\'s CNI-FORWARD rules)', async () => {
    await serve(pod2, 8080);
    expect(await probe(pod1, ip2, 8080)).toEqual({ from: ip1 });
    const rules = await filterRules();
    expect(rules).toContain(':FORWARD DROP');
    expect(rules).toContain('-A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD');
    expect(rules).toContain(`-A CNI-FORWARD -s ${ip1}/32 -j ACCEPT`);
  });

  it('without those rules FORWARD DROP cuts pods off from each other (why the firewall plugin is in the chain)', async () => {
    const jump = ['FORWARD', '-m', 'comment', '--comment', 'CNI firewall plugin rules', '-j', 'CNI-FORWARD'];
    await node.exec('iptables', ['-D', ...jump]);
    try {
      expect(await probe(pod1, ip2, 8080, 1500)).toEqual({ error: 'TIMEOUT' });
    } finally {
      await node.exec('iptables', ['-I', ...jump]);
    }
    expect(await probe(pod1, ip2, 8080)).toEqual({ from: ip1 });
  });

  it('ipMasq: a pod\'s traffic leaving the pod network is masqueraded to the node\'s address', async () => {
    await serve(outside, 9000);
    expect(await probe(pod1, OUTSIDE_IP, 9000)).toEqual({ from: NODE_IP });
    expect(await natRules()).toMatch(new RegExp(`-A POSTROUTING -s ${ip1.replace(/\./g, '\\.')}/32 .*-j CNI-`));
  });

  it('portMappings (runtimeConfig): the hostPort DNAT is installed and works from another pod, from the node, and from the pod itself (hairpin)', async () => {
    const nat = await natRules();
    expect(nat).toContain(':CNI-HOSTPORT-DNAT');
    expect(nat).toMatch(new RegExp(`-A CNI-HOSTPORT-DNAT .*--dports ${HOST_PORT} -j CNI-DN-`));
    expect(nat).toContain(`--dport ${HOST_PORT} -j DNAT --to-destination ${ip1}:8080`);
    expect(nat).not.toContain(`--to-destination ${ip2}:`); // pod2 asked for no hostPort
    await serve(pod1, 8080);
    expect((await probe(pod2, gateway, HOST_PORT)).from).toBeDefined();
    expect((await probe(node, '127.0.0.1', HOST_PORT)).from).toBeDefined();
    expect((await probe(node, NODE_IP, HOST_PORT)).from).toBe(NODE_IP);
    // pod1 → node:hostPort → DNAT back to pod1: answered (portmap masquerades it, hairpin on the port)
    expect((await probe(pod1, gateway, HOST_PORT)).from).toBe(gateway);
  });

  it('from off the node, hostPort traffic also needs FORWARD to accept DNATed connections, which no standard plugin adds', async () => {
    expect(await probe(outside, NODE_IP, HOST_PORT, 1500)).toEqual({ error: 'TIMEOUT' });
    const rule = ['CNI-ADMIN', '-o', bridge, '-m', 'conntrack', '--ctstate', 'DNAT', '-j', 'ACCEPT'];
    await node.exec('iptables', ['-A', ...rule]);
    try {
      expect(await probe(outside, NODE_IP, HOST_PORT)).toEqual({ from: OUTSIDE_IP });
    } finally {
      await node.exec('iptables', ['-D', ...rule]);
    }
  });

  it('CHECK passes on a healthy attachment and fails with the plugin\'s error once the pod\'s address is gone', async () => {
    await cni.check(list, rt2, r2);
    // pod1 has hostPorts: portmap 1.1.1's CHECK also looks for IPv6 rules an IPv4-only pod never
    // gets (containernetworking/plugins#819, fixed upstream after 1.1.1). Accepted here only in
    // that exact form, so a fixed build simply passes.
    const portmapBug = await cni.check(list, rt1, r1).then(() => undefined, (e: unknown) => e);
    if (portmapBug !== undefined) {
      expect(portmapBug).toMatchObject({ name: 'CniError', plugin: 'portmap', command: 'CHECK', msg: expect.stringMatching(/^could not check ipv6 dnat: chain CNI-DN-\w+ not found in iptables table nat$/) });
      console.info(`[cni-bridge] known portmap 1.1.1 CHECK bug (plugins#819): ${(portmapBug as Error).message}`);
    }
    await pod2.exec('ip', ['addr', 'flush', 'dev', 'eth0']);
    const err = await cni.check(list, rt2, r2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CniError);
    expect(err).toMatchObject({ command: 'CHECK', containerId: rt2.containerId, network: 'skiff' });
    expect((err as CniError).msg).not.toBe('');
    console.info(`[cni-bridge] CHECK of a broken attachment: ${(err as Error).message}`);
    await pod2.exec('ip', ['addr', 'add', `${ip2}/24`, 'dev', 'eth0']); // put it back for DEL
  });

  it('a plugin error object becomes a CniError with its code and message; a DEL cleans up after the failed ADD, as containerd does', async () => {
    const bad: CniConflist = { ...list, plugins: [{ ...list.plugins[0], ipam: { type: 'host-local', ranges: [[{ subnet: 'not-a-subnet' }]], dataDir } }] };
    const rtBad = { containerId: `skiff-test-${tag}-bad`, netns: pod2.path, ifName: 'eth1' };
    const err = await cni.add(bad, rtBad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CniError);
    expect(err).toMatchObject({ plugin: 'bridge', command: 'ADD', code: expect.any(Number), msg: expect.stringContaining('not-a-subnet') });
    console.info(`[cni-bridge] a bad subnet: ${(err as Error).message}`);
    // the bridge plugin created the veth before IPAM failed, and leaves it: the runtime's DEL removes it
    expect((await pod2.ipJson<unknown[]>('link', 'show', 'dev', 'eth1')).length).toBe(1);
    await cni.del(list, rtBad);
    await expect(pod2.exec('ip', ['link', 'show', 'dev', 'eth1'])).rejects.toThrow();
  });

  it('DEL removes the hostPort DNAT, the masquerade and firewall rules and the veth, and releases the addresses; a second DEL is fine', async () => {
    await cni.del(list, rt1, r1);
    let nat = await natRules();
    expect(nat).not.toContain(`--dport ${HOST_PORT}`);
    expect(nat).not.toContain(`-s ${ip1}/32`);
    expect(nat).toContain(`-s ${ip2}/32`);
    expect(await filterRules()).not.toContain(`${ip1}/32`);
    await expect(pod1.exec('ip', ['link', 'show', 'eth0'])).rejects.toThrow();
    expect(leases()).toEqual([ip2]);

    await cni.del(list, rt2, r2);
    await cni.del(list, rt2, r2); // idempotent, as the spec requires
    await cni.del(list, rt1); // and without the ADD result
    nat = await natRules();
    expect(nat).not.toContain(`-s ${ip2}/32`);
    expect(await filterRules()).not.toMatch(/-A CNI-FORWARD -[sd] 10\.250\./);
    expect(leases()).toEqual([]);
    expect(await node.ipJson<unknown[]>('link', 'show', 'master', bridge)).toEqual([]);
  });
});
