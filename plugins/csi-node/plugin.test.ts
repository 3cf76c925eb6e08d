// The `skiff.io/csi` plugin against a real kernel: the host-path driver (in this process, over its
// real sockets) registers through plugins_registry; the plugin publishes CSINode, the Node's nodeid
// annotation and topology labels, and undoes them when the driver goes. Refused registrations
// (bad name, unsupported version) are told to the registrar and recorded as Warning Events.
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { createConsoleLogger, PluginHost, silentLogger, type Logger } from '@skiff/kernel/plugins';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { csi } from '@skiff/node-api';
import { describeNeeding } from '../../scripts/test-parts.ts';
import { HOSTPATH_DRIVER_NAME, HOSTPATH_TOPOLOGY_KEY, startHostpathDriver, type RunningHostpathDriver } from './hostpath/mod.ts';
import { CSI_NODES, NODE_ID_ANNOTATION, NODES } from './node-info.ts';
import plugin from './plugin.ts';
import { hostpathUnavailable, tempRoot, type TempRoot } from './testing.ts';

/** retries `fn` until it stops throwing */
const eventually = (fn: () => unknown) => vi.waitFor(fn, { timeout: 15_000, interval: 50 });
const EVENTS = { group: '', version: 'v1', resource: 'events' };
const GiB = 1024 ** 3;

/** CSINode as storage.k8s.io serves it, for a kernel that does not serve it yet (storage-cp adds the real kind) */
export function ensureCsiNodeKind(t: TestKernel): void {
  try {
    t.kernel.kindFor(CSI_NODES);
  } catch {
    t.kernel.registerKind({ group: 'storage.k8s.io', version: 'v1', kind: 'CSINode', resource: 'csinodes', namespaced: false });
  }
}

describeNeeding(['root', ['root', hostpathUnavailable]], 'skiff.io/csi plugin: driver registration', () => {
  let t: TestKernel;
  let host: PluginHost;
  let tmp: TempRoot;
  const drivers: RunningHostpathDriver[] = [];
  const logger: Logger = silentLogger;

  beforeEach(async () => {
    tmp = tempRoot();
    t = await startTestKernel();
    ensureCsiNodeKind(t);
    await t.kernel.create(NODES, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', labels: { keep: 'me' } } });
    host = new PluginHost({ kernel: t.kernel, logger: createConsoleLogger({ level: 'error' }) });
    await host.load([{ descriptor: plugin, config: { rootDir: tmp.root, nodeName: 'node-a', resyncMs: 200 } }]);
  });
  afterEach(async () => {
    for (const d of drivers.splice(0)) await d.stop();
    await host?.stopAll();
    await t?.stop();
    await tmp.cleanup();
  });

  const startDriver = async (registration?: { name?: string; supportedVersions?: string[] }, dir = 'data') => {
    const d = await startHostpathDriver({ rootDir: tmp.root, dataDir: `${tmp.root}/${dir}`, nodeId: 'node-a', capacityBytes: GiB, maxVolumesPerNode: 7, logger, registration });
    drivers.push(d);
    return d;
  };
  const drivers_ = () => host.resolve(csi.CsiDriversToken);

  it('registers a driver that appears, publishes CSINode and the Node labels, and deregisters it when it goes', async () => {
    const d = await startDriver();
    await eventually(() => expect(d.registrations).toEqual([{ pluginRegistered: true, error: '' }]));
    const registered = drivers_().list();
    expect(registered).toEqual([
      { name: HOSTPATH_DRIVER_NAME, endpoint: d.csiSocket, versions: ['1.0.0'], nodeId: 'node-a', maxVolumesPerNode: 7, topologyKeys: [HOSTPATH_TOPOLOGY_KEY] },
    ]);
    const client = drivers_().get(HOSTPATH_DRIVER_NAME)!;
    expect(client.controller).toBeDefined();
    expect((await client.nodeGetInfo()).nodeId).toBe('node-a');

    await eventually(async () => {
      const csiNode = (await t.kernel.get(CSI_NODES, undefined, 'node-a')) as never as { spec: { drivers: unknown[] }; metadata: { ownerReferences: { kind: string }[] } };
      expect(csiNode.spec.drivers).toEqual([{ name: HOSTPATH_DRIVER_NAME, nodeID: 'node-a', topologyKeys: [HOSTPATH_TOPOLOGY_KEY], allocatable: { count: 7 } }]);
      expect(csiNode.metadata.ownerReferences[0]!.kind).toBe('Node');
      const node = await t.kernel.get(NODES, undefined, 'node-a');
      expect(JSON.parse(node.metadata.annotations![NODE_ID_ANNOTATION]!)).toEqual({ [HOSTPATH_DRIVER_NAME]: 'node-a' });
      expect(node.metadata.labels).toEqual({ keep: 'me', [HOSTPATH_TOPOLOGY_KEY]: 'node-a' });
    });

    const changes: string[] = [];
    drivers_().onChange((e) => changes.push(`${e.type} ${e.driver.name}`));
    await d.stop(); // its sockets go
    await eventually(() => expect(changes).toEqual([`Deregistered ${HOSTPATH_DRIVER_NAME}`]));
    expect(drivers_().get(HOSTPATH_DRIVER_NAME)).toBeUndefined();
    await eventually(async () => {
      const csiNode = (await t.kernel.get(CSI_NODES, undefined, 'node-a')) as never as { spec: { drivers?: unknown[] } };
      expect(csiNode.spec.drivers ?? []).toEqual([]);
      const node = await t.kernel.get(NODES, undefined, 'node-a');
      expect(node.metadata.annotations?.[NODE_ID_ANNOTATION]).toBeUndefined();
      expect(node.metadata.labels).toEqual({ keep: 'me' });
    });

    // it comes back (a restarted driver binds its sockets anew)
    const again = await startDriver();
    await eventually(() => expect(again.registrations).toEqual([{ pluginRegistered: true, error: '' }]));
    expect(changes).toEqual([`Deregistered ${HOSTPATH_DRIVER_NAME}`, `Registered ${HOSTPATH_DRIVER_NAME}`]);
  }, 60_000);

  it('refuses a bad driver name and an unsupported CSI version, telling the registrar and the Node', async () => {
    const badName = await startDriver({ name: 'Not_A.Valid-Name_' });
    await eventually(() => expect(badName.registrations).toHaveLength(1));
    expect(badName.registrations[0]!.pluginRegistered).toBe(false);
    expect(badName.registrations[0]!.error).toMatch(/invalid CSI driver name "Not_A.Valid-Name_"/);
    await badName.stop();

    const oldVersion = await startDriver({ supportedVersions: ['0.3.0', '2.0.0'] }, 'data2');
    await eventually(() => expect(oldVersion.registrations).toHaveLength(1));
    expect(oldVersion.registrations[0]).toEqual({ pluginRegistered: false, error: expect.stringMatching(/none of the CSI versions .*0\.3\.0, 2\.0\.0.* \(1\.x\)/) });
    expect(drivers_().list()).toEqual([]);

    await eventually(async () => {
      const events = (await t.kernel.list(EVENTS, { namespace: 'default' })).items as never as { reason: string; type: string; message: string; involvedObject: { kind: string; name: string } }[];
      const refused = events.filter((e) => e.reason === 'CSIDriverRegistrationFailed');
      expect(refused.map((e) => [e.type, e.involvedObject.kind, e.involvedObject.name])).toEqual([['Warning', 'Node', 'node-a'], ['Warning', 'Node', 'node-a']]);
      expect(refused.map((e) => e.message).join('\n')).toMatch(/invalid CSI driver name[\s\S]*none of the CSI versions/);
    });
    // a refused socket is not retried on every scan
    await new Promise((r) => setTimeout(r, 600));
    expect(oldVersion.registrations).toHaveLength(1);
  }, 60_000);
});
