import { chownSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeNeeding } from '../../../scripts/test-parts.ts';
import { applyFsGroup, csiAppliesFsGroup } from './fs-group.ts';

describe('csiAppliesFsGroup (kube\'s supportsFSGroup)', () => {
  it('None never, File always, ReadWriteOnceWithFSType (the default) with an fsType and ReadWriteOnce', () => {
    expect(csiAppliesFsGroup('None', 'ext4', ['ReadWriteOnce'], false)).toBe(false);
    expect(csiAppliesFsGroup('File', '', ['ReadWriteMany'], false)).toBe(true);
    expect(csiAppliesFsGroup(undefined, 'ext4', ['ReadWriteOnce'], false)).toBe(true);
    expect(csiAppliesFsGroup('ReadWriteOnceWithFSType', '', ['ReadWriteOnce'], false)).toBe(false);
    expect(csiAppliesFsGroup('ReadWriteOnceWithFSType', 'ext4', ['ReadWriteMany'], false)).toBe(false);
    expect(csiAppliesFsGroup('ReadWriteOnceWithFSType', 'ext4', [], true)).toBe(true);
  });
});

describeNeeding(['root'], 'applyFsGroup (chown as root)', () => {
  let dir: string;
  let outside: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-fsgroup-'));
    outside = mkdtempSync(join(tmpdir(), 'skiff-fsgroup-out-'));
    mkdirSync(join(dir, 'a/b'), { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'a/b/f'), 'x', { mode: 0o600 });
    writeFileSync(join(outside, 'secret'), 'x', { mode: 0o600 });
    symlinkSync(join(outside, 'secret'), join(dir, 'a/link'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('gives every file and directory the group, g+rw, setgid and g+x on directories; never follows a symlink', async () => {
    expect(await applyFsGroup(dir, 2345)).toBe(true);
    for (const d of [dir, join(dir, 'a'), join(dir, 'a/b')]) {
      const s = statSync(d);
      expect(s.gid).toBe(2345);
      expect(s.mode & 0o2070).toBe(0o2070);
    }
    const f = statSync(join(dir, 'a/b/f'));
    expect([f.gid, f.mode & 0o7777]).toEqual([2345, 0o660]);
    const target = statSync(join(outside, 'secret'));
    expect([target.gid, target.mode & 0o777]).toEqual([0, 0o600]);
    expect(lstatSync(join(dir, 'a/link')).gid).toBe(0);
  });

  it('read-only volumes get g+r only', async () => {
    await applyFsGroup(dir, 2345, { readOnly: true });
    expect(statSync(join(dir, 'a/b/f')).mode & 0o7777).toBe(0o640);
  });

  it('OnRootMismatch skips the walk when the root is right, walks when it is not', async () => {
    await applyFsGroup(dir, 2345);
    chownSync(join(dir, 'a/b/f'), 0, 0);
    expect(await applyFsGroup(dir, 2345, { changePolicy: 'OnRootMismatch' })).toBe(false);
    expect(statSync(join(dir, 'a/b/f')).gid).toBe(0);
    expect(await applyFsGroup(dir, 2345, { changePolicy: 'Always' })).toBe(true);
    expect(statSync(join(dir, 'a/b/f')).gid).toBe(2345);
    expect(await applyFsGroup(dir, 999, { changePolicy: 'OnRootMismatch' })).toBe(true);
    expect(statSync(join(dir, 'a/b/f')).gid).toBe(999);
  });
});
