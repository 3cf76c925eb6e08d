// Service IPAM on real kernels (NATS JetStream), in plugin hosts: cluster IPs and node ports at
// admission, kube's refusals, frees on delete and type change, the repair loop, and uniqueness under
// 200 concurrent creates through two kernels (two servers) on one store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT_SLICES, ENDPOINTS, IP_ADDRESSES, NODE_PORT_ALLOCATIONS, SERVICE_CIDRS, SERVICES } from '@skiff/api';
import { StatusError, type Kernel, type KObject } from '@skiff/kernel';
import { createConsoleLogger, PluginHost } from '@skiff/kernel/plugins';
import { eventually, startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { ensureKubernetesService } from './kubernetes-service.ts';
import descriptor from './plugin.ts';
import { ServiceIPRange } from './ranges.ts';

const config = { leaderElection: false, leakGraceSeconds: 1, settleSeconds: 0.2, repairIntervalSeconds: 1, apiServerPort: 7443 };
let t: TestKernel;
let host: PluginHost;
let second: { kernel: Kernel; host: PluginHost } | undefined;
beforeAll(async () => {
  t = await startTestKernel();
  host = new PluginHost({ kernel: t.kernel, logger: createConsoleLogger({ level: 'error' }) });
  await host.load([{ descriptor, config }]);
});
afterAll(async () => {
  await second?.host.stopAll();
  await host?.stopAll();
  await t?.stop();
});

const k = () => t.kernel;
type Port = { name?: string; port: number; protocol?: string; nodePort?: number };
const svc = (name: string, spec: Record<string, unknown> = {}, ports: Port[] = [{ port: 80 }]): KObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { selector: { app: name }, ports, ...spec },
});
const spec = (o: KObject) => o.spec as { clusterIP?: string; clusterIPs?: string[]; ipFamilies?: string[]; ipFamilyPolicy?: string; type?: string; ports: Port[] };
async function failure(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error('expected a StatusError');
}
const exists = async (ref: typeof IP_ADDRESSES, name: string) => {
  try {
    return await k().get(ref, undefined, name);
  } catch (e) {
    if (e instanceof StatusError && e.code === 404) return undefined;
    throw e;
  }
};
const inRange = (ip: string) => {
  const [a, b] = ip.split('.').map(Number);
  return a === 10 && b! >= 96 && b! <= 111;
};

describe('service-ipam', () => {
  it('keeps the kubernetes Service at the first address and the kubernetes ServiceCIDR', async () => {
    const s = await k().get(SERVICES, 'default', 'kubernetes');
    expect(spec(s)).toMatchObject({ clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 7443 }] });
    expect(s.metadata.labels).toEqual({ component: 'apiserver', provider: 'kubernetes' });
    const ip = await k().get(IP_ADDRESSES, undefined, '10.96.0.1');
    expect(ip.spec).toEqual({ parentRef: { group: '', resource: 'services', namespace: 'default', name: 'kubernetes' } });
    const cidr = await k().get(SERVICE_CIDRS, undefined, 'kubernetes');
    expect(cidr.spec).toEqual({ cidrs: ['10.96.0.0/12'] });
    expect((cidr.status as any).conditions).toMatchObject([{ type: 'Ready', status: 'True' }]);
  });

  it('gives a ClusterIP Service an address of the range, stored as an IPAddress', async () => {
    const s = await k().create(SERVICES, svc('web'));
    const { clusterIP, clusterIPs, ipFamilies, ipFamilyPolicy } = spec(s);
    expect(inRange(clusterIP!)).toBe(true);
    expect(clusterIP).not.toBe('10.96.0.10');
    expect(clusterIPs).toEqual([clusterIP]);
    expect([ipFamilies, ipFamilyPolicy]).toEqual([['IPv4'], 'SingleStack']);
    const ip = await k().get(IP_ADDRESSES, undefined, clusterIP!);
    expect((ip.spec as any).parentRef).toMatchObject({ resource: 'services', namespace: 'default', name: 'web' });
    expect(ip.metadata.annotations?.['networking.skiff.io/service-uid']).toBe(s.metadata.uid);
    // a dry run answers an address and stores nothing
    const dry = await k().create(SERVICES, svc('dry'), { dryRun: true });
    expect(inRange(spec(dry).clusterIP!)).toBe(true);
    expect(await exists(IP_ADDRESSES, spec(dry).clusterIP!)).toBeUndefined();
  });

  it('headless Services and ExternalNames get no address', async () => {
    const h = await k().create(SERVICES, svc('headless', { clusterIP: 'None' }));
    expect(spec(h)).toMatchObject({ clusterIP: 'None', clusterIPs: ['None'], ipFamilyPolicy: 'SingleStack' });
    const hs = await k().create(SERVICES, svc('headless-selectorless', { clusterIP: 'None', selector: undefined }, []));
    expect(spec(hs)).toMatchObject({ clusterIP: 'None', ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6'] });
    const x = await k().create(SERVICES, svc('external', { type: 'ExternalName', externalName: 'example.com' }, []));
    expect(spec(x).clusterIP).toBeUndefined();
    expect(spec(x).ipFamilies).toBeUndefined();
  });

  it('an explicit address: taken, out of range or not an IP is a 422 naming the field', async () => {
    await k().create(SERVICES, svc('fixed', { clusterIP: '10.96.5.5' }));
    const taken = await failure(k().create(SERVICES, svc('fixed-again', { clusterIP: '10.96.5.5' })));
    expect(taken.code).toBe(422);
    expect(taken.status.details?.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'spec.clusterIPs', message: 'Invalid value: ["10.96.5.5"]: failed to allocate IP 10.96.5.5: provided IP is already allocated' }]);
    expect(taken.message).toBe('Service "fixed-again" is invalid: spec.clusterIPs: Invalid value: ["10.96.5.5"]: failed to allocate IP 10.96.5.5: provided IP is already allocated');
    const out = await failure(k().create(SERVICES, svc('outside', { clusterIP: '192.168.1.1' })));
    expect(out.code).toBe(422);
    expect(out.status.details?.causes?.[0]?.message).toBe(
      'Invalid value: ["192.168.1.1"]: failed to allocate IP 192.168.1.1: the provided IP (192.168.1.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    );
    for (const bad of ['10.96.0.0', '10.111.255.255']) expect((await failure(k().create(SERVICES, svc('edge', { clusterIP: bad })))).code).toBe(422);
    const abc = await failure(k().create(SERVICES, svc('abc', { clusterIP: 'abc' })));
    expect(abc.code).toBe(422);
    expect(abc.status.details?.causes?.map((c) => c.field)).toContain('spec.clusterIP');
  });

  it('reserves the cluster DNS address for an explicit request', async () => {
    const dns = await k().create(SERVICES, { ...svc('kube-dns', { clusterIP: '10.96.0.10' }), metadata: { name: 'kube-dns', namespace: 'default' } });
    expect(spec(dns).clusterIP).toBe('10.96.0.10');
  });

  it('node ports: one per port, shared by TCP and UDP of one port number, 422 when taken or out of range', async () => {
    const s = await k().create(SERVICES, svc('np', { type: 'NodePort' }, [
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      { name: 'dns-udp', port: 53, protocol: 'UDP' },
      { name: 'http', port: 80 },
    ]));
    const [a, b, c] = spec(s).ports.map((p) => p.nodePort!);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    for (const p of [a!, c!]) {
      expect(p).toBeGreaterThanOrEqual(30000);
      expect(p).toBeLessThanOrEqual(32767);
      expect((await k().get(NODE_PORT_ALLOCATIONS, undefined, String(p))).spec).toMatchObject({ parentRef: { namespace: 'default', name: 'np' } });
    }
    expect(inRange(spec(s).clusterIP!)).toBe(true);
    // an explicit node port on one of the pair is used for both
    const pair = await k().create(SERVICES, svc('np-pair', { type: 'NodePort' }, [
      { name: 'a', port: 53, protocol: 'TCP' },
      { name: 'b', port: 53, protocol: 'UDP', nodePort: 31053 },
    ]));
    expect(spec(pair).ports.map((p) => p.nodePort)).toEqual([31053, 31053]);
    // another Service may not have it, whatever the protocol (kube's allocator is per port number)
    const taken = await failure(k().create(SERVICES, svc('np-taken', { type: 'NodePort' }, [{ name: 'x', port: 81, protocol: 'UDP', nodePort: 31053 }])));
    expect(taken.code).toBe(422);
    expect(taken.status.details?.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'spec.ports[0].nodePort', message: 'Invalid value: 31053: provided port is already allocated' }]);
    const low = await failure(k().create(SERVICES, svc('np-low', { type: 'NodePort' }, [{ port: 80, nodePort: 80 }])));
    expect(low.status.details?.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'spec.ports[0].nodePort', message: 'Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767' }]);
    // nothing of a refused create stays allocated
    expect(await exists(NODE_PORT_ALLOCATIONS, '80')).toBeUndefined();
  });

  it('a refused create gives back what it claimed before the refusal', async () => {
    const e = await failure(k().create(SERVICES, svc('half', { type: 'NodePort', clusterIP: '10.96.7.7' }, [{ port: 80, nodePort: 31053 }])));
    expect(e.code).toBe(422);
    expect(await exists(IP_ADDRESSES, '10.96.7.7')).toBeUndefined();
  });

  it('a delete frees the address and node ports at once', async () => {
    const s = await k().create(SERVICES, svc('short', { type: 'NodePort', clusterIP: '10.96.9.9' }, [{ port: 80, nodePort: 30999 }]));
    await k().delete(SERVICES, 'default', 'short');
    const again = await k().create(SERVICES, svc('short-again', { type: 'NodePort', clusterIP: '10.96.9.9' }, [{ port: 80, nodePort: 30999 }]));
    expect(spec(again).clusterIP).toBe('10.96.9.9');
    const ip = await k().get(IP_ADDRESSES, undefined, '10.96.9.9');
    expect((ip.spec as any).parentRef.name).toBe('short-again');
    expect(ip.metadata.annotations?.['networking.skiff.io/service-uid']).not.toBe(s.metadata.uid);
    // the same name again after a delete: the new Service (another uid) has it
    await k().delete(SERVICES, 'default', 'short-again');
    const third = await k().create(SERVICES, svc('short-again', { type: 'NodePort', clusterIP: '10.96.9.9' }, [{ port: 80, nodePort: 30999 }]));
    expect(spec(third).ports[0]!.nodePort).toBe(30999);
    // deleted without another claim: the repair loop removes the objects
    await k().delete(SERVICES, 'default', 'short-again');
    await eventually(async () => !(await exists(IP_ADDRESSES, '10.96.9.9')) && !(await exists(NODE_PORT_ALLOCATIONS, '30999')), 5000, 'the allocations to go');
  });

  it('updates keep what they leave out; type changes free what they drop', async () => {
    const s = await k().create(SERVICES, svc('morph', { type: 'NodePort' }, [{ name: 'http', port: 80 }]));
    const { clusterIP } = spec(s);
    const np = spec(s).ports[0]!.nodePort!;
    // a replace without clusterIP and nodePort (kubectl replace of the original manifest) keeps both
    const replaced = await k().update(SERVICES, { ...svc('morph', { type: 'NodePort' }, [{ name: 'http', port: 80 }]), metadata: { ...s.metadata } });
    expect(spec(replaced).clusterIP).toBe(clusterIP);
    expect(spec(replaced).ports[0]!.nodePort).toBe(np);
    // a node port changed by hand: the new one is claimed, the old one freed (a port no earlier
    // test's random pick holds)
    let free = 31999;
    while (free === np || (await exists(NODE_PORT_ALLOCATIONS, String(free)))) free--;
    const moved = await k().update(SERVICES, { ...replaced, spec: { ...spec(replaced), ports: [{ name: 'http', port: 80, nodePort: free }] } });
    expect(spec(moved).ports[0]!.nodePort).toBe(free);
    expect(await exists(NODE_PORT_ALLOCATIONS, String(free))).toBeDefined();
    await eventually(async () => !(await exists(NODE_PORT_ALLOCATIONS, String(np))), 5000, 'the replaced node port to be freed');
    const back2 = await k().update(SERVICES, { ...moved, spec: { ...spec(moved), ports: [{ name: 'http', port: 80, nodePort: np }] } });
    expect(spec(back2).ports[0]!.nodePort).toBe(np);
    // NodePort -> ClusterIP: the node port goes and is freed
    const cip = await k().update(SERVICES, { ...back2, spec: { ...spec(back2), type: 'ClusterIP' } });
    expect(spec(cip).ports[0]!.nodePort).toBeUndefined();
    await eventually(async () => !(await exists(NODE_PORT_ALLOCATIONS, String(np))), 5000, 'the dropped node port to be freed');
    // ClusterIP -> ExternalName: the address goes and is freed
    const ext = await k().update(SERVICES, { ...cip, spec: { ...spec(cip), type: 'ExternalName', externalName: 'example.com' } });
    expect(spec(ext).clusterIP).toBeUndefined();
    await eventually(async () => !(await exists(IP_ADDRESSES, clusterIP!)), 5000, 'the dropped address to be freed');
    // ExternalName -> ClusterIP: a new address
    const back = await k().update(SERVICES, { ...ext, spec: { ...spec(ext), type: 'ClusterIP', externalName: undefined } });
    expect(inRange(spec(back).clusterIP!)).toBe(true);
    expect(await exists(IP_ADDRESSES, spec(back).clusterIP!)).toBeDefined();
    // the address stays immutable
    expect((await failure(k().update(SERVICES, { ...back, spec: { ...spec(back), clusterIP: '10.96.3.3', clusterIPs: ['10.96.3.3'] } }))).code).toBe(422);
  });

  it('a Service held by a finalizer keeps its address until it is gone, then frees it at once', async () => {
    const s = await k().create(SERVICES, { ...svc('held', { clusterIP: '10.96.6.6' }), metadata: { name: 'held', namespace: 'default', finalizers: ['example.com/hold'] } });
    await k().delete(SERVICES, 'default', 'held');
    expect((await failure(k().create(SERVICES, svc('wants-it', { clusterIP: '10.96.6.6' })))).code).toBe(422);
    const marked = await k().get(SERVICES, 'default', 'held');
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    await k().update(SERVICES, { ...marked, metadata: { ...marked.metadata, finalizers: [] } });
    expect(spec(await k().create(SERVICES, svc('wants-it', { clusterIP: '10.96.6.6' }))).clusterIP).toBe(spec(s).clusterIP);
  });

  it('frees a claim whose Service was never stored (a create refused after admission)', async () => {
    // no ports: schema validation refuses it after this plugin claimed the address
    const e = await failure(k().create(SERVICES, svc('broken', { clusterIP: '10.96.8.8' }, [])));
    expect(e.status.details?.causes?.map((c) => c.field)).toEqual(['spec.ports']);
    expect(await exists(IP_ADDRESSES, '10.96.8.8')).toBeDefined(); // leaked for now
    await eventually(async () => !(await exists(IP_ADDRESSES, '10.96.8.8')), 8000, 'the leaked address to be freed');
    expect(spec(await k().create(SERVICES, svc('fixed-up', { clusterIP: '10.96.8.8' }))).clusterIP).toBe('10.96.8.8');
  });

  it('the repair loop does not read Services in use from the store each round (the informer says so)', async () => {
    for (let i = 0; i < 20; i++) await k().create(SERVICES, svc(`steady-${i}`, { type: 'NodePort' }));
    const kernel = k();
    const get = kernel.get;
    let serviceReads = 0;
    kernel.get = ((ref, ...rest) => {
      if (ref.resource === 'services') serviceReads++;
      return get.call(kernel, ref, ...rest);
    }) as typeof get;
    // windows of two resyncs (repairIntervalSeconds: 1) over 40+ allocations, until the new
    // allocations' first looks (which may take the store's word while the informers catch up) are over
    const reads: number[] = [];
    try {
      while (reads.length < 6 && reads.at(-1) !== 0) {
        serviceReads = 0;
        await new Promise((r) => setTimeout(r, 2500));
        reads.push(serviceReads);
      }
    } finally {
      kernel.get = get;
    }
    expect(reads.at(-1), `Service reads per window: ${reads.join(', ')}`).toBe(0);
  });

  it('restores the allocation object of a Service that holds an address without one', async () => {
    const s = await k().create(SERVICES, svc('orphaned'));
    const ip = spec(s).clusterIP!;
    const obj = await k().get(IP_ADDRESSES, undefined, ip);
    await k().delete(IP_ADDRESSES, undefined, ip, { preconditions: { uid: obj.metadata.uid } });
    await eventually(async () => {
      const o = await exists(IP_ADDRESSES, ip);
      return o && o.metadata.uid !== obj.metadata.uid && (o.spec as any).parentRef.name === 'orphaned';
    }, 8000, 'the allocation to be restored');
  });

  it('200 concurrent creates through two kernels: every address and node port unique', async () => {
    const k2 = await t.restart();
    const h2 = new PluginHost({ kernel: k2, logger: createConsoleLogger({ level: 'error' }) });
    await h2.load([{ descriptor, config }]);
    second = { kernel: k2, host: h2 };
    await k().create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'burst' } });
    const made = await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const s = { ...svc(`s${i}`, i % 2 ? { type: 'NodePort' } : {}, i % 2 ? [{ name: 'a', port: 80 }, { name: 'b', port: 443 }] : [{ port: 80 }]), metadata: { name: `s${i}`, namespace: 'burst' } };
        return (i % 2 === 0 ? k() : k2).create(SERVICES, s);
      }),
    );
    const ips = made.map((s) => spec(s).clusterIP!);
    const nodePorts = made.flatMap((s) => spec(s).ports.map((p) => p.nodePort).filter((p): p is number => p !== undefined));
    expect(new Set(ips).size).toBe(200);
    expect(ips.every(inRange)).toBe(true);
    expect(nodePorts).toHaveLength(200);
    expect(new Set(nodePorts).size).toBe(200);
    // the store agrees: one IPAddress and one NodePortAllocation per value, each naming its Service
    const stored = (await k().list(IP_ADDRESSES)).items.filter((o) => (o.spec as any).parentRef.namespace === 'burst');
    expect(stored.map((o) => o.metadata.name).sort()).toEqual([...ips].sort());
    const storedPorts = (await k().list(NODE_PORT_ALLOCATIONS)).items.filter((o) => (o.spec as any).parentRef.namespace === 'burst');
    expect(storedPorts.map((o) => Number(o.metadata.name)).sort()).toEqual([...nodePorts].sort());
  }, 60_000);

  it('after a restart (a new kernel and plugin on the same store) allocations are kept and new ones do not collide', async () => {
    await second!.host.stopAll();
    await host.stopAll();
    const k3 = await t.restart();
    const h3 = new PluginHost({ kernel: k3, logger: createConsoleLogger({ level: 'error' }) });
    await h3.load([{ descriptor, config }]);
    second = { kernel: k3, host: h3 };
    // the kubernetes Service is there: kept as it is (another start must not fail on its address)
    const range = new ServiceIPRange('10.96.0.0/12');
    expect(await ensureKubernetesService(k3, range, { apiServerPort: 7443, apiServerAddresses: [] })).toEqual([]);
    expect(await ensureKubernetesService(k3, range, { apiServerPort: 7443, apiServerAddresses: ['192.0.2.10'] })).toEqual(['endpoints', 'endpointslice']);
    expect((await k3.get(ENDPOINTS, 'default', 'kubernetes')).subsets).toEqual([{ addresses: [{ ip: '192.0.2.10' }], ports: [{ name: 'https', port: 7443, protocol: 'TCP' }] }]);
    expect(await k3.get(ENDPOINT_SLICES, 'default', 'kubernetes')).toMatchObject({ addressType: 'IPv4', endpoints: [{ addresses: ['192.0.2.10'], conditions: { ready: true } }], ports: [{ name: 'https', port: 7443 }] });
    expect(await ensureKubernetesService(k3, range, { apiServerPort: 8443, apiServerAddresses: ['192.0.2.10'] })).toEqual(['service-ports', 'endpoints-updated', 'endpointslice-updated']);
    const before = (await k3.list(SERVICES, { namespace: 'burst' })).items;
    expect(before).toHaveLength(200);
    const taken = await failure(k3.create(SERVICES, { ...svc('dup', { clusterIP: spec(before[0]!).clusterIP }), metadata: { name: 'dup', namespace: 'burst' } }));
    expect(taken.code).toBe(422);
    const oldIPs = new Set(before.map((s) => spec(s).clusterIP));
    const oldPorts = new Set(before.flatMap((s) => spec(s).ports.map((p) => p.nodePort)));
    const fresh = await Promise.all(Array.from({ length: 20 }, (_, i) => k3.create(SERVICES, { ...svc(`n${i}`, { type: 'NodePort' }), metadata: { name: `n${i}`, namespace: 'burst' } })));
    for (const s of fresh) {
      expect(oldIPs.has(spec(s).clusterIP)).toBe(false);
      expect(oldPorts.has(spec(s).ports[0]!.nodePort)).toBe(false);
    }
    // a delete frees through the new plugin too
    await k3.delete(SERVICES, 'burst', 's0');
    const reuse = await k3.create(SERVICES, { ...svc('reuse', { clusterIP: spec(before.find((s) => s.metadata.name === 's0')!).clusterIP }), metadata: { name: 'reuse', namespace: 'burst' } });
    expect(spec(reuse).clusterIP).toBe(spec(before.find((s) => s.metadata.name === 's0')!).clusterIP);
  }, 60_000);
});
