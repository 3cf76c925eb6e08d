import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHostPathType } from './host-path.ts';

let dir: string;
let sock: string;
let server: ReturnType<typeof createServer>;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-hostpath-'));
  mkdirSync(join(dir, 'adir'));
  writeFileSync(join(dir, 'afile'), 'x');
  symlinkSync(join(dir, 'adir'), join(dir, 'link-to-dir'));
  sock = join(dir, 'a.sock');
  server = createServer();
  await new Promise<void>((r) => server.listen(sock, r));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('hostPath type checks (kube messages)', () => {
  it('"" checks nothing', async () => {
    await checkHostPathType(join(dir, 'missing'), '');
    await checkHostPathType(join(dir, 'missing'), undefined);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
  });

  it('Directory / DirectoryOrCreate (0755, parents too)', async () => {
    await checkHostPathType(join(dir, 'adir'), 'Directory');
    await checkHostPathType(join(dir, 'link-to-dir'), 'Directory'); // symlinks are followed
    await expect(checkHostPathType(join(dir, 'afile'), 'Directory')).rejects.toThrow(`hostPath type check failed: ${join(dir, 'afile')} is not a directory`);
    await expect(checkHostPathType(join(dir, 'nope'), 'Directory')).rejects.toThrow(`hostPath type check failed: ${join(dir, 'nope')} is not a directory`);
    const created = join(dir, 'new/deep/dir');
    const old = process.umask(0);
    try {
      await checkHostPathType(created, 'DirectoryOrCreate');
    } finally {
      process.umask(old);
    }
    expect(statSync(created).isDirectory()).toBe(true);
    expect(statSync(created).mode & 0o777).toBe(0o755);
    await checkHostPathType(created, 'DirectoryOrCreate'); // exists: fine
    await expect(checkHostPathType(join(dir, 'afile'), 'DirectoryOrCreate')).rejects.toThrow('is not a directory');
  });

  it('File / FileOrCreate (0644, no parents)', async () => {
    await checkHostPathType(join(dir, 'afile'), 'File');
    await expect(checkHostPathType(join(dir, 'adir'), 'File')).rejects.toThrow(`hostPath type check failed: ${join(dir, 'adir')} is not a file`);
    await expect(checkHostPathType(join(dir, 'nofile'), 'File')).rejects.toThrow('is not a file');
    const f = join(dir, 'created-file');
    await checkHostPathType(f, 'FileOrCreate');
    expect(statSync(f).isFile()).toBe(true);
    expect(statSync(f).size).toBe(0);
    writeFileSync(f, 'kept');
    await checkHostPathType(f, 'FileOrCreate'); // never truncates
    expect(statSync(f).size).toBe(4);
    await expect(checkHostPathType(join(dir, 'no-parent/f'), 'FileOrCreate')).rejects.toThrow(`open ${join(dir, 'no-parent/f')}: no such file or directory`);
    await expect(checkHostPathType(join(dir, 'adir'), 'FileOrCreate')).rejects.toThrow('is not a file');
  });

  it('Socket, CharDevice, BlockDevice', async () => {
    await checkHostPathType(sock, 'Socket');
    await expect(checkHostPathType(join(dir, 'afile'), 'Socket')).rejects.toThrow(`hostPath type check failed: ${join(dir, 'afile')} is not a socket file`);
    await checkHostPathType('/dev/null', 'CharDevice');
    await expect(checkHostPathType(join(dir, 'afile'), 'CharDevice')).rejects.toThrow('is not a character device');
    await expect(checkHostPathType('/dev/null', 'BlockDevice')).rejects.toThrow('hostPath type check failed: /dev/null is not a block device');
  });

  it('rejects unknown types', async () => {
    await expect(checkHostPathType(dir, 'Symlink')).rejects.toThrow('Symlink is an invalid volume type');
  });
});
