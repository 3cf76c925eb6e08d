// node-ipam and cni-bridge on a real kernel: a Node registers, node IPAM gives it a podCIDR, the
// node's cni-bridge writes the conflist for that subnet into a temporary conf dir — and (as root,
// with the plugins installed) that very file, run by CniExec in test network namespaces, gives a
// pod an address of the Node's podCIDR. The plugin's nft and iptables run in a namespace of the
// test's own (as root; elsewhere they fail and the plugin only warns), never on the machine.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { eventually, sleep, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import ipamPlugin from '../node-ipam/plugin.ts';
import { CniExec } from './cni-exec.ts';
import { containerIPs } from './cni-result.ts';
import { CniPluginsToken, NodeNetworkToken, type CniConflist } from '@skiff/node-api';
import cniPlugin from './plugin.ts';
import { randomTag, realCniSkipReason, TestNetns } from './testing.ts';
import { itNeeding } from '../../scripts/test-parts.ts';

const NODES = { group: '', version: 'v1', resource: 'nodes' };
const BIN_DIR = '/usr/lib/cni';

let t: TestKernel;
let host: PluginHost;
let dir: string;
let confDir: string;
const logs: string[] = [];
const bridgeName = `skp${randomTag()}`;
let hostNs: TestNetns | undefined;

const conflistPath = () => join(confDir, '10-skiff.conflist');
const readConflist = () => JSON.parse(readFileSync(conflistPath(), 'utf8')) as CniConflist;
const subnetOf = (c: CniConflist) => (c.plugins[0].ipam as { ranges: { subnet: string }[][] }).ranges.map((r) => r[0].subnet);
const podCIDROf = async (name: string) => ((await t.kernel.get(NODES, undefined, name)).spec as { podCIDR?: string } | undefined)?.podCIDR;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-cni-plugin-'));
  confDir = join(dir, 'net.d');
  t = await startTestKernel();
  const netns = `skiff-test-${randomTag()}-cnihost`;
  if (process.getuid?.() === 0) hostNs = await TestNetns.create(netns);
  host = new PluginHost({ kernel: t.kernel, logger: createConsoleLogger({ level: 'info', write: (l) => void logs.push(l) }) });
  await host.load([
    { descriptor: ipamPlugin, config: { clusterCIDR: '10.244.0.0/16', nodeCIDRMaskSize: 24, leaderElection: false } },
    { descriptor: cniPlugin, config: { confDir, nodeName: 'node-a', bridgeName, dataDir: join(dir, 'ipam'), binDir: BIN_DIR, netns } },
  ]);
});

afterAll(async () => {
  await host?.stop();
  await t?.stop();
  await hostNs?.delete();
  rmSync(dir, { recursive: true, force: true });
});

describe('node-ipam + cni-bridge', () => {
  it('writes nothing until its Node exists and has a podCIDR, then the conflist for that podCIDR', async () => {
    await sleep(300);
    expect(existsSync(conflistPath())).toBe(false);
    expect(logs.some((l) => l.includes('waiting for the Node to register'))).toBe(true);

    await t.kernel.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a' } });
    const cidr = await eventually(() => podCIDROf('node-a'), 10_000, 'node IPAM to give node-a a podCIDR');
    expect(cidr).toBe('10.244.0.0/24');
    const conf = await eventually(() => existsSync(conflistPath()) && readConflist(), 10_000, 'the conflist');
    expect(subnetOf(conf)).toEqual([cidr]);
    expect(conf).toMatchObject({ cniVersion: '1.0.0', name: 'skiff' });
    expect(conf.plugins.map((p) => p.type)).toEqual(['bridge']);
    expect(conf.plugins[0]).toMatchObject({ bridge: bridgeName, ipam: { dataDir: join(dir, 'ipam') } });
    // the runtime report follows the file (a report of its own, later under load)
    await eventually(() => (host.runtime('cni-bridge') as { podCIDRs?: string[] } | undefined)?.podCIDRs?.[0] === cidr, 10_000, 'the runtime report');
    expect(host.runtime('cni-bridge')).toMatchObject({ node: 'node-a', podCIDRs: [cidr], conflist: conflistPath() });
    // the other plugins of the agent read it from the NodeNetwork service (the CNI contract)
    expect(host.resolve(NodeNetworkToken).current()).toEqual({ name: 'skiff', cniVersion: '1.0.0', path: conflistPath(), podCIDRs: [cidr], conflist: conf });
    expect(host.resolve(CniPluginsToken)).toBeInstanceOf(CniExec);
  });

  it('another node\'s podCIDR does not touch it; a change of its own podCIDR rewrites it', async () => {
    await t.kernel.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-b' } });
    expect(await eventually(() => podCIDROf('node-b'), 10_000, 'a podCIDR for node-b')).toBe('10.244.1.0/24');
    await sleep(200);
    expect(subnetOf(readConflist())).toEqual(['10.244.0.0/24']);

    const changes: string[][] = [];
    const off = host.resolve(NodeNetworkToken).onChange((c) => changes.push(c.podCIDRs));
    await t.kernel.patch(NODES, undefined, 'node-a', 'merge', { spec: { podCIDR: '10.244.9.0/24', podCIDRs: ['10.244.9.0/24'] } });
    await eventually(() => subnetOf(readConflist())[0] === '10.244.9.0/24', 10_000, 'the conflist to follow the new podCIDR');
    await eventually(() => changes.length > 0 || undefined, 10_000, 'a NodeNetwork change');
    expect(changes).toEqual([['10.244.9.0/24']]);
    off();
  });

  const cni = () => realCniSkipReason(BIN_DIR, ['bridge', 'host-local']);
  itNeeding(['root', ['cni', cni]], "the written conflist, run by containerd's rules, gives a pod an address of the Node's podCIDR", async () => {
    const tag = randomTag();
    const node = await TestNetns.create(`skiff-test-${tag}-node`);
    const pod = await TestNetns.create(`skiff-test-${tag}-pod`);
    try {
      const cni = new CniExec({ binDir: BIN_DIR, hostNetns: node.path });
      const list = readConflist();
      const rt = { containerId: `skiff-test-${tag}`, netns: pod.path, ifName: 'eth0', args: { K8S_POD_NAMESPACE: 'default', K8S_POD_NAME: 'p' } };
      const result = await cni.add(list, rt);
      const [ip] = containerIPs(result);
      expect(ip.address).toMatch(/^10\.244\.9\.\d+\/24$/);
      expect(ip.gateway).toBe('10.244.9.1');
      await cni.del(list, rt, result);
      await expect(pod.exec('ip', ['link', 'show', 'dev', 'eth0'])).rejects.toThrow();
    } finally {
      await Promise.all([node.delete(), pod.delete()]);
    }
  });
});
