import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { grpcCode, GrpcStatus } from '../rpc-status.ts';
import { FakeCsiDriver, FakeCsiDrivers } from './csi-driver.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-fake-csi-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const code = (p: Promise<unknown>) => p.then(() => 'ok', (e) => grpcCode(e));

describe('FakeCsiDriver (node calls, no mounts)', () => {
  it('keeps the spec\'s order and idempotence: stage before publish, unstage only once unpublished', async () => {
    const d = new FakeCsiDriver({ volumes: new Set(['v1']) });
    const staging = join(dir, 'staging');
    const target = join(dir, 'target');
    expect(await code(d.nodePublishVolume({ volumeId: 'v1', stagingTargetPath: staging, targetPath: target }))).toBe(GrpcStatus.FAILED_PRECONDITION);
    await d.nodeStageVolume({ volumeId: 'v1', stagingTargetPath: staging });
    await d.nodeStageVolume({ volumeId: 'v1', stagingTargetPath: staging });
    expect(await code(d.nodeStageVolume({ volumeId: 'v1', stagingTargetPath: join(dir, 'elsewhere') }))).toBe(GrpcStatus.ALREADY_EXISTS);
    await d.nodePublishVolume({ volumeId: 'v1', stagingTargetPath: staging, targetPath: target });
    await d.nodePublishVolume({ volumeId: 'v1', stagingTargetPath: staging, targetPath: target });
    expect(existsSync(target)).toBe(true);
    expect(await code(d.nodePublishVolume({ volumeId: 'v1', stagingTargetPath: staging, targetPath: target, readonly: true }))).toBe(GrpcStatus.ALREADY_EXISTS);
    expect(await code(d.nodeUnstageVolume('v1', staging))).toBe(GrpcStatus.FAILED_PRECONDITION);
    await d.nodeUnpublishVolume('v1', target);
    await d.nodeUnpublishVolume('v1', target);
    expect(existsSync(target)).toBe(false);
    await d.nodeUnstageVolume('v1', staging);
    expect(await code(d.nodeStageVolume({ volumeId: 'v2', stagingTargetPath: staging }))).toBe(GrpcStatus.NOT_FOUND);
    expect(d.staged.size + d.published.size).toBe(0);
  });

  it('publishes an inline volume without staging; injected failures come once', async () => {
    const d = new FakeCsiDriver();
    const target = join(dir, 'inline');
    d.failNext('nodePublishVolume', GrpcStatus.RESOURCE_EXHAUSTED);
    const req = { volumeId: 'csi-x', targetPath: target, volumeContext: { 'csi.storage.k8s.io/ephemeral': 'true' } };
    expect(await code(d.nodePublishVolume(req))).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    await d.nodePublishVolume(req);
    expect(d.callLog()).toEqual(['nodePublishVolume csi-x', 'nodePublishVolume csi-x']);
  });

  it('FakeCsiDrivers tells registrations and withdrawals', () => {
    const reg = new FakeCsiDrivers();
    const seen: string[] = [];
    const off = reg.onChange((e) => seen.push(`${e.type} ${e.driver.name}`));
    const d = new FakeCsiDriver({ name: 'a.csi', nodeId: 'n1' });
    reg.register(d);
    expect(reg.get('a.csi')).toBe(d);
    expect(reg.list()).toEqual([{ name: 'a.csi', endpoint: d.endpoint, versions: ['1.0.0'], nodeId: 'n1', maxVolumesPerNode: 0, topologyKeys: [] }]);
    reg.deregister('a.csi');
    off();
    reg.register(d);
    expect(seen).toEqual(['Registered a.csi', 'Deregistered a.csi']);
  });
});
