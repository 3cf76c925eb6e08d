// Cache keys of image builds. Two levels:
// - inputsDigest: cheap (stat only) over the host paths a recipe declares it reads; when it matches
//   the last build's, nothing is staged at all;
// - treeDigest: over the staged root filesystems' contents; when it matches, the tarball of the last
//   build is kept (its inputs were touched, not changed).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { byBytes } from './oci-image.ts';

type Visit = (rel: string, path: string, st: Awaited<ReturnType<typeof lstat>>) => Promise<string>;

async function walk(dir: string, visit: Visit, h: ReturnType<typeof createHash>, rel = ''): Promise<void> {
  for (const n of (await readdir(join(dir, rel))).sort(byBytes)) {
    const r = rel ? `${rel}/${n}` : n;
    const p = join(dir, r);
    const st = await lstat(p);
    h.update(`${r}\0${st.mode.toString(8)}\0${await visit(r, p, st)}\0`);
    if (st.isDirectory()) await walk(dir, visit, h, r);
  }
}

async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * A digest of a directory tree as a layer sees it: names, types, modes, sizes, file contents, link
 * targets; not owners or times.
 */
export async function treeDigest(dir: string): Promise<string> {
  const h = createHash('sha256');
  await walk(
    dir,
    async (_r, p, st) => {
      if (st.isSymbolicLink()) return `L${await readlink(p)}`;
      if (st.isDirectory()) return 'D';
      if (st.isFile()) return `F${st.size}:${await fileSha256(p)}`;
      return `S${st.rdev}`;
    },
    h,
  );
  return `sha256:${h.digest('hex')}`;
}

/**
 * A digest of host paths by what `stat` says (type, mode, size, mtime, inode; directories walked,
 * symlinks inside them by target, a symlinked path itself by target and what it points at), plus
 * `extra` (parameters, digests of sources), plus the contents of `contentPaths`. Missing paths
 * count as missing.
 */
export async function inputsDigest(paths: string[], extra: unknown, contentPaths: string[] = []): Promise<string> {
  const h = createHash('sha256');
  h.update(JSON.stringify(extra));
  for (const p of contentPaths) {
    const st = await stat(p).catch(() => null);
    h.update(`\n${p}\0${!st ? 'missing' : st.isDirectory() ? await treeDigest(p) : await fileSha256(p)}`);
  }
  const ident = async (_r: string, p: string, st: Awaited<ReturnType<typeof lstat>>) =>
    st.isSymbolicLink() ? `L${await readlink(p)}` : st.isDirectory() ? 'D' : `F${st.size}:${st.mtimeMs}:${st.ino}:${st.dev}`;
  for (const p of [...new Set(paths)].sort(byBytes)) {
    h.update(`\n${p}\0`);
    const link = await lstat(p).catch(() => null);
    const st = await stat(p).catch(() => null); // a symlinked input counts by its target too
    if (!link || !st) {
      h.update(link ? `dangling ${await readlink(p)}` : 'missing');
      continue;
    }
    if (link.isSymbolicLink()) h.update(`L${await readlink(p)}\0`);
    h.update(`${st.mode.toString(8)}\0${await ident('', p, st)}`);
    if (st.isDirectory()) await walk(p, ident, h);
  }
  return `sha256:${h.digest('hex')}`;
}

/** sha256 of files' names (relative to `base`) and contents, in the given order. */
export async function filesDigest(paths: string[], base: string): Promise<string> {
  const h = createHash('sha256');
  for (const p of paths) h.update(`${relative(base, p)}\0${await fileSha256(p)}\0`);
  return `sha256:${h.digest('hex')}`;
}
