// NetworkPolicy enforcement on a real kernel (NATS) programming a "node" network namespace with real
// nft, with real traffic: pods on the node's bridge (servers answering their name, clients), an
// outside host on a link to the node. Pods (with status.podIPs), Namespaces and NetworkPolicies are
// written through the kernel API; every expectation is about connections (or the policy's Events).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EVENTS, NAMESPACES, NETWORK_POLICIES, PODS, type KObject } from '@skiff/api';
import { Backend, connectMany, createTestNode, Prober, type Pod as NetnsPod, type TestNode } from '@skiff/client/netns-testing';
import { Nft } from '@skiff/client/nftables';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { describeNeeding } from '../../scripts/test-parts.ts';
import plugin from './plugin.ts';

const NODE = 'node-a';
const SUBNET = 78;

describeNeeding(['root'], 'network policy in a node namespace (real nft, real traffic)', (missing) => {
  let t: TestKernel;
  let host: PluginHost;
  let node: TestNode;
  let client: NetnsPod; // default/client (app=client)
  let web: NetnsPod; // default/web (app=web): 8080 named http, 9000, 9001, 9005
  let other: NetnsPod; // other/other (app=client), namespace team=a
  let third: NetnsPod; // other/third (app=db)
  let outside: NetnsPod;
  const servers: Backend[] = [];
  const probers: Prober[] = [];
  const logs: string[] = [];
  /** how long each change took to show in traffic (ms), for the report */
  const tookMs: Record<string, number> = {};
  let lastSync: unknown;

  const can = async (from: NetnsPod, to: NetnsPod, port: number) => !!(await connectMany(from.ns, to.ip, port, 1, 400))[0]?.name;
  /** eventually: `from` reaches `to`:port exactly when `allowed` */
  const expectReach = (from: NetnsPod, to: NetnsPod, port: number, allowed: boolean) =>
    eventually(async () => (await can(from, to, port)) === allowed, 10_000, `${from.name} -> ${to.name}:${port} ${allowed ? 'allowed' : 'denied'}`);
  const putPolicy = async (name: string, spec: Record<string, unknown>, namespace = 'default') => {
    const obj = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace, name }, spec } as KObject;
    const cur = await t.kernel.get(NETWORK_POLICIES, namespace, name).catch(() => undefined);
    return cur ? t.kernel.update(NETWORK_POLICIES, { ...obj, metadata: { ...obj.metadata, resourceVersion: cur.metadata.resourceVersion } }) : t.kernel.create(NETWORK_POLICIES, obj);
  };
  const delPolicy = (name: string, namespace = 'default') => t.kernel.delete(NETWORK_POLICIES, namespace, name);
  /** a change written at `since` shows in `prober`'s traffic: how long it took */
  const shows = async (what: string, prober: Prober, answered: boolean, since: number) => {
    const r = await prober.waitFor(answered, since);
    tookMs[what] = (answered ? r.t1 : r.t0) - since;
    return tookMs[what];
  };

  const createPod = async (p: NetnsPod, namespace: string, labels: Record<string, string>, ports: { name?: string; containerPort: number }[] = []) => {
    await t.kernel.create(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { namespace, name: p.name, labels },
      spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox', ports }] },
    } as KObject);
    const cur = await t.kernel.get(PODS, namespace, p.name);
    await t.kernel.update(PODS, { ...cur, status: { phase: 'Running', podIP: p.ip, podIPs: [{ ip: p.ip }] } } as KObject, { subresource: 'status' });
  };

  beforeAll(async () => {
    if (missing()) return;
    t = await startTestKernel();
    node = await createTestNode(SUBNET, 'np');
    client = await node.addPod('client', 2);
    web = await node.addPod('web', 10);
    other = await node.addPod('other', 20);
    third = await node.addPod('third', 21);
    outside = { name: 'outside', ns: node.outside.ns, ip: node.outside.ip };
    for (const port of [8080, 9000, 9001, 9005]) servers.push(await Backend.start(web, port));
    servers.push(await Backend.start(client, 8080), await Backend.start(outside, 8080));
    await t.kernel.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other', labels: { team: 'a' } } });
    await createPod(client, 'default', { app: 'client' }, [{ containerPort: 8080 }]);
    await createPod(web, 'default', { app: 'web' }, [{ name: 'http', containerPort: 8080 }, { containerPort: 9000 }]);
    await createPod(other, 'other', { app: 'client' });
    await createPod(third, 'other', { app: 'db' });
    host = new PluginHost({ kernel: t.kernel, logger: createConsoleLogger({ level: 'info', write: (l) => void logs.push(l) }) });
    await host.load([{ descriptor: plugin, config: { nodeName: NODE, netns: node.ns } }]);
    await eventually(() => Number(host.runtime('network-policy')?.syncs ?? 0) > 0, 20_000, 'the first sync');
  }, 120_000);

  afterAll(async () => {
    for (const p of probers) p.stop();
    await host?.stop();
    for (const s of servers) s.stop();
    await node?.delete(); // the node namespace goes with its nft table
    await t?.stop();
    if (Object.keys(tookMs).length) console.log(`network policy changes seen in traffic after (ms, write to first probe showing it): ${JSON.stringify(tookMs)}; last sync: ${JSON.stringify(lastSync)}`);
  });

  it('an invalid CIDR is refused at admission (422, the field named)', async () => {
    const e = (await putPolicy('bad', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }] }).catch((x: unknown) => x)) as { status?: { code: number; details?: { causes?: { field?: string }[] } } };
    expect(e.status?.code).toBe(422);
    expect(e.status?.details?.causes?.map((c) => c.field)).toEqual(['spec.ingress[0].from[0].ipBlock.cidr']);
  });

  it('default allow: with no policy every pod reaches every other', async () => {
    expect(await can(client, web, 8080)).toBe(true);
    expect(await can(other, web, 9005)).toBe(true);
    expect(await can(web, client, 8080)).toBe(true);
    // every object in the table is the plugin's (np-), in Skiff's shared table
    const items = await new Nft({ netns: node.ns }).list(['table', 'inet', 'skiff'], { terse: true });
    const named = items.flatMap((i) => Object.values(i)).map((o) => o.name).filter((n): n is string => typeof n === 'string' && n !== 'skiff');
    expect(named.length).toBeGreaterThan(3);
    expect(named.every((n) => n.startsWith('np-'))).toBe(true);
  });

  it('a policy selecting web with no rules denies the client within a second; web still reaches out', async () => {
    // a connection on the node's bridge takes a millisecond: a probe given up after 100 ms was dropped
    const probe = Prober.start(client.ns, web.ip, 8080, { everyMs: 10, timeoutMs: 100 });
    probers.push(probe);
    await probe.waitFor(true, Date.now());
    const since = Date.now();
    await putPolicy('web-deny', { podSelector: { matchLabels: { app: 'web' } } });
    expect(await shows('deny', probe, false, since)).toBeLessThan(1000);
    expect(await can(client, web, 9000)).toBe(false);
    expect(await can(web, client, 8080)).toBe(true); // egress of web is not restricted, and client has no policy
  });

  it('a rule for the client label lets it in (same namespace only), within a second', async () => {
    const probe = probers[0]!;
    const since = Date.now();
    await putPolicy('web-allow-client', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }] }] });
    expect(await shows('allow', probe, true, since)).toBeLessThan(1000);
    expect(await can(client, web, 9005)).toBe(true);
    // a pod with the label in another namespace is not selected by a bare podSelector
    expect(await can(other, web, 8080)).toBe(false);
  });

  it('namespaceSelector: pods of labelled namespaces; with a podSelector, only matching pods there', async () => {
    await putPolicy('web-allow-client', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'a' } } }] }] });
    await expectReach(other, web, 8080, true);
    expect(await can(third, web, 8080)).toBe(true);
    expect(await can(client, web, 8080)).toBe(false);
    await putPolicy('web-allow-client', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'client' } } }] }] });
    await expectReach(third, web, 8080, false);
    expect(await can(other, web, 8080)).toBe(true);
    expect(await can(client, web, 8080)).toBe(true);
    // namespace labels are watched: relabelling "other" takes its pods out
    await putPolicy('web-allow-client', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'a' } } }] }] });
    await expectReach(other, web, 8080, true);
    await t.kernel.patch(NAMESPACES, undefined, 'other', 'merge', { metadata: { labels: { team: 'b' } } });
    await expectReach(other, web, 8080, false);
    await t.kernel.patch(NAMESPACES, undefined, 'other', 'merge', { metadata: { labels: { team: 'a' } } });
  });

  it('ipBlock with except: the block is allowed, the exception is not', async () => {
    await putPolicy('web-allow-client', {
      podSelector: { matchLabels: { app: 'web' } },
      ingress: [{ from: [{ ipBlock: { cidr: `10.${SUBNET}.0.0/24`, except: [`${client.ip}/32`] } }, { ipBlock: { cidr: `192.168.${SUBNET}.0/24` } }] }],
    });
    await expectReach(client, web, 8080, false);
    expect(await can(other, web, 8080)).toBe(true);
    expect(await can(third, web, 8080)).toBe(true);
    expect(await can(outside, web, 8080)).toBe(true);
    await putPolicy('web-allow-client', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ ipBlock: { cidr: `10.${SUBNET}.0.0/24`, except: [`10.${SUBNET}.0.16/28`] } }] }] });
    await expectReach(client, web, 8080, true);
    await expectReach(other, web, 8080, false); // .20 is in .16/28
    expect(await can(outside, web, 8080)).toBe(false);
  });

  it('ports: a range, a named port resolved on the pod, nothing else', async () => {
    await putPolicy('web-allow-client', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ protocol: 'TCP', port: 9000, endPort: 9001 }, { port: 'http' }] }] });
    await expectReach(third, web, 9005, false);
    for (const [port, ok] of [[9000, true], [9001, true], [9005, false], [8080, true]] as const) expect(await can(third, web, port), `port ${port}`).toBe(ok);
    expect(await can(outside, web, 9001)).toBe(true); // no peers: from anywhere
  });

  it('a named port no pod has: nothing allowed to it, a Warning Event on the policy', async () => {
    await putPolicy('web-allow-client', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ ports: [{ port: 'metrics' }] }] });
    await expectReach(third, web, 9000, false);
    for (const port of [8080, 9000, 9005]) expect(await can(third, web, port)).toBe(false);
    const ev = await eventually(async () => (await t.kernel.list(EVENTS, { namespace: 'default' })).items.find((e) => (e as { reason?: string }).reason === 'NamedPortNotFound'), 10_000, 'the Event');
    expect(ev).toMatchObject({ type: 'Warning', involvedObject: { kind: 'NetworkPolicy', name: 'web-allow-client' }, message: expect.stringContaining('"metrics"') });
  });

  it('deleting the policies restores traffic within a second', async () => {
    const probe = probers[0]!;
    await delPolicy('web-allow-client');
    await expectReach(client, web, 8080, false); // web-deny still selects web
    const since = Date.now();
    await delPolicy('web-deny');
    expect(await shows('delete', probe, true, since)).toBeLessThan(1000);
    expect(await can(other, web, 9005)).toBe(true);
  });

  it('egress: deny all from the client, then allow to web on a named port, then to an ipBlock', async () => {
    await putPolicy('client-egress', { podSelector: { matchLabels: { app: 'client' } }, policyTypes: ['Egress'] });
    await expectReach(client, web, 8080, false);
    expect(await can(client, outside, 8080)).toBe(false);
    expect(await can(web, client, 8080)).toBe(true); // ingress to the client is not restricted; replies flow
    await putPolicy('client-egress', { podSelector: { matchLabels: { app: 'client' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 'http' }] }] });
    await expectReach(client, web, 8080, true);
    expect(await can(client, web, 9000)).toBe(false);
    expect(await can(client, outside, 8080)).toBe(false);
    await putPolicy('client-egress', {
      podSelector: { matchLabels: { app: 'client' } },
      egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 'http' }] }, { to: [{ ipBlock: { cidr: `192.168.${SUBNET}.0/24` } }] }],
    });
    await expectReach(client, outside, 8080, true);
    // egress allowed, but the destination's ingress policy still applies
    await putPolicy('web-deny', { podSelector: { matchLabels: { app: 'web' } } });
    await expectReach(client, web, 8080, false);
    await delPolicy('web-deny');
    await delPolicy('client-egress');
    await expectReach(client, outside, 8080, true);
    expect(await can(client, web, 9000)).toBe(true);
  });

  it('a pod whose labels change moves in and out of the peers', async () => {
    await putPolicy('web-deny', { podSelector: { matchLabels: { app: 'web' } } });
    await expectReach(client, web, 8080, false);
    await putPolicy('web-allow-client', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }] }] });
    await expectReach(client, web, 8080, true);
    await t.kernel.patch(PODS, 'default', 'client', 'merge', { metadata: { labels: { app: 'stranger' } } });
    await expectReach(client, web, 8080, false);
    await t.kernel.patch(PODS, 'default', 'client', 'merge', { metadata: { labels: { app: 'client' } } });
    await expectReach(client, web, 8080, true);
  });

  it('a transaction nft refuses leaves the previous rules working; the plugin retries and catches up', async () => {
    const nft = new Nft({ netns: node.ns });
    // something else in the shared table holds a reference to the policy's chain: deleting it fails
    const chain = (await nft.chainNames('inet', 'skiff')).find((c) => c.startsWith('np-pi-') && c.endsWith('default/web-allow-client'));
    expect(chain).toBeDefined();
    await nft.apply(`add chain inet skiff other-hold\nadd rule inet skiff other-hold jump ${chain}\n`);
    const failures = Number(host.runtime('network-policy')?.failures ?? 0);
    await delPolicy('web-allow-client');
    await eventually(() => Number(host.runtime('network-policy')?.failures ?? 0) > failures, 10_000, 'a failed sync');
    expect(logs.some((l) => l.includes('network policy sync failed'))).toBe(true);
    // the previous rules are in force: the client still gets in
    expect(await can(client, web, 8080)).toBe(true);
    await nft.apply('delete chain inet skiff other-hold\n');
    await expectReach(client, web, 8080, false);
    await delPolicy('web-deny');
    await expectReach(client, web, 8080, true);
  });

  it('sees pod addresses behind a Service address DNATed in prerouting (as the service proxy does)', async () => {
    const nft = new Nft({ netns: node.ns });
    // a stand-in for the proxy's DNAT (table of the test's own, nat prerouting -100)
    await nft.apply(`add table ip nptest\nadd chain ip nptest pre { type nat hook prerouting priority -100 ; }\nadd rule ip nptest pre ip daddr 10.96.0.50 tcp dport 80 dnat to ${web.ip}:8080\n`);
    const viaSvc = async () => !!(await connectMany(client.ns, '10.96.0.50', 80, 1, 400))[0]?.name;
    await eventually(viaSvc, 10_000, 'the Service address answers');
    await putPolicy('web-deny', { podSelector: { matchLabels: { app: 'web' } } });
    await eventually(async () => !(await viaSvc()), 10_000, 'denied through the Service address');
    await putPolicy('web-allow-client', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 'http' }] }] });
    await eventually(viaSvc, 10_000, 'allowed through the Service address (named port resolved on the pod behind it)');
    await delPolicy('web-allow-client');
    await delPolicy('web-deny');
    await nft.apply('delete table ip nptest\n');
  });

  it('stopping the plugin leaves the table to the others (it never deletes it)', async () => {
    lastSync = host.runtime('network-policy')?.lastSync;
    await host.stop();
    expect(await new Nft({ netns: node.ns }).hasTable('inet', 'skiff')).toBe(true);
  });
});
