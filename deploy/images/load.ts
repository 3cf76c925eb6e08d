// Getting image tarballs into containerd (`ctr images import`) and the Docker engine (`docker load`),
// and telling whether either is reachable.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CONTAINERD_SOCKET = '/run/containerd/containerd.sock';

function run(cmd: string, args: string[], timeoutMs = 300_000): { ok: boolean; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  if (r.error) return { ok: false, out: '', err: r.error.message };
  return { ok: r.status === 0, out: r.stdout, err: r.stderr || `exit ${r.status}` };
}

/** Why containerd cannot be used here (not root, no ctr, no server), or null when it can. */
export function containerdUnavailable(address = CONTAINERD_SOCKET): string | null {
  if (process.getuid?.() !== 0) return 'not root (containerd and its socket need root)';
  if (!existsSync(address)) return `no containerd socket at ${address}`;
  const r = run('ctr', ['--address', address, '--connect-timeout', '3s', '--timeout', '5s', 'version'], 10_000);
  if (!r.ok) return `ctr version failed: ${r.err.trim().split('\n').pop()}`;
  if (!/Server:\s*\n\s*Version:/.test(r.out)) return `no containerd server answers on ${address}`;
  return null;
}

/** Why the Docker engine cannot be used here, or null when it can. */
export function dockerUnavailable(): string | null {
  const r = run('docker', ['info', '--format', '{{.ServerVersion}}'], 15_000);
  return r.ok ? null : `docker info failed: ${r.err.trim().split('\n').pop()}`;
}

/** `ctr -n <namespace> images import <tar>`; returns ctr's output, throws on failure. */
export function ctrImport(tar: string, opts: { namespace?: string; address?: string } = {}): string {
  const r = run('ctr', ['--address', opts.address ?? CONTAINERD_SOCKET, '-n', opts.namespace ?? 'k8s.io', 'images', 'import', tar]);
  if (!r.ok) throw new Error(`ctr images import ${tar}: ${r.err.trim()}`);
  return r.out;
}

/** `docker load -i <tar>`; returns docker's output, throws on failure. */
export function dockerLoad(tar: string): string {
  const r = run('docker', ['load', '-i', tar]);
  if (!r.ok) throw new Error(`docker load -i ${tar}: ${r.err.trim()}`);
  return r.out;
}
