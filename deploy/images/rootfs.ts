// Building an image's root filesystem in a staging directory from files of this machine:
// binaries with the libraries `ldd` lists, host paths copied with their symlink chains
// (Debian's merged /usr: /lib -> usr/lib, /bin -> usr/bin; /etc/alternatives), small files.
// Writes never follow a symlink out of the staging directory: in-image symlinks are resolved
// against the staging root, and an existing symlink is replaced, never written through.
// Host files are staged as hard links where possible (ten thousand files of node_modules copy in
// seconds here, link in one); nothing ever writes into or chmods a staged file that is a link.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, copyFile, link, lstat, mkdir, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';

async function lstatOrNull(p: string) {
  try {
    return await lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw e;
  }
}

const lddCache = new Map<string, string[]>();

/**
 * Shared libraries and dynamic loaders of ELF files, per `ldd` (one run for all of them); [] for
 * static binaries. Throws when a library is not found.
 */
export function lddDeps(files: string[]): string[] {
  const todo = files.filter((f) => !lddCache.has(f));
  if (todo.length) {
    const r = spawnSync('ldd', todo, { encoding: 'utf8', maxBuffer: 16 << 20, env: { ...process.env, LC_ALL: 'C' } });
    if (r.error) throw new Error(`ldd: ${r.error.message}`);
    // one file: no header; several: "<file>:" before each file's lines
    let current = todo.length === 1 ? todo[0] : '';
    const found = new Map<string, string[]>(todo.map((f) => [f, []]));
    for (const line of `${r.stdout}\n${r.stderr}`.split('\n')) {
      if (todo.length > 1 && found.has(line.replace(/:$/, ''))) {
        current = line.replace(/:$/, '');
        continue;
      }
      if (/=>\s*not found/.test(line)) throw new Error(`ldd ${current}: ${line.trim()}`);
      const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
      if (m && current) found.get(current)!.push(m[1]);
    }
    if (r.status !== 0 && !/not a dynamic executable|statically linked/.test(r.stdout + r.stderr)) {
      throw new Error(`ldd ${todo.join(' ')} failed: ${(r.stderr || r.stdout).trim()}`);
    }
    for (const [f, deps] of found) lddCache.set(f, deps);
  }
  return [...new Set(files.flatMap((f) => lddCache.get(f)!))];
}

/** A root filesystem being staged in `dir`. Paths given to its methods are in-image absolute paths. */
export class RootFs {
  private constructor(readonly dir: string) {}

  /** Starts an empty root filesystem in `dir` (removed first if present). */
  static async create(dir: string): Promise<RootFs> {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o755);
    return new RootFs(dir);
  }

  /** The staging path of in-image `p`, following in-image symlinks (all components, or all but the last). */
  async resolve(p: string, followLast = false): Promise<string> {
    let todo = p.split('/').filter(Boolean);
    const cur: string[] = [];
    for (let hops = 0; todo.length; ) {
      const [c, ...rest] = todo;
      todo = rest;
      if (c === '.') continue;
      if (c === '..') {
        cur.pop();
        continue;
      }
      const here = join(this.dir, ...cur, c);
      const st = await lstatOrNull(here);
      if (st?.isSymbolicLink() && (todo.length || followLast)) {
        if (++hops > 40) throw new Error(`too many symlinks resolving ${p} in ${this.dir}`);
        const target = await readlink(here);
        if (target.startsWith('/')) cur.length = 0;
        todo = [...target.split('/').filter(Boolean), ...todo];
        continue;
      }
      cur.push(c);
    }
    return join(this.dir, ...cur);
  }

  async exists(p: string): Promise<boolean> {
    return (await lstatOrNull(await this.resolve(p))) !== null;
  }

  async mkdir(p: string, mode = 0o755): Promise<void> {
    const parts = p.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const at = await this.resolve(`/${parts.slice(0, i).join('/')}`, true);
      const st = await lstatOrNull(at);
      if (st?.isDirectory()) continue;
      if (st) throw new Error(`${p}: /${parts.slice(0, i).join('/')} exists in the image and is not a directory`);
      // `at` is resolved: its existing part has no symlinks left, the rest does not exist yet
      const rel = relative(this.dir, at).split(sep);
      for (let j = 1; j <= rel.length; j++) {
        const d = join(this.dir, ...rel.slice(0, j));
        if (await lstatOrNull(d)) continue;
        await mkdir(d);
        await chmod(d, j === rel.length && i === parts.length ? mode : 0o755);
      }
    }
  }

  /** Creates the parent directory of `p` and frees `p` itself (an existing file or link is removed). */
  private async prepare(p: string): Promise<string> {
    await this.mkdir(posix.dirname(p));
    const at = await this.resolve(p);
    await rm(at, { recursive: true, force: true });
    return at;
  }

  async writeFile(p: string, content: string | Buffer, mode = 0o644): Promise<void> {
    const at = await this.prepare(p);
    await writeFile(at, content);
    await chmod(at, mode);
  }

  async symlink(p: string, target: string): Promise<void> {
    await symlink(target, await this.prepare(p));
  }

  /**
   * Stages host file or directory `src` (following a symlink at `src` itself) at in-image `p`: as
   * hard links when `mode` is not given and the staging directory is on the same filesystem, else
   * as a copy. Symlinks inside a directory stay symlinks.
   */
  async copy(src: string, p: string, mode?: number): Promise<void> {
    const at = await this.prepare(p);
    const st = await stat(src);
    if (st.isDirectory()) {
      const r = spawnSync('cp', [mode === undefined ? '-al' : '-a', '--', src, at], { encoding: 'utf8' });
      if (r.status !== 0 && mode === undefined) {
        await rm(at, { recursive: true, force: true });
        const c = spawnSync('cp', ['-a', '--', src, at], { encoding: 'utf8' });
        if (c.status !== 0) throw new Error(`cp -a ${src} ${at}: ${c.stderr || c.error?.message}`);
      } else if (r.status !== 0) throw new Error(`cp -a ${src} ${at}: ${r.stderr || r.error?.message}`);
      if (mode !== undefined) await chmod(at, mode);
      return;
    }
    if (mode === undefined) {
      try {
        return await link(src, at);
      } catch {
        // another filesystem, or not allowed: copy
      }
    }
    await copyFile(src, at);
    await chmod(at, mode ?? st.mode & 0o7777);
  }

  /**
   * Copies host path `hostPath` to the same path in the image, recreating every symlink met on the
   * way (a symlinked parent directory, a link to a link), so the image has the same layout as the
   * host. A directory is copied whole, its symlinks kept as they are.
   */
  async copyFromHost(hostPath: string, hops = 0): Promise<void> {
    if (hops > 40) throw new Error(`too many symlinks copying ${hostPath}`);
    const parts = hostPath.split('/').filter(Boolean);
    let cur = '/';
    for (const [i, part] of parts.entries()) {
      const next = posix.join(cur, part);
      const st = await lstat(next);
      const last = i === parts.length - 1;
      if (st.isSymbolicLink()) {
        const target = await readlink(next);
        const inImage = await lstatOrNull(await this.resolve(next));
        if (!inImage) await this.symlink(next, target);
        const resolved = posix.resolve(cur, target);
        return this.copyFromHost(posix.join(resolved, ...parts.slice(i + 1)), hops + 1);
      }
      if (!last) {
        if (!st.isDirectory()) throw new Error(`${hostPath}: ${next} is not a directory`);
        if (!(await this.exists(next))) await this.mkdir(next, st.mode & 0o7777);
      } else if (!(await this.exists(next))) {
        await this.copy(next, next);
      }
      cur = next;
    }
  }

  /** Copies executables (or shared objects) with every library `ldd` lists and the dynamic loader. */
  async addBinary(...hostPaths: string[]): Promise<void> {
    for (const p of hostPaths) await this.copyFromHost(p);
    for (const lib of lddDeps(hostPaths)) await this.copyFromHost(lib);
  }

  /** Writes /etc/passwd, /etc/group (root, nobody) and /etc/nsswitch.conf. */
  async addEtc(): Promise<void> {
    await this.writeFile('/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
    await this.writeFile('/etc/group', 'root:x:0:\nnogroup:x:65534:\n');
    await this.writeFile('/etc/nsswitch.conf', 'passwd: files\ngroup: files\nhosts: files dns\n');
    await this.mkdir('/tmp', 0o1777);
    await this.mkdir('/root', 0o700);
  }
}

/** Applet names of a busybox binary (`busybox --list`). */
export function busyboxApplets(busybox: string): string[] {
  return execFileSync(busybox, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s && s !== 'busybox');
}
