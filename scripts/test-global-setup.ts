// vitest globalSetup: makes the tests self-sufficient on a fresh Debian machine (as root).
// - scripts/ensure-node-deps.sh (shared with `skiff up` and CI) installs the Debian packages the tests
//   need (nats-server at /usr/sbin/nats-server, containerd, runc, the CNI plugins, iptables, nftables,
//   iproute2, docker.io, docker-registry, gcc) and starts containerd (deploy/containerd/config.toml)
//   and dockerd when they do not answer; they stay running for later runs (logs in LOG_DIR).
//   A part that cannot be installed or does not come up fails the run (this setup throws), except
//   the parts SKIFF_TESTS_WITHOUT leaves out on purpose (scripts/test-parts.ts).
// - Debian's kubectl 1.20 unpacked aside at /opt/skiff-test/kubectl-1.20 (never apt-get installed:
//   it clashes with /usr/bin/kubectl 1.32)
// Exports SKIFF_KUBECTL_120 / SKIFF_KUBECTL_132 through process.env, which vitest hands on to its
// workers (checked by a test in cli/pki.test.ts). Fast when everything is present (no apt-get);
// when not root it only prints what is missing (the tests that need it then fail, saying so).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { excludedParts } from './tests-without.ts';

export const NATS_SERVER = '/usr/sbin/nats-server';
export const KUBECTL_120_DIR = '/opt/skiff-test/kubectl-1.20';
export const KUBECTL_120 = `${KUBECTL_120_DIR}/usr/bin/kubectl`;
export const KUBECTL_132 = '/usr/bin/kubectl';
/** where the services this setup starts log, and apt-get's output */
export const LOG_DIR = '/tmp/skiff-test';

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

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The parts of scripts/ensure-node-deps.sh the tests need, less those SKIFF_TESTS_WITHOUT leaves out. */
export function nodeParts(without: ReadonlySet<string>): string[] {
  if (without.has('root')) return ['nats', 'images']; // what the tests that need no root need
  // storage: xfsprogs, for the host-path CSI driver's volumes (plugins/csi-node)
  const parts = ['nats', 'images', 'storage'];
  if (!without.has('cni')) parts.push('cni');
  // the registry test pulls into containerd; multi-node's nodes run their own containerd
  if (!without.has('containerd')) parts.push('containerd');
  if (!without.has('docker')) parts.push('docker');
  if (!without.has('registry') && !without.has('containerd')) parts.push('registry');
  return parts;
}

/** Runs ensure-node-deps.sh, passing its messages on; resolves to its exit code and its last message. */
function ensureNodeDeps(args: string[]): Promise<{ code: number | null; last: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(ROOT, 'scripts', 'ensure-node-deps.sh'), '--log-dir', LOG_DIR, ...args], { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      process.stderr.write(d);
      err = (err + d).slice(-64_000);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, last: err.split('\n').filter(Boolean).slice(-6).join('\n') }));
  });
}

export default async function setup(): Promise<void> {
  const isRoot = process.getuid?.() === 0;
  const without = excludedParts(); // throws on a name it does not know
  if (without.size) console.error(`[test-setup] SKIFF_TESTS_WITHOUT=${[...without].join(',')}: those tests are skipped`);
  const parts = nodeParts(without);

  if (!isRoot) {
    const r = await ensureNodeDeps(['--check', ...parts]);
    if (r.code !== 0) console.error('[test-setup] not root, not installing or starting anything: the tests that need it will fail');
    if (!existsSync(KUBECTL_120)) console.error(`[test-setup] missing kubectl 1.20 (${KUBECTL_120}; apt-get download kubernetes-client, dpkg-deb -x)`);
  } else {
    const r = await ensureNodeDeps(parts);
    if (r.code !== 0) throw new Error(`[test-setup] the test machine is not ready (scripts/ensure-node-deps.sh ${parts.join(' ')}, logs in ${LOG_DIR}):\n${r.last}`);
    if (!existsSync(KUBECTL_120)) unpackKubectl120();
    if (!existsSync(KUBECTL_120)) throw new Error(`[test-setup] could not unpack Debian's kubectl 1.20 into ${KUBECTL_120_DIR} (see the messages above)`);
  }

  // end-to-end tests drive the real binary: bundle it (esbuild, well under a second)
  const b = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
  // a broken build fails the tests that drive the binary (they need SKIFF_BIN), not every test
  if (b.status === 0) process.env.SKIFF_BIN = join(ROOT, 'dist', 'skiff.mjs');
  else console.error('[test-setup] building dist/skiff.mjs failed: end-to-end tests will fail');

  if (!process.env.SKIFF_KUBECTL_120 && existsSync(KUBECTL_120)) process.env.SKIFF_KUBECTL_120 = KUBECTL_120;
  if (!process.env.SKIFF_KUBECTL_132 && existsSync(KUBECTL_132)) process.env.SKIFF_KUBECTL_132 = KUBECTL_132;
  // testcontainers as it works on these machines (ARCHITECTURE.md): no Ryuk sidecar (its image
  // cannot be pulled), published ports on loopback
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
}
