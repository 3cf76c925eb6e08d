import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MountPoint, Mounter } from './mounter.ts';
import { systemMounter } from './mounter.ts';
import { staticObjectReader } from './object-reader.ts';
import { podDir, volumeDir } from './paths.ts';
import { configMap, mkPod, secret } from './testing.ts';
import type { PodEvent, Volume } from './types.ts';
import { cleanupPodVolumes, emptyDirMemorySize, removePodDirectory, removeTree, setUpPodVolumes, updatePodVolumes } from './volumes.ts';
import { describeNeeding } from '../../../scripts/test-parts.ts';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

function fakeMounter(): Mounter & { mounted: (MountPoint & { size: number })[]; unmounted: string[] } {
  const mounted: (MountPoint & { size: number })[] = [];
  const unmounted: string[] = [];
  return {
    mounted,
    unmounted,
    async mountTmpfs(dir, size) {
      mounted.push({ path: dir, fsType: 'tmpfs', size });
    },
    async unmount(dir) {
      unmounted.push(dir);
      mounted.splice(mounted.findIndex((m) => m.path === dir), 1);
    },
    async mountsUnder(dir) {
      return mounted.filter((m) => m.path === dir || m.path.startsWith(`${dir}/`)).map(({ path, fsType }) => ({ path, fsType }));
    },
  };
}

let root: string;
let host: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'skiff-volumes-'));
  host = mkdtempSync(join(tmpdir(), 'skiff-volumes-host-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(host, { recursive: true, force: true });
});

const objects = [configMap('cfg', { 'app.conf': 'v1' }), secret('creds', { token: 's3cret' })];

describe('setUpPodVolumes', () => {
  it('materializes emptyDir, hostPath, configMap, secret, downwardAPI and projected volumes', async () => {
    const volumes: Volume[] = [
      { name: 'scratch', emptyDir: {} },
      { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
      { name: 'host', hostPath: { path: join(host, 'data'), type: 'DirectoryOrCreate' } },
      { name: 'cfg', configMap: { name: 'cfg' } },
      { name: 'creds', secret: { secretName: 'creds', defaultMode: 0o400 } },
      { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      { name: 'all', projected: { sources: [{ configMap: { name: 'cfg' } }, { serviceAccountToken: { path: 'token' } }] } },
    ];
    const pod = mkPod({ volumes }, { labels: { app: 'web' } });
    const mounter = fakeMounter();
    const events: PodEvent[] = [];
    const r = await setUpPodVolumes(pod, { root, reader: staticObjectReader(objects), mounter, recorder: (e) => events.push(e), nodeAllocatable: { memory: '4Gi' } });
    expect(r.errors).toEqual([]);
    const dir = (kind: Parameters<typeof volumeDir>[2], name: string) => volumeDir(root, 'uid-1234', kind, name);
    expect(Object.fromEntries([...r.volumes].map(([k, v]) => [k, [v.kind, v.hostPath, v.readOnly]]))).toEqual({
      scratch: ['emptyDir', dir('emptyDir', 'scratch'), false],
      mem: ['emptyDir', dir('emptyDir', 'mem'), false],
      host: ['hostPath', join(host, 'data'), false],
      cfg: ['configMap', dir('configMap', 'cfg'), true],
      creds: ['secret', dir('secret', 'creds'), true],
      info: ['downwardAPI', dir('downwardAPI', 'info'), true],
      all: ['projected', dir('projected', 'all'), true],
    });
    expect(dir('configMap', 'cfg')).toBe(join(root, 'pods/uid-1234/volumes/kubernetes.io~configmap/cfg'));
    expect(statSync(dir('emptyDir', 'scratch')).mode & 0o777).toBe(0o777);
    expect(statSync(join(host, 'data')).isDirectory()).toBe(true);
    expect(readFileSync(join(dir('configMap', 'cfg'), 'app.conf'), 'utf8')).toBe('v1');
    expect(readFileSync(join(dir('secret', 'creds'), 'token'), 'utf8')).toBe('s3cret');
    expect(statSync(join(dir('secret', 'creds'), 'token')).mode & 0o777).toBe(0o400);
    expect(readFileSync(join(dir('downwardAPI', 'info'), 'labels'), 'utf8')).toBe('app="web"');
    expect(readdirSync(dir('projected', 'all')).filter((n) => !n.startsWith('..'))).toEqual(['app.conf']);
    // memory-backed: the emptyDir (sized by its sizeLimit), the secret and the projected volume (sized by allocatable)
    expect(mounter.mounted.map((m) => [m.path, m.size])).toEqual([
      [dir('emptyDir', 'mem'), 64 * MiB],
      [dir('secret', 'creds'), 4 * GiB],
      [dir('projected', 'all'), 4 * GiB],
    ]);
    expect(r.updated.sort()).toEqual(['all', 'cfg', 'creds', 'info']);
    expect(events).toEqual([{ type: 'Warning', reason: 'VolumeSourceSkipped', message: 'volume "all": serviceAccountToken projection (token) is not supported: left out' }]);

    // again: idempotent — nothing mounted twice, nothing rewritten, emptyDir content kept
    writeFileSync(join(dir('emptyDir', 'scratch'), 'keep'), 'me');
    const again = await setUpPodVolumes(pod, { root, reader: staticObjectReader(objects), mounter });
    expect(again.errors).toEqual([]);
    expect(again.updated).toEqual([]);
    expect(mounter.mounted).toHaveLength(3);
    expect(readFileSync(join(dir('emptyDir', 'scratch'), 'keep'), 'utf8')).toBe('me');
  });

  it("memoryBacked 'directory' makes plain directories", async () => {
    const mounter = fakeMounter();
    const pod = mkPod({ volumes: [{ name: 'mem', emptyDir: { medium: 'Memory' } }, { name: 's', secret: { secretName: 'creds' } }] });
    const r = await setUpPodVolumes(pod, { root, reader: staticObjectReader(objects), mounter, memoryBacked: 'directory' });
    expect(r.errors).toEqual([]);
    expect(mounter.mounted).toEqual([]);
    expect(statSync(r.volumes.get('mem')!.hostPath).isDirectory()).toBe(true);
  });

  it('reports each failing volume (FailedMount) and sets up the others', async () => {
    const events: PodEvent[] = [];
    const pod = mkPod({
      volumes: [
        { name: 'ok', emptyDir: {} },
        { name: 'nocm', configMap: { name: 'absent' } },
        { name: 'badhost', hostPath: { path: join(host, 'nothing'), type: 'Directory' } },
        { name: 'relhost', hostPath: { path: 'relative/path' } },
        { name: 'pvc', persistentVolumeClaim: { claimName: 'c' } },
        { name: 'disk', emptyDir: { medium: 'HugePages' } },
      ],
    });
    const r = await setUpPodVolumes(pod, { root, reader: staticObjectReader(objects), mounter: fakeMounter(), recorder: (e) => events.push(e) });
    expect([...r.volumes.keys()]).toEqual(['ok']);
    expect(r.errors.map((e) => [e.volume, e.message])).toEqual([
      ['nocm', 'MountVolume.SetUp failed for volume "nocm" : configmap "absent" not found'],
      ['badhost', `MountVolume.SetUp failed for volume "badhost" : hostPath type check failed: ${join(host, 'nothing')} is not a directory`],
      ['relhost', 'MountVolume.SetUp failed for volume "relhost" : hostPath "relative/path" must be an absolute path'],
      ['pvc', 'MountVolume.SetUp failed for volume "pvc" : volume source persistentVolumeClaim is not supported on this node'],
      ['disk', 'MountVolume.SetUp failed for volume "disk" : emptyDir medium HugePages is not supported'],
    ]);
    expect(events.map((e) => e.reason)).toEqual(['FailedMount', 'FailedMount', 'FailedMount', 'FailedMount', 'FailedMount']);
  });
});

describe('updatePodVolumes', () => {
  it('re-materializes changed configMaps / secrets / downward API; keeps old content when the object is gone', async () => {
    const volumes: Volume[] = [
      { name: 'scratch', emptyDir: {} },
      { name: 'cfg', configMap: { name: 'cfg' } },
      { name: 'opt', configMap: { name: 'cfg', optional: true } },
      { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
    ];
    const mounter = fakeMounter();
    let pod = mkPod({ volumes }, { labels: { v: '1' } });
    await setUpPodVolumes(pod, { root, reader: staticObjectReader(objects), mounter });
    const cfgDir = volumeDir(root, 'uid-1234', 'configMap', 'cfg');

    expect((await updatePodVolumes(pod, { root, reader: staticObjectReader(objects), mounter })).updated).toEqual([]);

    const changed = [configMap('cfg', { 'app.conf': 'v2', extra: 'e' }), objects[1]];
    pod = mkPod({ volumes }, { labels: { v: '2' } });
    const r = await updatePodVolumes(pod, { root, reader: staticObjectReader(changed), mounter });
    expect(r.updated).toEqual(['cfg', 'opt', 'info']);
    expect([...r.volumes.keys()]).toEqual(['cfg', 'opt', 'info']); // emptyDir not touched by update
    expect(readFileSync(join(cfgDir, 'app.conf'), 'utf8')).toBe('v2');
    expect(readFileSync(join(cfgDir, 'extra'), 'utf8')).toBe('e');
    expect(readFileSync(join(volumeDir(root, 'uid-1234', 'downwardAPI', 'info'), 'labels'), 'utf8')).toBe('v="2"');

    // the ConfigMap is deleted: the required volume keeps its content (an error), the optional one empties
    const gone = await updatePodVolumes(pod, { root, reader: staticObjectReader([]), mounter });
    expect(gone.errors.map((e) => e.volume)).toEqual(['cfg']);
    expect(readFileSync(join(cfgDir, 'app.conf'), 'utf8')).toBe('v2');
    expect(readdirSync(volumeDir(root, 'uid-1234', 'configMap', 'opt')).filter((n) => !n.startsWith('..'))).toEqual([]);
  });
});

describe('cleanup', () => {
  it('unmounts its tmpfs volumes, removes the volume dirs, never follows symlinks, never touches hostPath contents', async () => {
    const mounter = fakeMounter();
    writeFileSync(join(host, 'precious'), 'keep');
    const pod = mkPod({
      volumes: [
        { name: 'scratch', emptyDir: {} },
        { name: 'hp', hostPath: { path: host } },
        { name: 'creds', secret: { secretName: 'creds' } },
      ],
    });
    await setUpPodVolumes(pod, { root, reader: staticObjectReader(objects), mounter });
    const scratch = volumeDir(root, 'uid-1234', 'emptyDir', 'scratch');
    // a container left symlinks pointing out of the pod dir
    symlinkSync(host, join(scratch, 'escape-dir'));
    symlinkSync(join(host, 'precious'), join(scratch, 'escape-file'));
    mkdirSync(join(podDir(root, 'uid-1234'), 'containers/app'), { recursive: true });

    await cleanupPodVolumes('uid-1234', { root, mounter });
    expect(mounter.unmounted).toEqual([volumeDir(root, 'uid-1234', 'secret', 'creds')]);
    expect(existsSync(join(podDir(root, 'uid-1234'), 'volumes'))).toBe(false);
    expect(existsSync(join(podDir(root, 'uid-1234'), 'containers/app'))).toBe(true);
    expect(readFileSync(join(host, 'precious'), 'utf8')).toBe('keep');

    await removePodDirectory('uid-1234', { root, mounter });
    expect(existsSync(podDir(root, 'uid-1234'))).toBe(false);
    expect(readdirSync(host)).toEqual(['precious']);
    await removePodDirectory('uid-1234', { root, mounter }); // idempotent
  });

  it('refuses while something it did not mount is mounted under the pod dir', async () => {
    const mounter = fakeMounter();
    const pod = mkPod({ volumes: [{ name: 'scratch', emptyDir: {} }] });
    await setUpPodVolumes(pod, { root, reader: staticObjectReader([]), mounter });
    const foreign = join(podDir(root, 'uid-1234'), 'volume-subpaths/x');
    mounter.mounted.push({ path: foreign, fsType: 'ext4', size: 0 });
    await expect(cleanupPodVolumes('uid-1234', { root, mounter })).rejects.toThrow(`still mounted under its directory: ${foreign}`);
    expect(existsSync(volumeDir(root, 'uid-1234', 'emptyDir', 'scratch'))).toBe(true);
    expect(mounter.unmounted).toEqual([]);
  });

  it('removeTree unlinks symlinks and refuses to cross a mount point', async () => {
    const d = join(root, 't');
    mkdirSync(join(d, 'a/b'), { recursive: true });
    symlinkSync('/etc', join(d, 'a/etc'));
    symlinkSync('/etc/hostname', join(d, 'hn'));
    await removeTree(d);
    expect(existsSync(d)).toBe(false);
    expect(lstatSync('/etc').isDirectory()).toBe(true);
    await expect(removeTree('/proc/self/fdinfo', 12345)).rejects.toThrow(/another filesystem/);
    await expect(removeTree('/proc/self/fdinfo', lstatSync('/').dev)).rejects.toThrow(/another filesystem/);
  });

  it('rejects uids and names that are not a single path component', async () => {
    await expect(cleanupPodVolumes('../etc', { root, mounter: fakeMounter() })).rejects.toThrow('invalid pod uid');
    await expect(cleanupPodVolumes('', { root, mounter: fakeMounter() })).rejects.toThrow('invalid pod uid');
    const r = await setUpPodVolumes(mkPod({ volumes: [{ name: '../x', emptyDir: {} }] }), { root, reader: staticObjectReader([]), mounter: fakeMounter() });
    expect(r.errors[0].message).toMatch(/invalid volume name/);
  });
});

describe('emptyDirMemorySize (kubelet calculateEmptyDirMemorySize)', () => {
  const withLimit = mkPod({ containers: [{ name: 'a', resources: { limits: { memory: '1Gi' } } }] });
  const noLimit = mkPod();
  it('the smaller of node allocatable, the pod memory limit and sizeLimit', () => {
    expect(emptyDirMemorySize(noLimit, undefined, { memory: '8Gi' })).toBe(8 * GiB);
    expect(emptyDirMemorySize(withLimit, undefined, { memory: '8Gi' })).toBe(GiB);
    expect(emptyDirMemorySize(withLimit, '100Mi', { memory: '8Gi' })).toBe(100 * MiB);
    expect(emptyDirMemorySize(withLimit, '2Gi', { memory: '8Gi' })).toBe(GiB); // sizeLimit above the pod's limit: ignored
    expect(emptyDirMemorySize(noLimit, undefined, undefined)).toBe(0); // the kernel's default
    expect(emptyDirMemorySize(noLimit, '0', { memory: '8Gi' })).toBe(8 * GiB);
  });
});

describeNeeding(['root'], 'real tmpfs', () => {
  it('mounts a sized tmpfs for a Memory emptyDir and a secret, and cleanup unmounts them', async () => {
    const pod = mkPod({ volumes: [{ name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '8Mi' } }, { name: 's', secret: { secretName: 'creds' } }] });
    try {
      const r = await setUpPodVolumes(pod, { root, reader: staticObjectReader(objects), nodeAllocatable: { memory: '64Mi' } });
      expect(r.errors).toEqual([]);
      const mounts = await systemMounter.mountsUnder(podDir(root, 'uid-1234'));
      expect(mounts.map((m) => [m.path, m.fsType]).sort()).toEqual(
        [
          [volumeDir(root, 'uid-1234', 'emptyDir', 'mem'), 'tmpfs'],
          [volumeDir(root, 'uid-1234', 'secret', 's'), 'tmpfs'],
        ].sort(),
      );
      expect(readFileSync(join(r.volumes.get('s')!.hostPath, 'token'), 'utf8')).toBe('s3cret');
      // sized: 8Mi does not take 9 MiB
      expect(() => writeFileSync(join(r.volumes.get('mem')!.hostPath, 'big'), Buffer.alloc(9 * MiB))).toThrow(/ENOSPC/);
      // set up again: not mounted twice
      await setUpPodVolumes(pod, { root, reader: staticObjectReader(objects) });
      expect(await systemMounter.mountsUnder(podDir(root, 'uid-1234'))).toHaveLength(2);
    } finally {
      await removePodDirectory('uid-1234', { root });
    }
    expect(await systemMounter.mountsUnder(root)).toEqual([]);
    expect(existsSync(podDir(root, 'uid-1234'))).toBe(false);
  });
});
