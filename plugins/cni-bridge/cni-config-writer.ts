// Writes Skiff's conflist into the CNI conf dir that containerd's CRI plugin reads
// (/etc/cni/net.d): atomically (a temporary file in the same directory, fsynced, renamed over the
// old one; containerd watches the directory and must never see half a file), and only when the
// content changes. It removes stale Skiff conflists (another priority prefix, left by an older
// config) and temporary files a crash left behind, and never touches anything else.
//
// A file is Skiff's when its name is `<digits>-skiff.conflist` and it is a conflist whose network
// name is Skiff's; temporary files are dot-files ending in `.tmp`, which libcni does not read (it
// loads *.conf, *.conflist, *.json).
//
// containerd 1.6 loads only the first network config of the directory in name order
// (`max_conf_num` = 1), so `write` reports the files that sort before Skiff's: if there are any,
// pods get that network, not Skiff's.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CniConflist } from '@skiff/node-api';
import { NETWORK_NAME, renderConflist } from './conflist.ts';

export const DEFAULT_CONF_DIR = '/etc/cni/net.d';
export const DEFAULT_CONF_FILE = '10-skiff.conflist';

/** The extensions libcni loads from a conf dir. */
const CNI_CONF_EXTENSIONS = ['.conf', '.conflist', '.json'];
const OURS = /^\d+-skiff\.conflist$/;
const OUR_TMP = /^\.\d+-skiff\.conflist\.[0-9a-f]+\.tmp$/;

export interface CniConfigWriterOptions {
  confDir?: string;
  /** `<priority>-skiff.conflist` (default 10-skiff.conflist) */
  fileName?: string;
  /** the network name that marks a conflist as Skiff's (default "skiff") */
  networkName?: string;
}

export interface WriteResult {
  path: string;
  /** false when the file already had this content */
  changed: boolean;
  /** stale Skiff files removed */
  removed: string[];
  /** network configs that sort before ours (containerd 1.6 would use the first of them instead) */
  shadowedBy: string[];
}

const code = (e: unknown) => (e as { code?: string })?.code;

export class CniConfigWriter {
  readonly confDir: string;
  readonly fileName: string;
  private readonly networkName: string;

  constructor(o: CniConfigWriterOptions = {}) {
    this.confDir = o.confDir ?? DEFAULT_CONF_DIR;
    this.fileName = o.fileName ?? DEFAULT_CONF_FILE;
    this.networkName = o.networkName ?? NETWORK_NAME;
    if (!OURS.test(this.fileName)) throw new Error(`CNI conf file name "${this.fileName}" must look like "10-skiff.conflist"`);
  }

  get path(): string {
    return join(this.confDir, this.fileName);
  }

  /** The conflist as it is on disk now, or undefined when there is none. */
  async read(): Promise<CniConflist | undefined> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as CniConflist;
    } catch (e) {
      if (code(e) === 'ENOENT') return undefined;
      throw e;
    }
  }

  async write(conflist: CniConflist): Promise<WriteResult> {
    if (conflist.name !== this.networkName) throw new Error(`conflist network name "${conflist.name}" is not "${this.networkName}"`);
    const text = renderConflist(conflist);
    await mkdir(this.confDir, { recursive: true, mode: 0o755 });
    let current: string | undefined;
    try {
      current = await readFile(this.path, 'utf8');
    } catch (e) {
      if (code(e) !== 'ENOENT') throw e;
    }
    const changed = current !== text;
    if (changed) await this.replace(text);
    const removed = await this.removeStale();
    return { path: this.path, changed, removed, shadowedBy: await this.shadowing() };
  }

  private async replace(text: string): Promise<void> {
    const tmp = join(this.confDir, `.${this.fileName}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const fh = await open(tmp, 'wx', 0o644);
      try {
        await fh.writeFile(text, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    const dir = await open(this.confDir, 'r');
    try {
      await dir.sync(); // the rename itself survives a crash
    } finally {
      await dir.close();
    }
  }

  /** Remove other Skiff conflists and leftover temporary files; return their names. */
  private async removeStale(): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await readdir(this.confDir)) {
      if (name === this.fileName) continue;
      let stale = OUR_TMP.test(name);
      if (!stale && OURS.test(name)) {
        try {
          stale = (JSON.parse(await readFile(join(this.confDir, name), 'utf8')) as { name?: unknown }).name === this.networkName;
        } catch {
          stale = false; // unreadable or not JSON: not provably ours
        }
      }
      if (stale) {
        await rm(join(this.confDir, name), { force: true });
        removed.push(name);
      }
    }
    return removed.sort();
  }

  private async shadowing(): Promise<string[]> {
    const names = await readdir(this.confDir);
    return names
      .filter((n) => CNI_CONF_EXTENSIONS.some((ext) => n.endsWith(ext)) && Buffer.compare(Buffer.from(n), Buffer.from(this.fileName)) < 0)
      .sort();
  }
}
