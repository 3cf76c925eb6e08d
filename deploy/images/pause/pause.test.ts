import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImages } from '../build.ts';
import { ctrImport } from '../load.ts';
import { itNeeding } from '../../../scripts/test-parts.ts';
import { compilePause } from './recipe.ts';

const cache = mkdtempSync(join(tmpdir(), 'skiff-pause-test-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

const exited = (p: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => p.on('exit', (code, signal) => resolve({ code, signal })));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const children = (pid: number) =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

// gcc (and libc6-dev) come with the test setup (scripts/ensure-node-deps.sh images)
describe('pause.c', () => {
  it('builds static, prints its version, exits 0 on SIGTERM and SIGINT', async () => {
    const bin = compilePause(cache);
    expect(compilePause(cache)).toBe(bin); // cached
    expect(spawnSync('file', [bin], { encoding: 'utf8' }).stdout).toMatch(/statically linked/);
    expect(spawnSync(bin, ['-v'], { encoding: 'utf8' }).stdout.trim()).toBe('skiff-pause 1.0');
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      const p = spawn(bin, [], { stdio: 'ignore' });
      const done = exited(p);
      await sleep(100);
      p.kill(sig);
      expect(await done).toEqual({ code: 0, signal: null });
    }
  });

  itNeeding(['root'], 'reaps orphans as PID 1 of a PID namespace (needs root for unshare)', async () => {
    const bin = compilePause(cache);
    // sh (PID 1 in the new namespace) leaves an orphaned `sleep 1`, then becomes pause
    const u = spawn('unshare', ['--fork', '--pid', 'sh', '-c', `(sleep 1 &); exec ${bin}`], { stdio: 'ignore' });
    const done = exited(u);
    try {
      let pausePid = 0;
      for (let i = 0; i < 50 && !pausePid; i++, await sleep(20)) {
        const [c] = children(u.pid!);
        if (c && readFileSync(`/proc/${c}/cmdline`, 'utf8').startsWith(bin)) pausePid = c;
      }
      expect(pausePid).toBeGreaterThan(0);
      expect(children(pausePid)).toHaveLength(1); // the sleep, adopted by PID 1
      await sleep(1500);
      expect(children(pausePid)).toEqual([]); // exited and reaped: no zombie left
      u.kill('SIGTERM'); // unshare passes nothing on: signal pause itself
      process.kill(pausePid, 'SIGTERM');
      expect((await done).code).toBe(0);
    } finally {
      u.kill('SIGKILL');
    }
  });
});

const NS = 'skiff-images-test';

describe('pause image in containerd', () => {
  itNeeding(
    ['root', 'containerd'],
    'runs and stops with status 0 on SIGTERM',
    async () => {
      const out = join(cache, 'out');
      const [img] = await buildImages(['pause'], { out, pauseRef: 'skiff.local/pause-test:3.9' });
      expect(img.refs).toEqual(['skiff.local/pause-test:3.9']);
      expect(ctrImport(img.tar, { namespace: NS })).toMatch(/skiff\.local\/pause-test:3\.9/);
      const id = `pause-test-${process.pid}-${Date.now()}`;
      const run = spawn('ctr', ['-n', NS, 'run', '--rm', 'skiff.local/pause-test:3.9', id], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      run.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()));
      const done = exited(run);
      try {
        let running = false;
        for (let i = 0; i < 100 && !running; i++, await sleep(50)) {
          running = / RUNNING/.test(spawnSync('ctr', ['-n', NS, 'task', 'ls'], { encoding: 'utf8' }).stdout.split('\n').find((l) => l.startsWith(id)) ?? '');
        }
        expect(running).toBe(true);
        expect(spawnSync('ctr', ['-n', NS, 'task', 'kill', '-s', 'SIGTERM', id]).status).toBe(0);
        expect(await done, stderr).toEqual({ code: 0, signal: null });
      } finally {
        run.kill('SIGKILL');
        spawnSync('ctr', ['-n', NS, 'task', 'rm', '-f', id]);
        spawnSync('ctr', ['-n', NS, 'containers', 'rm', id]);
      }
    },
    60_000,
  );
});

