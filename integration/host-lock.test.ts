// The host lock across processes: one holder at a time, the next one in when it lets go, a holder
// killed with SIGKILL frees it, a waiter that runs out of time says who holds it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireHostLock, lockHolder } from './host-lock.ts';

const dir = mkdtempSync(join(tmpdir(), 'skiff-host-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const here = fileURLToPath(new URL('.', import.meta.url));

/** another process holding the lock at `path` until it is killed */
function holderProcess(path: string) {
  const script = `import { acquireHostLock } from './host-lock.ts';
const l = await acquireHostLock({ path: ${JSON.stringify(path)}, owner: 'the child ' + process.pid });
process.stdout.write('held\\n');
setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: here, stdio: ['ignore', 'pipe', 'inherit'] });
  const held = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d) => String(d).includes('held') && resolve());
    child.once('exit', (code) => reject(new Error(`the holder exited (${code}) before holding the lock`)));
  });
  return { child, held };
}

describe('host lock', () => {
  it('has one holder at a time; the waiter gets it when the holder lets go, and is told who it waits for', async () => {
    const path = join(dir, 'a.lock');
    const first = await acquireHostLock({ path, owner: 'first' });
    expect(lockHolder(path)).toMatch(/^first, since \d{4}-\d\d-\d\dT/);
    const waitedFor: string[] = [];
    let got = false;
    const second = acquireHostLock({ path, owner: 'second', onWait: (h) => waitedFor.push(h) }).then((l) => ((got = true), l));
    await new Promise((r) => setTimeout(r, 1_000));
    expect(got).toBe(false);
    expect(waitedFor).toEqual([lockHolder(path)]);
    await first.release();
    await first.release(); // idempotent
    const l = await second;
    expect(lockHolder(path)).toMatch(/^second, since /);
    expect(l.waitedMs).toBeGreaterThanOrEqual(900);
    await l.release();
    expect(lockHolder(path)).toBe('');
    // free: no wait, no onWait
    const third = await acquireHostLock({ path, onWait: () => expect.fail('nobody holds it') });
    await third.release();
  });

  it('a holder killed with SIGKILL leaves no stale lock', async () => {
    const path = join(dir, 'b.lock');
    const h = holderProcess(path);
    await h.held;
    expect(lockHolder(path)).toMatch(new RegExp(`^the child ${h.child.pid}, since `));
    await expect(acquireHostLock({ path, timeoutMs: 1_000 })).rejects.toThrow(`held by the child ${h.child.pid}`);
    const next = acquireHostLock({ path, owner: 'after the kill' });
    h.child.kill('SIGKILL');
    const l = await next;
    expect(lockHolder(path)).toMatch(/^after the kill, since /);
    await l.release();
  }, 30_000);

  it('a lock file in a directory that does not exist is an error, not a wait', async () => {
    await expect(acquireHostLock({ path: join(dir, 'no', 'such', 'c.lock'), timeoutMs: 1_000 })).rejects.toThrow(/flock .* failed/);
  });
});
