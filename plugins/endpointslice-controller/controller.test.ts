// The controller on a real kernel (NATS): pods whose status the test writes stand in for running
// ones; slices and Endpoints are read back through the kernel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT_SLICES, ENDPOINTS, EVENTS, PODS, SERVICES, type EndpointSlice, type Endpoints } from '@skiff/api';
import { eventually, sleep, startControllers, type ControllerTestEnv } from '../../client/testing.ts';
import controller from './plugin.ts';
import { createNode, createPod, createService, endpointsByPod, NS, setPodStatus, slicesOf } from './testing.ts';

let env: ControllerTestEnv;
beforeAll(async () => {
  env = await startControllers([{ descriptor: controller }]);
  await createNode(k(), 'node-a', 'zone-a');
  await createNode(k(), 'node-b', 'zone-b');
});
afterAll(() => env?.stop());

const k = () => env.t.kernel;
const getEndpoints = async (name: string) => (await k().get(ENDPOINTS, NS, name)) as Endpoints;
const events = async (name: string) =>
  (await k().list(EVENTS, { namespace: NS })).items.filter((e) => (e.involvedObject as { name: string }).name === name) as unknown as { reason: string; type: string; message: string }[];

describe('endpointslice-controller', () => {
  it('writes a slice of the selected pods with addresses, node, zone, targetRef, ports and conditions', async () => {
    const svc = await createService(k(), 'web', { labels: { team: 'a' } });
    await createPod(k(), 'web-1', { labels: { app: 'web' }, ip: '10.244.0.11', node: 'node-a' });
    await createPod(k(), 'web-2', { labels: { app: 'web' }, ip: '10.244.1.12', node: 'node-b', ready: false });
    await createPod(k(), 'web-3', { labels: { app: 'web' }, node: 'node-a' }); // no IP yet: not listed
    await createPod(k(), 'other', { labels: { app: 'other' }, ip: '10.244.0.99' });
    const eps = await eventually(async () => {
      const m = await endpointsByPod(k(), 'web');
      return m.size === 2 ? m : undefined;
    }, 10_000, 'two endpoints');
    const slices = await slicesOf(k(), 'web');
    expect(slices).toHaveLength(1);
    const s = slices[0];
    expect(s.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(s.metadata.generateName).toBe('web-');
    expect(s.metadata.labels).toEqual({
      team: 'a',
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      'service.kubernetes.io/headless': '', // no ClusterIP is set on this Service
    });
    expect(s.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(s.addressType).toBe('IPv4');
    expect(s.ports).toEqual([{ name: '', port: 8080, protocol: 'TCP' }]);
    const pod1 = await k().get(PODS, NS, 'web-1');
    expect(eps.get('web-1')).toMatchObject({
      addresses: ['10.244.0.11'],
      nodeName: 'node-a',
      zone: 'zone-a',
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod', namespace: NS, name: 'web-1', uid: pod1.metadata.uid },
    });
    expect(eps.get('web-2')).toMatchObject({ addresses: ['10.244.1.12'], zone: 'zone-b', conditions: { ready: false, serving: false, terminating: false } });
    // legacy Endpoints: ready and not-ready addresses
    const ep = await eventually(async () => {
      try {
        return await getEndpoints('web');
      } catch {
        return undefined;
      }
    });
    expect(ep.subsets).toEqual([
      {
        addresses: [{ ip: '10.244.0.11', nodeName: 'node-a', targetRef: { kind: 'Pod', namespace: NS, name: 'web-1', uid: pod1.metadata.uid } }],
        notReadyAddresses: [expect.objectContaining({ ip: '10.244.1.12', nodeName: 'node-b' })],
        ports: [{ name: '', port: 8080, protocol: 'TCP' }],
      },
    ]);
  });

  it('follows readiness flips, a new IP and scaling, updating the one slice in place', async () => {
    const before = (await slicesOf(k(), 'web'))[0];
    await setPodStatus(k(), 'web-2', { ip: '10.244.1.12', ready: true });
    await eventually(async () => (await endpointsByPod(k(), 'web')).get('web-2')?.conditions?.ready === true, 5000, 'web-2 ready');
    await setPodStatus(k(), 'web-3', { ip: '10.244.0.13', ready: true });
    await eventually(async () => (await endpointsByPod(k(), 'web')).size === 3, 5000, 'three endpoints');
    await setPodStatus(k(), 'web-1', { ip: '10.244.0.11', ready: false });
    await eventually(async () => (await endpointsByPod(k(), 'web')).get('web-1')?.conditions?.serving === false, 5000, 'web-1 not ready');
    const after = await slicesOf(k(), 'web');
    expect(after.map((s) => s.metadata.name)).toEqual([before.metadata.name]); // the same slice, updated
    await eventually(async () => {
      const e = await getEndpoints('web');
      return e.subsets?.[0].addresses?.length === 2 && e.subsets[0].notReadyAddresses?.length === 1;
    }, 5000, 'Endpoints follow');
    // scale down: a pod deleted at once leaves the slice
    await k().delete(PODS, NS, 'web-3', { gracePeriodSeconds: 0 });
    await eventually(async () => !(await endpointsByPod(k(), 'web')).has('web-3'), 5000, 'web-3 gone');
  });

  it('marks a terminating pod: not ready, serving while Ready, terminating; Endpoints drop it', async () => {
    await setPodStatus(k(), 'web-1', { ip: '10.244.0.11', ready: true });
    await eventually(async () => (await endpointsByPod(k(), 'web')).get('web-1')?.conditions?.ready === true);
    await k().delete(PODS, NS, 'web-1', { gracePeriodSeconds: 30 }); // bound to a node: it stays, terminating
    const ep = await eventually(async () => {
      const e = (await endpointsByPod(k(), 'web')).get('web-1');
      return e?.conditions?.terminating ? e : undefined;
    }, 5000, 'web-1 terminating');
    expect(ep.conditions).toEqual({ ready: false, serving: true, terminating: true });
    await eventually(async () => {
      const e = await getEndpoints('web');
      return JSON.stringify(e.subsets).includes('web-1') ? undefined : true;
    }, 5000, 'Endpoints without web-1');
    await k().delete(PODS, NS, 'web-1', { gracePeriodSeconds: 0 });
    await eventually(async () => !(await endpointsByPod(k(), 'web')).has('web-1'), 5000, 'web-1 gone');
  });

  it('resolves named target ports per pod: pods grouped by port set; a pod without the name is left out of that port, with an Event', async () => {
    await createService(k(), 'named', { ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9090, targetPort: 9090 }] });
    await createPod(k(), 'named-1', { labels: { app: 'named' }, ip: '10.244.0.21', ports: [{ name: 'http', containerPort: 8080 }] });
    await createPod(k(), 'named-2', { labels: { app: 'named' }, ip: '10.244.0.22', ports: [{ name: 'http', containerPort: 8081 }] });
    await createPod(k(), 'named-3', { labels: { app: 'named' }, ip: '10.244.0.23', ports: [{ name: 'web', containerPort: 8080 }] });
    const eps = await eventually(async () => {
      const m = await endpointsByPod(k(), 'named');
      return m.size === 3 ? m : undefined;
    }, 5000, 'three endpoints');
    const portsOf = (pod: string) => [...(eps.get(pod)!.ports ?? [])].sort((a, b) => a.port! - b.port!);
    expect(portsOf('named-1')).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9090, protocol: 'TCP' }]);
    expect(portsOf('named-2')).toEqual([{ name: 'http', port: 8081, protocol: 'TCP' }, { name: 'metrics', port: 9090, protocol: 'TCP' }]);
    expect(portsOf('named-3')).toEqual([{ name: 'metrics', port: 9090, protocol: 'TCP' }]);
    expect(new Set([...eps.values()].map((e) => e.slice)).size).toBe(3); // one slice per port combination
    const ev = await eventually(async () => (await events('named')).find((e) => e.reason === 'FailedToResolvePort'), 5000, 'Event');
    expect(ev).toMatchObject({ type: 'Warning', message: 'Pod named-3 has no container port named "http": it is left out of the endpoints for Service port http' });
  });

  it('sets hostname for pods whose subdomain is the (headless) Service', async () => {
    await createService(k(), 'db', { clusterIP: 'None', ports: [{ port: 5432 }] });
    await createPod(k(), 'db-0', { labels: { app: 'db' }, ip: '10.244.0.31', hostname: 'db-0', subdomain: 'db' });
    await createPod(k(), 'db-x', { labels: { app: 'db' }, ip: '10.244.0.32', hostname: 'db-x', subdomain: 'other' });
    const eps = await eventually(async () => {
      const m = await endpointsByPod(k(), 'db');
      return m.size === 2 ? m : undefined;
    });
    expect(eps.get('db-0')!.hostname).toBe('db-0');
    expect(eps.get('db-x')!.hostname).toBeUndefined();
    const e = await eventually(async () => (await k().list(ENDPOINTS, { namespace: NS })).items.find((x) => x.metadata.name === 'db') as Endpoints | undefined);
    expect(e.subsets?.[0].addresses?.find((a) => a.ip === '10.244.0.31')?.hostname).toBe('db-0');
    expect(e.metadata.labels).toEqual({ 'service.kubernetes.io/headless': '' });
  });

  it('splits over 100 endpoints per slice and refills without churning the full slices', async () => {
    await createService(k(), 'big');
    const N = 230;
    await Promise.all(Array.from({ length: N }, (_, i) => createPod(k(), `big-${i}`, { labels: { app: 'big' }, ip: `10.245.${i >> 8}.${(i & 255) + 1}` })));
    const slices = await eventually(async () => {
      const s = await slicesOf(k(), 'big');
      return s.reduce((n, x) => n + x.endpoints.length, 0) === N ? s : undefined;
    }, 20_000, `${N} endpoints`);
    expect(slices.map((s) => s.endpoints.length).sort((a, b) => b - a)).toEqual([100, 100, 30]);
    // one pod goes: only the slice that held it is written
    const victim = slices.find((s) => s.endpoints.length === 100)!.endpoints[0].targetRef!.name!;
    await k().delete(PODS, NS, victim, { gracePeriodSeconds: 0 });
    const after = await eventually(async () => {
      const s = await slicesOf(k(), 'big');
      return s.reduce((n, x) => n + x.endpoints.length, 0) === N - 1 ? s : undefined;
    }, 5000, 'one endpoint fewer');
    const rv = (list: EndpointSlice[]) => new Map(list.map((s) => [s.metadata.name, s.metadata.resourceVersion]));
    const changed = [...rv(after)].filter(([n, v]) => rv(slices).get(n) !== v).map(([n]) => n);
    expect(changed).toHaveLength(1);
    expect(after.map((s) => s.metadata.name).sort()).toEqual(slices.map((s) => s.metadata.name).sort());
    // Endpoints list all of them in one subset
    const e = await eventually(async () => {
      const x = await getEndpoints('big');
      return x.subsets?.[0].addresses?.length === N - 1 ? x : undefined;
    }, 5000, 'Endpoints');
    expect(e.subsets).toHaveLength(1);
  });

  it('keeps a placeholder slice when nothing is selected, and leaves selector-less Services alone', async () => {
    await createService(k(), 'empty', { selector: { app: 'nothing' } });
    const s = await eventually(async () => {
      const x = await slicesOf(k(), 'empty');
      return x.length ? x : undefined;
    });
    expect(s).toHaveLength(1);
    expect(s[0].endpoints ?? []).toEqual([]);
    expect(s[0].ports ?? []).toEqual([]);
    await createService(k(), 'manual', { selector: null });
    await sleep(500);
    expect(await slicesOf(k(), 'manual')).toEqual([]);
    await expect(k().get(ENDPOINTS, NS, 'manual')).rejects.toMatchObject({ code: 404 });
  });

  it('deletes the slices and the Endpoints when the Service goes', async () => {
    expect((await slicesOf(k(), 'web')).length).toBeGreaterThan(0);
    await k().delete(SERVICES, NS, 'web');
    await eventually(async () => (await slicesOf(k(), 'web')).length === 0, 5000, 'slices gone');
    await eventually(async () => {
      try {
        await getEndpoints('web');
        return false;
      } catch (e) {
        return (e as { code?: number }).code === 404;
      }
    }, 5000, 'Endpoints gone');
  });

  it('adds topology hints for topology-mode Auto, by the zones\' CPU, and an Event', async () => {
    await createService(k(), 'zoned', { annotations: { 'service.kubernetes.io/topology-mode': 'Auto' } });
    for (const [i, node] of ['node-a', 'node-a', 'node-b', 'node-b'].entries())
      await createPod(k(), `zoned-${i}`, { labels: { app: 'zoned' }, ip: `10.244.3.${i + 1}`, node });
    const eps = await eventually(async () => {
      const m = await endpointsByPod(k(), 'zoned');
      return m.size === 4 && [...m.values()].every((e) => e.hints) ? m : undefined;
    }, 5000, 'hinted endpoints');
    for (const e of eps.values()) expect(e.hints).toEqual({ forZones: [{ name: e.zone }] });
    await eventually(async () => (await events('zoned')).some((e) => e.reason === 'TopologyAwareHintsEnabled'), 5000, 'Event');
    // a pod on a node without a zone: hints go, with a Warning
    await createNode(k(), 'node-nozone');
    await createPod(k(), 'zoned-x', { labels: { app: 'zoned' }, ip: '10.244.3.9', node: 'node-nozone' });
    await eventually(async () => {
      const m = await endpointsByPod(k(), 'zoned');
      return m.size === 5 && [...m.values()].every((e) => !e.hints);
    }, 5000, 'hints removed');
    await k().delete(PODS, NS, 'zoned-x', { gracePeriodSeconds: 0 });
  });

  it('does not log warnings', () => {
    expect(env.warnings).toEqual([]);
  });

  it('keeps slices valid for the API (the kernel validated every write)', async () => {
    const all = (await k().list(ENDPOINT_SLICES, { namespace: NS })).items as EndpointSlice[];
    expect(all.every((s) => s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] === 'endpointslice-controller.k8s.io')).toBe(true);
  });
});
