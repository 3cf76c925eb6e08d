// vitest globalSetup: makes the tests self-sufficient on a fresh Debian machine (as root).
// - nats-server (Debian 2.9.10) at /usr/sbin/nats-server: `apt-get install -y nats-server`
// - Debian's kubectl 1.20 unpacked aside at /opt/skiff-test/kubectl-1.20 (never apt-get installed:
//   it clashes with /usr/bin/kubectl 1.32)
// Exports SKIFF_KUBECTL_120 / SKIFF_KUBECTL_132 through process.env, which vitest hands on to its
// workers (checked by a test in cli/pki.test.ts). Silent and fast when everything is present; when not
// root it only prints what is missing.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NATS_SERVER = '/usr/sbin/nats-server';
export const KUBECTL_120_DIR = '/opt/skiff-test/kubectl-1.20';
export const KUBECTL_120 = `${KUBECTL_120_DIR}/usr/bin/kubectl`;
export const KUBECTL_132 = '/usr/bin/kubectl';

const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const LOCK = ['-o', 'DPkg::Lock::Timeout=300'];

function run(cmd: string, args: string[], cwd?: string): boolean {
  const r = spawnSync(cmd, args, { cwd, env: APT_ENV, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) console.error(`[test-setup] failed: ${cmd} ${args.join(' ')} (${r.error?.message ?? `exit ${r.status}`})`);
  return r.status === 0;
}

let updated = false;
function aptUpdate(): boolean {
  if (!updated) updated = run('apt-get', [...LOCK, 'update', '-qq']);
  return updated;
}

function installNats(): void {
  console.error('[test-setup] installing nats-server (apt-get)');
  if (!run('apt-get', [...LOCK, 'install', '-y', '-qq', 'nats-server']) && aptUpdate()) {
    run('apt-get', [...LOCK, 'install', '-y', '-qq', 'nats-server']);
  }
}

function unpackKubectl120(): void {
  console.error(`[test-setup] unpacking Debian kubernetes-client (kubectl 1.20) into ${KUBECTL_120_DIR}`);
  const tmp = mkdtempSync(join(tmpdir(), 'skiff-kubectl-'));
  try {
    const download = () => run('apt-get', ['-o', 'APT::Sandbox::User=root', 'download', '-qq', 'kubernetes-client'], tmp);
    if (!download() && !(aptUpdate() && download())) return;
    const deb = readdirSync(tmp).find((f) => f.startsWith('kubernetes-client_') && f.endsWith('.deb'));
    if (!deb) return void console.error('[test-setup] apt-get download produced no .deb');
    mkdirSync(join(KUBECTL_120_DIR, '..'), { recursive: true });
    // unpack next to the target, then rename: concurrent runs never see a half-unpacked tree
    const part = mkdtempSync(`${KUBECTL_120_DIR}.part-`);
    if (!run('dpkg-deb', ['-x', join(tmp, deb), part])) return void rmSync(part, { recursive: true, force: true });
    try {
      chmodSync(part, 0o755);
      renameSync(part, KUBECTL_120_DIR);
    } catch {
      rmSync(part, { recursive: true, force: true }); // another run won the race
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export default function setup(): void {
  const isRoot = process.getuid?.() === 0;
  const missing: string[] = [];
  if (!existsSync(NATS_SERVER)) missing.push(`nats-server (${NATS_SERVER}; apt-get install nats-server)`);
  if (!existsSync(KUBECTL_120)) missing.push(`kubectl 1.20 (${KUBECTL_120}; apt-get download kubernetes-client, dpkg-deb -x)`);

  if (missing.length && !isRoot) {
    console.error(`[test-setup] not root, not installing; missing:\n  ${missing.join('\n  ')}`);
  } else if (missing.length) {
    if (!existsSync(NATS_SERVER)) installNats();
    if (!existsSync(KUBECTL_120)) unpackKubectl120();
  }

  // end-to-end tests drive the real binary: bundle it (esbuild, well under a second)
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const b = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
  // a broken build fails the tests that drive the binary (they need SKIFF_BIN), not every test
  if (b.status === 0) process.env.SKIFF_BIN = join(root, 'dist', 'skiff.mjs');
  else console.error('[test-setup] building dist/skiff.mjs failed: end-to-end tests will fail');

  if (!process.env.SKIFF_KUBECTL_120 && existsSync(KUBECTL_120)) process.env.SKIFF_KUBECTL_120 = KUBECTL_120;
  if (!process.env.SKIFF_KUBECTL_132 && existsSync(KUBECTL_132)) process.env.SKIFF_KUBECTL_132 = KUBECTL_132;
  // testcontainers as it works on these machines (ARCHITECTURE.md): no Ryuk sidecar (its image
  // cannot be pulled), published ports on loopback
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
}
