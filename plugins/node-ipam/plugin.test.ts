import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Kernel, KObject } from '@skiff/kernel';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import descriptor from './plugin.ts';

const NODES = { group: '', version: 'v1', resource: 'nodes' };
const EVENTS = { group: '', version: 'v1', resource: 'events' };

let t: TestKernel;
let host: PluginHost | undefined;
const logs: string[] = [];

beforeAll(async () => {
  t = await startTestKernel();
});

afterAll(async () => {
  await host?.stop();
  await t?.stop();
});

afterEach(async () => {
  await host?.stop();
  host = undefined;
  logs.length = 0;
  for (const n of (await t.kernel.list(NODES)).items) await t.kernel.delete(NODES, undefined, n.metadata.name!);
  for (const e of (await t.kernel.list(EVENTS, { namespace: 'default' })).items) await t.kernel.delete(EVENTS, 'default', e.metadata.name!);
});

async function startIpam(config: Record<string, unknown> = {}, kernel: Kernel = t.kernel): Promise<PluginHost> {
  const logger = createConsoleLogger({ level: 'info', write: (line) => void logs.push(line) });
  host = new PluginHost({ kernel, logger });
  await host.load([{ descriptor, config: { retrySeconds: 0.2, leaderElection: false, ...config } }]);
  return host;
}

const node = (name: string, podCIDR?: string): KObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  ...(podCIDR ? { spec: { podCIDR, podCIDRs: [podCIDR] } } : {}),
});

const createNode = (name: string, podCIDR?: string) => t.kernel.create(NODES, node(name, podCIDR));
const specOf = async (name: string) => (await t.kernel.get(NODES, undefined, name)).spec as { podCIDR?: string; podCIDRs?: string[] } | undefined;
const cidrOf = async (name: string) => (await specOf(name))?.podCIDR;
const waitCIDR = (name: string) => eventually(() => cidrOf(name), 10_000, `a podCIDR for ${name}`);

async function eventsFor(name: string): Promise<KObject[]> {
  const { items } = await t.kernel.list(EVENTS, { namespace: 'default' });
  return items.filter((e) => (e.involvedObject as { name?: string; kind?: string }).name === name && (e.involvedObject as { kind?: string }).kind === 'Node');
}

describe('node-ipam', () => {
  it('gives nodes without a podCIDR the first free /24 of 10.244.0.0/16, skipping blocks existing nodes use', async () => {
    await createNode('pre-0', '10.244.0.0/24');
    await createNode('pre-2', '10.244.2.0/24');
    await createNode('bare-a');
    await startIpam();
    expect(await waitCIDR('bare-a')).toBe('10.244.1.0/24');
    expect((await specOf('bare-a'))?.podCIDRs).toEqual(['10.244.1.0/24']);

    await createNode('bare-b');
    expect(await waitCIDR('bare-b')).toBe('10.244.3.0/24');
    await createNode('bare-c');
    expect(await waitCIDR('bare-c')).toBe('10.244.4.0/24');
    // existing podCIDRs are left as they are
    expect(await cidrOf('pre-0')).toBe('10.244.0.0/24');
    expect(host!.runtime('node-ipam')).toMatchObject({ blocksUsed: 5, blocksTotal: 256, allocated: 3 });
  });

  it('a deleted node frees its block for the next node', async () => {
    await startIpam();
    for (const n of ['d-0', 'd-1', 'd-2']) await createNode(n);
    expect(await Promise.all(['d-0', 'd-1', 'd-2'].map(waitCIDR))).toEqual(['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24']);
    await t.kernel.delete(NODES, undefined, 'd-1');
    await eventually(() => logs.some((l) => l.includes('its pod CIDR is free again') && l.includes('d-1')), 5000, 'the release');
    await createNode('d-3');
    expect(await waitCIDR('d-3')).toBe('10.244.1.0/24');
  });

  it('a restart marks the blocks in use first and never hands one out twice', async () => {
    await startIpam();
    for (const n of ['r-0', 'r-1', 'r-2']) await createNode(n);
    await Promise.all(['r-0', 'r-1', 'r-2'].map(waitCIDR));
    await host!.stop();
    // while it is down: one node goes (its block is free), two arrive
    await t.kernel.delete(NODES, undefined, 'r-1');
    await createNode('r-3');
    await createNode('r-4');
    await startIpam();
    const cidrs = await Promise.all(['r-0', 'r-2', 'r-3', 'r-4'].map(waitCIDR));
    expect(cidrs).toEqual(['10.244.0.0/24', '10.244.2.0/24', '10.244.1.0/24', '10.244.3.0/24']);
    expect(new Set(cidrs).size).toBe(4);
  });

  it('a podCIDR outside the cluster CIDR, or one another node has, is left alone with a warning and an Event', async () => {
    await createNode('own', '10.244.5.0/24');
    await createNode('stray', '192.168.7.0/24');
    await startIpam();
    await createNode('twin', '10.244.5.0/24');
    const strayEvents = await eventually(async () => ((await eventsFor('stray')).length ? eventsFor('stray') : undefined), 5000, 'an Event for stray');
    expect(strayEvents[0]).toMatchObject({
      type: 'Warning',
      reason: 'PodCIDROutsideClusterCIDR',
      source: { component: 'node-ipam' },
      involvedObject: { kind: 'Node', name: 'stray', apiVersion: 'v1' },
    });
    expect(strayEvents[0].message).toContain('192.168.7.0/24');
    expect(strayEvents[0].message).toContain('10.244.0.0/16');
    const twinEvents = await eventually(async () => ((await eventsFor('twin')).length ? eventsFor('twin') : undefined), 5000, 'an Event for twin');
    expect(twinEvents[0]).toMatchObject({ type: 'Warning', reason: 'PodCIDRConflict' });
    expect(twinEvents[0].message).toContain('own');
    expect(logs.some((l) => l.includes('PodCIDROutsideClusterCIDR') && l.includes('stray'))).toBe(true);
    // untouched, and the block they claim is not handed out
    expect(await cidrOf('stray')).toBe('192.168.7.0/24');
    expect(await cidrOf('twin')).toBe('10.244.5.0/24');
    for (const n of ['n-0', 'n-1', 'n-2', 'n-3', 'n-4', 'n-5']) await createNode(n);
    const got = await Promise.all(['n-0', 'n-1', 'n-2', 'n-3', 'n-4', 'n-5'].map(waitCIDR));
    expect(got).not.toContain('10.244.5.0/24');
    expect(got.at(-1)).toBe('10.244.6.0/24');
    // heartbeats (status updates) do not repeat the warning
    const stray = await t.kernel.get(NODES, undefined, 'stray');
    await t.kernel.update(NODES, { ...stray, status: { conditions: [{ type: 'Ready', status: 'True' }] } }, { subresource: 'status' });
    await t.kernel.patch(NODES, undefined, 'stray', 'merge', { metadata: { labels: { touched: 'yes' } } });
    await host!.stop();
    host = undefined;
    expect(logs.filter((l) => l.includes('PodCIDROutsideClusterCIDR') && l.includes('stray'))).toHaveLength(1);
  });

  it('hollow nodes (skiff sim) keep their own pod CIDRs: inside the range they hold blocks, outside it nobody is warned', async () => {
    const hollow = (name: string, cidr: string) =>
      t.kernel.create(NODES, { ...node(name, cidr), metadata: { name, annotations: { 'skiff.io/hollow': 'true' } } });
    await hollow('hollow-0', '10.244.0.0/24');
    await hollow('hollow-9999', '10.16.0.0/24');
    await startIpam();
    await createNode('real');
    expect(await waitCIDR('real')).toBe('10.244.1.0/24'); // hollow-0's block stays taken
    await new Promise((r) => setTimeout(r, 300));
    expect(await eventsFor('hollow-9999')).toHaveLength(0);
    expect(logs.some((l) => l.includes('hollow-9999'))).toBe(false);
  });

  it('range exhausted: a warning and an Event, and the node gets a block once one is freed', async () => {
    await startIpam({ clusterCIDR: '10.9.0.0/23', nodeCIDRMaskSize: 24 });
    await createNode('x-0');
    await createNode('x-1');
    expect([await waitCIDR('x-0'), await waitCIDR('x-1')]).toEqual(['10.9.0.0/24', '10.9.1.0/24']);
    await createNode('x-2');
    const ev = await eventually(async () => (await eventsFor('x-2'))[0], 5000, 'a CIDRNotAvailable Event');
    expect(ev).toMatchObject({ type: 'Warning', reason: 'CIDRNotAvailable' });
    expect(ev.message).toContain('Node x-2 status is now: CIDRNotAvailable');
    expect(logs.some((l) => l.includes('CIDRNotAvailable'))).toBe(true);
    await new Promise((r) => setTimeout(r, 600)); // a few retries: still nothing, still one Event
    expect(await cidrOf('x-2')).toBeUndefined();
    expect(await eventsFor('x-2')).toHaveLength(1);
    await t.kernel.delete(NODES, undefined, 'x-0');
    expect(await waitCIDR('x-2')).toBe('10.9.0.0/24');
  });

  it('retries a compare-and-set update that lost to a concurrent write (409), keeping that write', async () => {
    await createNode('cas');
    let updates = 0;
    // the first update of a Node is preceded by someone else's change: a real 409 from the store
    const racing = new Proxy(t.kernel, {
      get(target, prop, receiver) {
        if (prop === 'update') {
          return async (ref: typeof NODES, obj: KObject, opts?: object) => {
            if (ref.resource === 'nodes' && updates++ === 0) {
              await target.patch(NODES, undefined, obj.metadata.name!, 'merge', { metadata: { labels: { racer: 'won' } } });
            }
            return target.update(ref, obj, opts);
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    await startIpam({}, racing);
    expect(await waitCIDR('cas')).toBe('10.244.0.0/24');
    expect(updates).toBe(2);
    expect((await t.kernel.get(NODES, undefined, 'cas')).metadata.labels).toEqual({ racer: 'won' });
    expect(host!.runtime('node-ipam')).toMatchObject({ conflicts: 1, allocated: 1 });
  });

  it('refuses a config whose mask size does not fit the cluster CIDR, saying why', async () => {
    await expect(startIpam({ clusterCIDR: '10.244.0.0/16', nodeCIDRMaskSize: 12 })).rejects.toThrow(/mask size 12 must be an integer between the cluster CIDR's prefix length \(16\) and 32/);
    await host!.stop();
    await expect(startIpam({ clusterCIDR: '10.244.0.0/33' })).rejects.toThrow(/invalid IPv4 CIDR "10.244.0.0\/33"/);
  });
});
