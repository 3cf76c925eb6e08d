// A lock for what a host has one of: tests that run a real node agent on this machine share its
// nftables table `inet skiff`, the bridge `skiff0` and the node-local DNS address 10.96.0.10:53, so
// two of them (two vitest workers, or two vitest runs on one machine) must never run at once.
//
// The lock is flock(2) on a file, held by a small `flock … cat` child whose stdin is a pipe from this
// process: releasing closes the pipe, and so does this process dying in any way (even SIGKILL), so a
// dead holder never leaves a stale lock behind — the kernel drops it with the holder's descriptor,
// and no pid is checked (a pid can be reused; a descriptor cannot outlive its process). The file is
// never deleted (a waiter would lock a new inode beside the old one's holder); it holds, as text,
// who has it, for the waiters' messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The lock file of the host's real node agent (SKIFF_HOST_LOCK overrides it). */
export const HOST_AGENT_LOCK = process.env.SKIFF_HOST_LOCK || (existsSync('/run/lock') ? '/run/lock/skiff-host-agent.lock' : join(tmpdir(), 'skiff-host-agent.lock'));

export interface HostLock {
  /** who holds it (the file says this and since when) */
  readonly owner: string;
  /** ms spent waiting for it */
  readonly waitedMs: number;
  /** Let go (idempotent); resolves when the lock is free for others. */
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** the lock file (default HOST_AGENT_LOCK) */
  path?: string;
  /** written into the file while held, with the time it was taken (default: pid and argv) */
  owner?: string;
  /** give up after this long (default 20 minutes: another test file's whole run) */
  timeoutMs?: number;
  /** called once when the lock is held by someone else, with what the holder wrote */
  onWait?(holder: string): void;
}

/** What the current holder wrote into the lock file ('' when none). */
export function lockHolder(path = HOST_AGENT_LOCK): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Take the lock, waiting for its holder to let go. Rejects after `timeoutMs`, naming the holder. */
export async function acquireHostLock(o: AcquireOptions = {}): Promise<HostLock> {
  const path = o.path ?? HOST_AGENT_LOCK;
  const owner = o.owner ?? `pid ${process.pid}: ${process.argv.slice(1).join(' ')}`;
  const timeoutMs = o.timeoutMs ?? 20 * 60_000;
  const t0 = Date.now();
  let lock = await flockHolder(path, null);
  if (!lock) {
    o.onWait?.(lockHolder(path) || '(unknown)');
    lock = await flockHolder(path, timeoutMs);
  }
  if (!lock) throw new Error(`the lock ${path} was not free within ${timeoutMs} ms; held by ${lockHolder(path) || 'an unknown process'}`);
  const { child, exited } = lock;
  try {
    writeFileSync(path, `${owner}, since ${new Date().toISOString()}\n`);
  } catch {
    /* who holds it is only for messages */
  }
  // held, it keeps nothing alive: this process ending (tests done) closes the pipe and frees it
  child.unref();
  (child.stdin as unknown as { unref(): void }).unref();
  (child.stdout as unknown as { unref(): void }).unref();
  (child.stderr as unknown as { unref(): void }).unref();
  let released: Promise<void> | undefined;
  return {
    owner,
    waitedMs: Date.now() - t0,
    release: () =>
      (released ??= (async () => {
        try {
          writeFileSync(path, '');
        } catch {
          /* as above */
        }
        child.stdin!.end();
        await exited;
      })()),
  };
}

/** flock's exit code when the lock is held by another (sysexits' EX_TEMPFAIL) */
const BUSY = 75;

/**
 * The lock held by a `flock` child (null: it could not be had: busy without waiting, or not within
 * `waitMs`). flock opens (creating) the file, takes the lock, then runs the shell, which says so and
 * turns into `cat`: it ends when our end of its stdin closes, and flock with it.
 */
function flockHolder(path: string, waitMs: number | null): Promise<{ child: ChildProcess; exited: Promise<number | null> } | null> {
  const wait = waitMs === null ? ['--nonblock'] : ['--timeout', String(Math.max(1, Math.ceil(waitMs / 1000)))];
  const child = spawn('flock', ['--exclusive', '--conflict-exit-code', String(BUSY), ...wait, path, 'sh', '-c', 'echo locked; exec cat >/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.once('error', (e) => reject(new Error(`cannot run flock(1) (util-linux) for the lock ${path}: ${e.message}`)));
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('locked\n')) resolve({ child, exited });
    });
    void exited.then((code) => {
      if (out.includes('locked\n')) return;
      // busy (or the wait ran out); anything else is flock failing (no such directory, ...)
      if (code === BUSY) resolve(null);
      else reject(new Error(`flock ${path} failed (exit ${code}): ${err.trim()}`));
    });
  });
}
