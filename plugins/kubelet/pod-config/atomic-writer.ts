// Kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go): writes a set of files into a volume
// directory so that a reader sees either the whole old set or the whole new one, never a mix or a
// half-written file. The layout:
//   <dir>/..2024_05_01_10_00_00.123456   the files of one version (a "timestamped" directory)
//   <dir>/..data -> ..2024_05_01_...     swapped by rename(2) of a fresh symlink: atomic
//   <dir>/<name> -> ..data/<name>        what users see, one symlink per top-level entry
// A write that changes nothing (same paths, contents and modes) does nothing. Kubelet compares only
// the contents; here a mode change or a removed path also makes a new version (kubelet would keep
// serving a removed nested file, through its still-present top-level directory).
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rename, rm, stat, symlink, unlink, writeFile, chmod } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';

export interface FileProjection {
  data: Buffer;
  /** permission bits, e.g. 0o644 */
  mode: number;
}

export type Payload = Map<string, FileProjection>;

export const DATA_DIR_NAME = '..data';
const NEW_DATA_DIR_NAME = '..data_tmp';
const MAX_FILE_NAME_LENGTH = 255;
const MAX_PATH_LENGTH = 4096;

/** kubelet's validatePath for payload paths. */
export function validatePayloadPath(p: string): void {
  if (p === '') throw new Error(`invalid path: must not be empty: ${JSON.stringify(p)}`);
  if (posix.isAbsolute(p)) throw new Error(`invalid path: must be relative path: ${p}`);
  if (p.length > MAX_PATH_LENGTH) throw new Error(`invalid path: must be less than or equal to ${MAX_PATH_LENGTH} characters`);
  const items = p.split('/');
  for (const item of items) {
    if (item === '..') throw new Error(`invalid path: must not contain '..': ${p}`);
    if (item.length > MAX_FILE_NAME_LENGTH) throw new Error(`invalid path: filenames must be less than or equal to ${MAX_FILE_NAME_LENGTH} characters`);
  }
  if (items[0].startsWith('..') && items[0].length > 2) throw new Error(`invalid path: must not start with '..': ${p}`);
}

/** Validated payload with cleaned paths (path.Clean). */
export function cleanPayload(payload: Payload): Payload {
  const out: Payload = new Map();
  for (const [p, f] of payload) {
    validatePayloadPath(p);
    const clean = posix.normalize(p).replace(/\/+$/, '');
    if (clean === '.' || clean === '') throw new Error(`invalid path: ${p}`);
    out.set(clean, f);
  }
  return out;
}

/** Files (relative paths) under dir, recursively; [] when dir is missing. */
async function listFiles(dir: string, rel = ''): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(dir, rel), { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: string[] = [];
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, r)));
    else out.push(r);
  }
  return out;
}

async function sameAsOnDisk(payload: Payload, tsDir: string, existing: string[]): Promise<boolean> {
  if (existing.length !== payload.size || existing.some((p) => !payload.has(p))) return false;
  for (const [p, f] of payload) {
    const full = join(tsDir, p);
    try {
      const [st, data] = await Promise.all([stat(full), readFile(full)]);
      if ((st.mode & 0o7777) !== (f.mode & 0o7777) || !data.equals(f.data)) return false;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }
  return true;
}

function timestampPrefix(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

const topLevel = (p: string) => p.split('/')[0];

/**
 * Makes `dir` hold exactly `payload` (creating `dir` if needed). Resolves true when it wrote a new
 * version, false when the content was already there.
 */
export async function atomicWrite(dir: string, payload: Payload, opts: { now?: () => Date } = {}): Promise<boolean> {
  const files = cleanPayload(payload);
  await mkdir(dir, { recursive: true });
  const dataDirPath = join(dir, DATA_DIR_NAME);

  let oldTsDir = '';
  try {
    oldTsDir = await readlink(dataDirPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const oldTsPath = oldTsDir ? join(dir, oldTsDir) : '';
  const oldFiles = oldTsPath ? await listFiles(oldTsPath) : [];
  if (oldTsPath && (await sameAsOnDisk(files, oldTsPath, oldFiles))) return false;

  // the old version's user-visible entries the new one does not have
  const newTops = new Set([...files.keys()].map(topLevel));
  const toRemove = new Set(oldFiles.map(topLevel).filter((t) => !newTops.has(t)));

  const tsDir = await mkdtemp(join(dir, timestampPrefix(opts.now?.() ?? new Date())));
  try {
    await chmod(tsDir, 0o755);
    for (const [p, f] of files) {
      const full = join(tsDir, p);
      await mkdir(dirname(full), { recursive: true, mode: 0o755 });
      await writeFile(full, f.data, { mode: f.mode & 0o7777 });
      await chmod(full, f.mode & 0o7777); // whatever the umask
    }
    // user-visible symlinks for new top-level entries (dangling until ..data flips)
    for (const top of newTops) {
      try {
        await lstat(join(dir, top));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        await symlink(join(DATA_DIR_NAME, top), join(dir, top));
      }
    }
    const newDataDirPath = join(dir, NEW_DATA_DIR_NAME);
    await rm(newDataDirPath, { force: true }); // left by a crash between symlink and rename
    await symlink(posix.basename(tsDir), newDataDirPath);
    try {
      await rename(newDataDirPath, dataDirPath);
    } catch (e) {
      await rm(newDataDirPath, { force: true });
      throw e;
    }
  } catch (e) {
    await rm(tsDir, { recursive: true, force: true });
    throw e;
  }
  if (oldTsPath) await rm(oldTsPath, { recursive: true, force: true });
  for (const top of toRemove) {
    try {
      await unlink(join(dir, top));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return true;
}

/** The version directory `..data` points at, or undefined before the first write. */
export async function currentVersion(dir: string): Promise<string | undefined> {
  try {
    return await readlink(join(dir, DATA_DIR_NAME));
  } catch {
    return undefined;
  }
}
