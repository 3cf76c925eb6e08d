// The host-path driver over its real unix sockets (as root, with xfsprogs): the agent's CSI client
// on csi.sock, loop devices and xfs mounts for real.
import { execFileSync } from 'node:child_process';
import { readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { silentLogger } from '@skiff/kernel/plugins';
import { GrpcStatus, grpcCode } from '@skiff/node-api';
import { describeNeeding } from '../../../scripts/test-parts.ts';
import { CsiDriverClientImpl } from '../csi-client.ts';
import { hostpathUnavailable, tempRoot, type TempRoot } from '../testing.ts';
import { HOSTPATH_DRIVER_NAME, HOSTPATH_TOPOLOGY_KEY } from './driver.ts';
import { loopDevicesOf } from './host-ops.ts';
import { startHostpathDriver, type RunningHostpathDriver } from './server.ts';

const MiB = 1024 * 1024;
const RWO = { mount: { fsType: '', mountFlags: [] }, accessMode: { mode: 'SINGLE_NODE_WRITER' as const } };

describeNeeding(['root', ['root', hostpathUnavailable]], 'host-path CSI driver', () => {
  let tmp: TempRoot;
  let running: RunningHostpathDriver | undefined;
  let client: CsiDriverClientImpl | undefined;

  const start = async (capacityBytes = 2048 * MiB) => {
    running = await startHostpathDriver({ rootDir: tmp.root, dataDir: tmp.dataDir, nodeId: 'node-a', capacityBytes, maxVolumesPerNode: 10, logger: silentLogger });
    client = new CsiDriverClientImpl(HOSTPATH_DRIVER_NAME, running.csiSocket);
    await client.probeCapabilities();
    return client;
  };
  const stop = async () => {
    client?.close();
    await running?.stop();
    client = running = undefined;
  };
  const code = async (p: Promise<unknown>) => grpcCode(await p.then(() => undefined, (e: unknown) => e));

  beforeEach(() => {
    tmp = tempRoot();
  });
  afterEach(async () => {
    await stop();
    await tmp.cleanup();
  });

  it('creates, publishes, writes, unpublishes, publishes again, expands online, and deletes a volume', async () => {
    const c = await start();
    expect((await c.getPluginInfo()).name).toBe(HOSTPATH_DRIVER_NAME);
    expect(c.controller).toBeDefined();
    const info = await c.nodeGetInfo();
    expect(info).toMatchObject({ nodeId: 'node-a', maxVolumesPerNode: 10, accessibleTopology: { segments: { [HOSTPATH_TOPOLOGY_KEY]: 'node-a' } } });
    expect(await c.nodeGetCapabilities()).toEqual(['GET_VOLUME_STATS', 'EXPAND_VOLUME']);

    const req = { name: 'pvc-1', capacityRange: { requiredBytes: 512 * MiB }, volumeCapabilities: [RWO] };
    const vol = await c.controller!.createVolume(req);
    expect(vol.capacityBytes).toBe(512 * MiB);
    expect(vol.accessibleTopology).toEqual([{ segments: { [HOSTPATH_TOPOLOGY_KEY]: 'node-a' } }]);
    // idempotent by name
    expect((await c.controller!.createVolume(req)).volumeId).toBe(vol.volumeId);
    expect((await c.controller!.getCapacity({})).availableCapacity).toBe(1536 * MiB);

    const target = join(tmp.root, 'pods', 'p1', 'volumes', 'kubernetes.io~csi', 'pv1', 'mount');
    await c.nodePublishVolume({ volumeId: vol.volumeId, targetPath: target, volumeCapability: RWO });
    await c.nodePublishVolume({ volumeId: vol.volumeId, targetPath: target, volumeCapability: RWO }); // again: done already
    const size1 = statfsSync(target);
    const total1 = size1.blocks * size1.bsize;
    expect(total1).toBeGreaterThan(400 * MiB); // the filesystem is the volume's size (less xfs's log)
    expect(total1).toBeLessThanOrEqual(512 * MiB);
    expect(execFileSync('df', ['-B1', '--output=size', target], { encoding: 'utf8' }).split('\n')[1]!.trim()).toBe(String(total1));
    writeFileSync(join(target, 'data.txt'), 'hello');
    const stats = await c.nodeGetVolumeStats(vol.volumeId, target);
    expect(stats.usage.find((u) => u.unit === 'BYTES')).toMatchObject({ total: total1 });

    await c.nodeUnpublishVolume(vol.volumeId, target);
    await c.nodeUnpublishVolume(vol.volumeId, target); // again: done already
    expect(await loopDevicesOf(join(tmp.dataDir, 'volumes', `${vol.volumeId}.img`))).toEqual([]);

    const target2 = join(tmp.root, 'pods', 'p2', 'volumes', 'kubernetes.io~csi', 'pv1', 'mount');
    await c.nodePublishVolume({ volumeId: vol.volumeId, targetPath: target2, volumeCapability: RWO });
    expect(readFileSync(join(target2, 'data.txt'), 'utf8')).toBe('hello');

    const grown = await c.controller!.controllerExpandVolume({ volumeId: vol.volumeId, capacityRange: { requiredBytes: 1024 * MiB } });
    expect(grown).toEqual({ capacityBytes: 1024 * MiB, nodeExpansionRequired: true });
    expect(await c.nodeExpandVolume({ volumeId: vol.volumeId, volumePath: target2, capacityRange: { requiredBytes: 1024 * MiB } })).toBe(1024 * MiB);
    const s2 = statfsSync(target2);
    expect(s2.blocks * s2.bsize).toBeGreaterThan(total1 + 400 * MiB);
    expect(readFileSync(join(target2, 'data.txt'), 'utf8')).toBe('hello');

    // in use: not deleted
    expect(await code(c.controller!.deleteVolume(vol.volumeId))).toBe(GrpcStatus.FAILED_PRECONDITION);
    await c.nodeUnpublishVolume(vol.volumeId, target2);
    await c.controller!.deleteVolume(vol.volumeId);
    await c.controller!.deleteVolume(vol.volumeId); // idempotent
    expect((await c.controller!.getCapacity({})).availableCapacity).toBe(2048 * MiB);
    expect(await code(c.nodePublishVolume({ volumeId: vol.volumeId, targetPath: target, volumeCapability: RWO }))).toBe(GrpcStatus.NOT_FOUND);
  }, 60_000);

  it('refuses what it cannot give: another size for a name, beyond capacity, unsupported access modes', async () => {
    const c = await start(1024 * MiB);
    const ctl = c.controller!;
    await ctl.createVolume({ name: 'a', capacityRange: { requiredBytes: 400 * MiB }, volumeCapabilities: [RWO] });
    expect(await code(ctl.createVolume({ name: 'a', capacityRange: { requiredBytes: 800 * MiB }, volumeCapabilities: [RWO] }))).toBe(GrpcStatus.ALREADY_EXISTS);
    expect(await code(ctl.createVolume({ name: 'big', capacityRange: { requiredBytes: 2048 * MiB }, volumeCapabilities: [RWO] }))).toBe(GrpcStatus.OUT_OF_RANGE);
    expect(await code(ctl.createVolume({ name: 'b', capacityRange: { requiredBytes: 700 * MiB }, volumeCapabilities: [RWO] }))).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(await code(ctl.createVolume({ name: 'c', capacityRange: { requiredBytes: MiB, limitBytes: 10 * MiB }, volumeCapabilities: [RWO] }))).toBe(GrpcStatus.OUT_OF_RANGE);
    const rwx = { mount: {}, accessMode: { mode: 'MULTI_NODE_MULTI_WRITER' as const } };
    expect(await code(ctl.createVolume({ name: 'd', capacityRange: { requiredBytes: 300 * MiB }, volumeCapabilities: [rwx] }))).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(await code(ctl.createVolume({ name: 'e', volumeCapabilities: [{ block: {}, accessMode: { mode: 'SINGLE_NODE_WRITER' } }] }))).toBe(GrpcStatus.INVALID_ARGUMENT);
    const elsewhere = { requisite: [{ segments: { [HOSTPATH_TOPOLOGY_KEY]: 'node-b' } }] };
    expect(await code(ctl.createVolume({ name: 'f', volumeCapabilities: [RWO], accessibilityRequirements: elsewhere }))).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(await code(ctl.controllerExpandVolume({ volumeId: 'hp-nope', capacityRange: { requiredBytes: 400 * MiB } }))).toBe(GrpcStatus.NOT_FOUND);
    // nothing half-made: only volume a is there
    expect(running!.driver.volumes().map((v) => v.name)).toEqual(['a']);
  }, 60_000);

  it('makes several volumes at once without giving more than its capacity, and keeps one name one volume', async () => {
    const c = await start(1024 * MiB);
    const ctl = c.controller!;
    // 5 at once of 300 MiB in 1024: 3 fit
    const codes = await Promise.all(['p1', 'p2', 'p3', 'p4', 'p5'].map((name) => code(ctl.createVolume({ name, capacityRange: { requiredBytes: 300 * MiB }, volumeCapabilities: [RWO] }))));
    expect(codes.filter((x) => x === undefined)).toHaveLength(3);
    expect(codes.filter((x) => x === GrpcStatus.RESOURCE_EXHAUSTED)).toHaveLength(2);
    expect(running!.driver.volumes()).toHaveLength(3);
    // the same name twice at once: one volume, both answered with it
    const made = running!.driver.volumes()[0]!;
    await ctl.deleteVolume(made.id);
    const [x, y] = await Promise.all([0, 1].map(() => ctl.createVolume({ name: 'twice', capacityRange: { requiredBytes: 300 * MiB }, volumeCapabilities: [RWO] })));
    expect(x!.volumeId).toBe(y!.volumeId);
    expect(running!.driver.volumes().filter((v) => v.name === 'twice')).toHaveLength(1);
    // what the state file says after the concurrent writes: every volume there is
    await stop();
    await start(1024 * MiB);
    expect(running!.driver.volumes().map((v) => v.name).sort()).toEqual([...codes.flatMap((cd, i) => (cd === undefined ? [`p${i + 1}`] : [])).filter((n) => n !== made.name), 'twice'].sort());
  }, 120_000);

  it('makes a CSI inline volume at its publish and deletes it at its unpublish', async () => {
    const c = await start(1024 * MiB);
    const target = join(tmp.root, 'pods', 'p3', 'volumes', 'kubernetes.io~csi', 'scratch', 'mount');
    const volumeContext = { 'csi.storage.k8s.io/ephemeral': 'true', size: '400Mi' };
    await c.nodePublishVolume({ volumeId: 'csi-0123abcd', targetPath: target, volumeCapability: RWO, volumeContext });
    await c.nodePublishVolume({ volumeId: 'csi-0123abcd', targetPath: target, volumeCapability: RWO, volumeContext }); // again: done already
    const s = statfsSync(target);
    expect(s.blocks * s.bsize).toBeGreaterThan(300 * MiB);
    expect((await c.controller!.getCapacity({})).availableCapacity).toBe(624 * MiB);
    writeFileSync(join(target, 'tmp'), 'x');
    await c.nodeUnpublishVolume('csi-0123abcd', target);
    expect(running!.driver.volumes()).toEqual([]);
    expect((await c.controller!.getCapacity({})).availableCapacity).toBe(1024 * MiB);
    expect(await code(c.nodePublishVolume({ volumeId: '../etc', targetPath: target, volumeCapability: RWO, volumeContext }))).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(await code(c.nodePublishVolume({ volumeId: 'csi-big', targetPath: target, volumeCapability: RWO, volumeContext: { ...volumeContext, size: '2Gi' } }))).toBe(GrpcStatus.OUT_OF_RANGE);
    expect(running!.driver.volumes()).toEqual([]);
  }, 60_000);

  it('knows its volumes after a restart, and grows a volume expanded while unpublished at its next publish', async () => {
    let c = await start();
    const vol = await c.controller!.createVolume({ name: 'keep', capacityRange: { requiredBytes: 300 * MiB }, volumeCapabilities: [RWO] });
    await stop();
    c = await start();
    expect((await c.controller!.createVolume({ name: 'keep', capacityRange: { requiredBytes: 300 * MiB }, volumeCapabilities: [RWO] })).volumeId).toBe(vol.volumeId);
    expect((await c.controller!.getCapacity({})).availableCapacity).toBe(1748 * MiB);
    await c.controller!.controllerExpandVolume({ volumeId: vol.volumeId, capacityRange: { requiredBytes: 700 * MiB } });
    const target = join(tmp.root, 'pods', 'p', 'mount');
    await c.nodePublishVolume({ volumeId: vol.volumeId, targetPath: target, volumeCapability: RWO });
    const s = statfsSync(target);
    expect(s.blocks * s.bsize).toBeGreaterThan(600 * MiB);
    await c.nodeUnpublishVolume(vol.volumeId, target);
  }, 60_000);
});
