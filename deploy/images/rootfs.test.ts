import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RootFs, lddDeps } from './rootfs.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-rootfs-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('RootFs', () => {
  it('never writes through a symlink out of the staging directory', async () => {
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'victim'), 'untouched');
    const root = await RootFs.create(join(dir, 'r1'));
    await root.symlink('/etc/alt', outside); // absolute: means <root><outside> inside the image
    await root.writeFile('/etc/alt/victim', 'in the image');
    await root.symlink('/x', join(outside, 'victim'));
    await root.writeFile('/x', 'replaces the link'); // the link itself is replaced
    expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('untouched');
    expect(readFileSync(join(root.dir, outside, 'victim'), 'utf8')).toBe('in the image');
    expect(lstatSync(join(root.dir, 'x')).isFile()).toBe(true);
  });

  it('copies host paths with the symlinks met on the way (merged /usr style)', async () => {
    // a small "host": lib -> usr/lib, usr/lib/libx.so.1 -> libx.so.1.2.3, alt/tool -> /abs/usr/bin/tool
    const host = join(dir, 'host');
    mkdirSync(join(host, 'usr', 'lib'), { recursive: true });
    mkdirSync(join(host, 'usr', 'bin'), { recursive: true });
    writeFileSync(join(host, 'usr', 'lib', 'libx.so.1.2.3'), 'lib');
    symlinkSync('libx.so.1.2.3', join(host, 'usr', 'lib', 'libx.so.1'));
    symlinkSync('usr/lib', join(host, 'lib'));
    writeFileSync(join(host, 'usr', 'bin', 'tool'), 'tool', { mode: 0o755 });
    mkdirSync(join(host, 'alt'));
    symlinkSync(join(host, 'usr', 'bin', 'tool'), join(host, 'alt', 'tool'));

    const root = await RootFs.create(join(dir, 'r2'));
    await root.copyFromHost(join(host, 'lib', 'libx.so.1'));
    await root.copyFromHost(join(host, 'alt', 'tool'));
    const at = (p: string) => join(root.dir, host, p);
    expect(readlinkSync(at('lib'))).toBe('usr/lib');
    expect(readlinkSync(at('usr/lib/libx.so.1'))).toBe('libx.so.1.2.3');
    expect(readFileSync(at('usr/lib/libx.so.1.2.3'), 'utf8')).toBe('lib');
    expect(readlinkSync(at('alt/tool'))).toBe(join(host, 'usr', 'bin', 'tool'));
    expect(lstatSync(at('usr/bin/tool')).mode & 0o777).toBe(0o755);
    expect(await root.exists(join(host, 'lib', 'libx.so.1.2.3'))).toBe(true);
  });

  it('stages a copy, not a link, when given a mode (the host file keeps its mode)', async () => {
    const f = join(dir, 'host-mode');
    writeFileSync(f, 'x', { mode: 0o644 });
    const root = await RootFs.create(join(dir, 'r3'));
    await root.copy(f, '/bin/f', 0o700);
    expect(lstatSync(f).mode & 0o777).toBe(0o644);
    expect(lstatSync(join(root.dir, 'bin/f')).mode & 0o777).toBe(0o700);
  });
});

describe('lddDeps', () => {
  // /usr/sbin/nats-server comes with the test setup
  it('lists libc and the loader of a dynamic binary, nothing for a script', () => {
    const deps = lddDeps(['/usr/sbin/nats-server']);
    expect(deps.some((d) => /\/libc\.so\.6$/.test(d))).toBe(true);
    expect(deps.some((d) => /ld-linux-x86-64\.so\.2$/.test(d))).toBe(true);
    const script = join(dir, 'script.sh');
    writeFileSync(script, '#!/bin/sh\n', { mode: 0o755 });
    expect(lddDeps([script])).toEqual([]);
    expect(lddDeps(['/usr/sbin/nats-server', script])).toEqual(deps);
  });
});
