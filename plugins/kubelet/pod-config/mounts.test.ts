import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { atomicWrite } from './atomic-writer.ts';
import { expandSubPathExpr, makeMounts, prepareSubPath, translatePropagation } from './mounts.ts';
import { etcHostsPath } from './paths.ts';
import { mkPod } from './testing.ts';
import type { Container } from './types.ts';
import type { MountedVolume, VolumeMap } from './volumes.ts';

let root: string;
let vol: string;
let cfg: string;
let outside: string;
let volumes: VolumeMap;
beforeEach(async () => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'skiff-mounts-')));
  vol = join(root, 'vol');
  cfg = join(root, 'cfg');
  outside = join(root, 'outside');
  mkdirSync(vol, { mode: 0o777 });
  chmodSync(vol, 0o777);
  mkdirSync(outside);
  await atomicWrite(cfg, new Map([['app.conf', { data: Buffer.from('v1'), mode: 0o644 }]]));
  const v = (name: string, hostPath: string, kind: MountedVolume['kind'], readOnly: boolean): [string, MountedVolume] => [name, { name, hostPath, kind, readOnly }];
  volumes = new Map([v('data', vol, 'emptyDir', false), v('cfg', cfg, 'configMap', true), v('host', outside, 'hostPath', false)]);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const mounts = (c: Partial<Container>, extra: { env?: { key: string; value: string }[]; hosts?: { podIPs: string[] } } = {}, spec = {}) => {
  const container: Container = { name: 'app', ...c };
  return makeMounts(mkPod({ ...spec, containers: [container] }), container, { root, volumes, env: extra.env ?? [], hosts: extra.hosts, terminationMessageId: 'tm1' });
};

describe('makeMounts', () => {
  it('maps volumeMounts in order, then /etc/hosts, then the termination-message file', async () => {
    const m = await mounts(
      {
        volumeMounts: [
          { name: 'data', mountPath: '/data' },
          { name: 'cfg', mountPath: '/etc/app' }, // read-only by the volume
          { name: 'host', mountPath: 'rel', readOnly: true, mountPropagation: 'HostToContainer' },
          { name: 'data', mountPath: '/shared', mountPropagation: 'Bidirectional' },
        ],
      },
      { hosts: { podIPs: ['10.0.0.9'] } },
    );
    const hosts = etcHostsPath(root, 'uid-1234');
    const tm = join(root, 'pods/uid-1234/containers/app/tm1');
    expect(m).toEqual([
      { containerPath: '/data', hostPath: vol, readonly: false, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' },
      { containerPath: '/etc/app', hostPath: cfg, readonly: true, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' },
      { containerPath: '/rel', hostPath: outside, readonly: true, selinuxRelabel: false, propagation: 'PROPAGATION_HOST_TO_CONTAINER' },
      { containerPath: '/shared', hostPath: vol, readonly: false, selinuxRelabel: false, propagation: 'PROPAGATION_BIDIRECTIONAL' },
      { containerPath: '/etc/hosts', hostPath: hosts, readonly: false, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' },
      { containerPath: '/dev/termination-log', hostPath: tm, readonly: false, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' },
    ]);
    expect(readFileSync(hosts, 'utf8')).toContain('10.0.0.9\tweb\n');
    expect(statSync(tm).size).toBe(0);
    expect(statSync(tm).mode & 0o777).toBe(0o666);
  });

  it('no /etc/hosts before the pod has IPs, nor when the container mounts its own', async () => {
    expect((await mounts({})).map((m) => m.containerPath)).toEqual(['/dev/termination-log']);
    expect((await mounts({}, { hosts: { podIPs: [] } })).map((m) => m.containerPath)).toEqual(['/dev/termination-log']);
    const own = await mounts({ volumeMounts: [{ name: 'data', mountPath: '/etc/hosts', subPath: 'hosts' }] }, { hosts: { podIPs: ['10.0.0.9'] } });
    expect(own.map((m) => m.containerPath)).toEqual(['/etc/hosts', '/dev/termination-log']);
    expect(existsSync(etcHostsPath(root, 'uid-1234'))).toBe(false);
  });

  it('host network: the node hosts file, whatever the IPs', async () => {
    const m = await makeMounts(mkPod({ hostNetwork: true }), { name: 'app' }, { root, volumes, env: [], hosts: { podIPs: [], nodeHostsContent: '1.1.1.1 node\n' }, terminationMessageId: 'x' });
    expect(m.map((x) => x.containerPath)).toEqual(['/etc/hosts', '/dev/termination-log']);
    expect(readFileSync(etcHostsPath(root, 'uid-1234'), 'utf8')).toBe('# Kubernetes-managed hosts file (host network).\n1.1.1.1 node\n');
  });

  it('custom or empty terminationMessagePath', async () => {
    expect((await mounts({ terminationMessagePath: '/tmp/msg' })).map((m) => m.containerPath)).toEqual(['/tmp/msg']);
    expect(await mounts({ terminationMessagePath: '' })).toEqual([]);
  });

  it('a fresh termination-message file per start (random id by default)', async () => {
    const c: Container = { name: 'app' };
    const a = await makeMounts(mkPod({ containers: [c] }), c, { root, volumes, env: [] });
    const b = await makeMounts(mkPod({ containers: [c] }), c, { root, volumes, env: [] });
    expect(a[0].hostPath).not.toBe(b[0].hostPath);
    expect(a[0].hostPath).toMatch(/\/containers\/app\/[0-9a-f]{8}$/);
  });

  it('errors: missing volume, bad propagation', async () => {
    await expect(mounts({ volumeMounts: [{ name: 'nope', mountPath: '/x' }] })).rejects.toThrow('cannot find volume "nope" to mount into container "app"');
    await expect(mounts({ volumeMounts: [{ name: 'data', mountPath: '/x', mountPropagation: 'Shared' }] })).rejects.toThrow('invalid MountPropagation mode: "Shared"');
    expect(translatePropagation(undefined)).toBe('PROPAGATION_PRIVATE');
    expect(translatePropagation('None')).toBe('PROPAGATION_PRIVATE');
  });
});

describe('subPath', () => {
  it('creates a missing subPath with the volume mode, mounts the existing one', async () => {
    const m = await mounts({ volumeMounts: [{ name: 'data', mountPath: '/a', subPath: 'x/y' }] });
    expect(m[0].hostPath).toBe(join(vol, 'x/y'));
    expect(statSync(join(vol, 'x')).mode & 0o777).toBe(0o777);
    expect(statSync(join(vol, 'x/y')).mode & 0o777).toBe(0o777);
    writeFileSync(join(vol, 'file'), 'f');
    expect((await mounts({ volumeMounts: [{ name: 'data', mountPath: '/f', subPath: 'file' }] }))[0].hostPath).toBe(join(vol, 'file'));
  });

  it('a configMap key as subPath resolves to the current version (so, like kubelet, it does not follow updates)', async () => {
    const m = await mounts({ volumeMounts: [{ name: 'cfg', mountPath: '/etc/app.conf', subPath: 'app.conf' }] });
    expect(m[0].hostPath).toMatch(new RegExp(`^${cfg}/\\.\\.\\d{4}_.*/app\\.conf$`));
    expect(m[0].readonly).toBe(true);
  });

  it('subPathExpr: expanded with the env; a missing or empty variable is an error', async () => {
    const env = [{ key: 'POD_NAME', value: 'web-1' }, { key: 'EMPTY', value: '' }];
    const m = await mounts({ volumeMounts: [{ name: 'data', mountPath: '/logs', subPathExpr: 'logs/$(POD_NAME)' }] }, { env });
    expect(m[0].hostPath).toBe(join(vol, 'logs/web-1'));
    await expect(mounts({ volumeMounts: [{ name: 'data', mountPath: '/l', subPathExpr: '$(B)/$(EMPTY)/$(A)' }] }, { env })).rejects.toThrow('missing value for A, B, EMPTY');
    expect(expandSubPathExpr('$$(POD_NAME)', env)).toBe('$(POD_NAME)');
  });

  it('rejects absolute paths, .., and symlinks leading out of the volume', async () => {
    await expect(prepareSubPath(vol, '/etc')).rejects.toThrow('error SubPath `/etc` must not be an absolute path');
    await expect(prepareSubPath(vol, 'a/../../etc')).rejects.toThrow("unable to provision SubPath `a/../../etc`: must not contain '..'");
    symlinkSync(outside, join(vol, 'evil'));
    await expect(prepareSubPath(vol, 'evil')).rejects.toThrow('resolves outside of its volume');
    await expect(prepareSubPath(vol, 'evil/new')).rejects.toThrow('resolves outside of its volume');
    expect(existsSync(join(outside, 'new'))).toBe(false);
    symlinkSync('/etc/hostname', join(vol, 'evil-file'));
    await expect(prepareSubPath(vol, 'evil-file')).rejects.toThrow('resolves outside of its volume');
    // a symlink that stays inside is fine
    mkdirSync(join(vol, 'real'));
    symlinkSync('real', join(vol, 'alias'));
    expect(await prepareSubPath(vol, 'alias/sub')).toBe(join(vol, 'real/sub'));
    expect(await prepareSubPath(vol, './real/')).toBe(join(vol, 'real'));
  });
});
