// hostPath volumes: the `type` checks of pkg/volume/hostpath (checkTypeInternal), with its messages.
// The path itself is mounted as is; nothing here ever changes what is inside it. Like kubelet, the
// checks follow symlinks (stat), DirectoryOrCreate makes missing parents (mode 0755) and
// FileOrCreate does not (a missing parent is an error).
import { constants, type Stats } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';

export const HOST_PATH_TYPES = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'] as const;

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Checks (and for the *OrCreate types, creates) a hostPath volume's path; throws kube's messages. */
export async function checkHostPathType(path: string, type: string | undefined): Promise<void> {
  const t = type ?? '';
  if (t === '') return;
  const st = await statOrUndefined(path);
  switch (t) {
    case 'DirectoryOrCreate':
      if (!st) {
        await mkdir(path, { recursive: true, mode: 0o755 });
        return;
      }
    // falls through
    case 'Directory':
      if (!st?.isDirectory()) throw new Error(`hostPath type check failed: ${path} is not a directory`);
      return;
    case 'FileOrCreate':
      if (!st) {
        try {
          await (await open(path, constants.O_RDONLY | constants.O_CREAT, 0o644)).close();
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`open ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
        }
        return;
      }
    // falls through
    case 'File':
      if (!st?.isFile()) throw new Error(`hostPath type check failed: ${path} is not a file`);
      return;
    case 'Socket':
      if (!st?.isSocket()) throw new Error(`hostPath type check failed: ${path} is not a socket file`);
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) throw new Error(`hostPath type check failed: ${path} is not a character device`);
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) throw new Error(`hostPath type check failed: ${path} is not a block device`);
      return;
    default:
      throw new Error(`${t} is an invalid volume type`);
  }
}
