// scripts/ensure-node-deps.sh's service start, with stand-ins for containerd and ctr on PATH (the
// machine's own services are never touched): one that comes up, one that dies, one that never
// answers. Each fails the script with the reason and the log path, or succeeds once the probe answers.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { itNeeding } from './test-parts.ts';

const SCRIPT = join(import.meta.dirname, 'ensure-node-deps.sh');
const dir = mkdtempSync(join(tmpdir(), 'skiff-deps-test-'));
const pids: number[] = [];
afterAll(() => {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A bin directory with a fake `ctr` (answers once `up` exists) and a fake `containerd` running `body`. */
function fakes(name: string, body: string): { bin: string; logs: string; up: string } {
  const bin = join(dir, name, 'bin');
  const logs = join(dir, name, 'logs');
  const up = join(dir, name, 'up');
  spawnSync('mkdir', ['-p', bin, logs]);
  const script = (f: string, text: string) => {
    writeFileSync(join(bin, f), `#!/bin/sh\n${text}\n`);
    chmodSync(join(bin, f), 0o755);
  };
  script('ctr', `[ -e ${up} ]`);
  script('containerd', `echo $$ > ${join(dir, name, 'pid')}; echo "fake containerd $*"; ${body}`);
  script('containerd-shim-runc-v2', 'exit 0');
  return { bin, logs, up };
}

function run(f: { bin: string; logs: string }) {
  const r = spawnSync('bash', [SCRIPT, '--log-dir', f.logs, 'containerd'], {
    encoding: 'utf8',
    env: { ...process.env, PATH: `${f.bin}:${process.env.PATH}`, SKIFF_DEPS_START_TIMEOUT: '3' },
    timeout: 30_000,
  });
  return { code: r.status, err: r.stderr };
}
const remember = (name: string) => {
  const p = join(dir, name, 'pid');
  if (existsSync(p)) pids.push(Number(readFileSync(p, 'utf8')));
};

itNeeding(['root'], 'starts a service that does not answer, detached, and waits until it answers', () => {
  const f = fakes('comes-up', `sleep 1; touch ${join(dir, 'comes-up', 'up')}; exec sleep 600`);
  const r = run(f);
  remember('comes-up');
  expect(r.err).toContain(`starting containerd (log: ${join(f.logs, 'containerd.log')})`);
  expect(r.err).toContain('containerd is up');
  expect(r.code).toBe(0);
  expect(readFileSync(join(f.logs, 'containerd.log'), 'utf8')).toMatch(/fake containerd --config .*deploy\/containerd\/config\.toml/);
  // it stays running, and a second run starts nothing
  expect(run(f)).toEqual({ code: 0, err: '' });
}, 30_000);

itNeeding(['root'], 'fails, with the log, when the service exits at start', () => {
  const f = fakes('dies', 'echo "bad config" >&2; exit 1');
  const r = run(f);
  expect(r.code).toBe(1);
  expect(r.err).toContain('bad config');
  expect(r.err).toContain(`FAILED: containerd exited at start (log: ${join(f.logs, 'containerd.log')})`);
}, 30_000);

itNeeding(['root'], 'fails when the service never answers within the deadline', () => {
  const f = fakes('silent', 'exec sleep 600');
  const r = run(f);
  remember('silent');
  expect(r.code).toBe(1);
  expect(r.err).toContain(`FAILED: containerd did not answer within 3s (log: ${join(f.logs, 'containerd.log')})`);
}, 30_000);

itNeeding(['root'], '--check starts nothing and says what is not running', () => {
  const f = fakes('check', `touch ${join(dir, 'check', 'started')}`);
  const r = spawnSync('bash', [SCRIPT, '--check', '--log-dir', f.logs, 'containerd'], { encoding: 'utf8', env: { ...process.env, PATH: `${f.bin}:${process.env.PATH}` } });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('FAILED: containerd is not running');
  expect(existsSync(join(dir, 'check', 'started'))).toBe(false);
});

it('--check names the Debian package that is missing (a gcc without a static libc: libc6-dev), installing nothing', () => {
  const f = fakes('no-libc', 'exit 1');
  writeFileSync(join(f.bin, 'gcc'), '#!/bin/sh\necho libc.a\n'); // what gcc -print-file-name says when it finds none
  chmodSync(join(f.bin, 'gcc'), 0o755);
  const r = spawnSync('bash', [SCRIPT, '--check', '--log-dir', f.logs, 'images'], { encoding: 'utf8', env: { ...process.env, PATH: `${f.bin}:${process.env.PATH}` } });
  expect(r.stderr.trim()).toBe('skiff deps: FAILED: missing Debian packages: libc6-dev (as root: apt-get install libc6-dev)');
  expect(r.status).toBe(1);
  expect(existsSync(join(f.logs, 'apt.log'))).toBe(false);
});
