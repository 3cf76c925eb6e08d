// Facts about the runtime that only its verbose Status tells: containerd puts its CRI plugin config,
// as JSON, in info["config"]. The agent needs the sandbox (pause) image, which must be present
// locally where nothing can be pulled, and the cgroup driver, which its own cgroup layout must match.
import { readFileSync } from 'node:fs';
import type { StatusResponse } from '@skiff/node-api';

/** containerd's CRI config as JSON (the fields read here; other runtimes send other things). */
interface ContainerdCriConfig {
  sandboxImage?: string;
  restrictOOMScoreAdj?: boolean;
  systemdCgroup?: boolean;
  containerd?: {
    defaultRuntimeName?: string;
    runtimes?: Record<string, { options?: { SystemdCgroup?: boolean } }>;
  };
}

function criConfig(status: StatusResponse): ContainerdCriConfig | undefined {
  const raw = status.info?.config;
  if (!raw) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed !== null && typeof parsed === 'object' ? (parsed as ContainerdCriConfig) : undefined;
  } catch {
    return undefined;
  }
}

/** The image containerd runs as every pod's sandbox (e.g. "registry.k8s.io/pause:3.6"), from a verbose Status. */
export function sandboxImageOf(status: StatusResponse): string | undefined {
  return criConfig(status)?.sandboxImage || undefined;
}

/** "systemd" or "cgroupfs" (what cgroup_parent values the runtime expects), from a verbose Status. */
export function cgroupDriverOf(status: StatusResponse): 'systemd' | 'cgroupfs' | undefined {
  const cfg = criConfig(status);
  if (!cfg) return undefined;
  const runtime = cfg.containerd?.runtimes?.[cfg.containerd.defaultRuntimeName ?? 'runc'];
  return runtime?.options?.SystemdCgroup || cfg.systemdCgroup ? 'systemd' : 'cgroupfs';
}

const CAP_SYS_RESOURCE = 24;

/** Whether this process may lower oom_score_adj (CAP_SYS_RESOURCE in its effective set); undefined off Linux. */
export function canLowerOomScoreAdj(procStatus = '/proc/self/status'): boolean | undefined {
  try {
    const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync(procStatus, 'utf8'))?.[1];
    return hex === undefined ? undefined : ((BigInt(`0x${hex}`) >> BigInt(CAP_SYS_RESOURCE)) & 1n) === 1n;
  } catch {
    return undefined;
  }
}

/**
 * Why every RunPodSandbox will fail on this host, if it will: containerd gives sandboxes an
 * oom_score_adj of -998, which needs CAP_SYS_RESOURCE, unless its config says
 * restrict_oom_score_adj (then it clamps to its own). runc reports only "can't get final child's
 * PID from pipe: EOF". Assumes containerd runs with this process's capabilities (same host, root).
 */
export function sandboxOomProblem(status: StatusResponse, canLower = canLowerOomScoreAdj()): string | undefined {
  const cfg = criConfig(status);
  if (!cfg || cfg.restrictOOMScoreAdj || canLower !== false) return undefined;
  return 'containerd sets oom_score_adj -998 on sandboxes, which needs CAP_SYS_RESOURCE, absent here: ' +
    'set restrict_oom_score_adj = true under [plugins."io.containerd.grpc.v1.cri"] in its config';
}
