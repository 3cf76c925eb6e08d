import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canLowerOomScoreAdj, cgroupDriverOf, sandboxImageOf, sandboxOomProblem } from './runtime-info.ts';
import type { StatusResponse } from '@skiff/node-api';

const status = (config?: object): StatusResponse => ({ status: null, runtimeHandlers: [], info: config ? { config: JSON.stringify(config) } : {} });

// the shape containerd 1.6 sends in info["config"] (abridged)
const containerd16 = {
  containerd: { snapshotter: 'overlayfs', defaultRuntimeName: 'runc', runtimes: { runc: { runtimeType: 'io.containerd.runc.v2', options: { SystemdCgroup: false } } } },
  sandboxImage: 'registry.k8s.io/pause:3.6',
  systemdCgroup: false,
  restrictOOMScoreAdj: false,
};

describe('runtime facts from a verbose Status', () => {
  it('reads the sandbox image and the cgroup driver', () => {
    expect(sandboxImageOf(status(containerd16))).toBe('registry.k8s.io/pause:3.6');
    expect(cgroupDriverOf(status(containerd16))).toBe('cgroupfs');
    const systemd = { ...containerd16, containerd: { ...containerd16.containerd, runtimes: { runc: { options: { SystemdCgroup: true } } } } };
    expect(cgroupDriverOf(status(systemd))).toBe('systemd');
  });

  it('says nothing without a (JSON) config', () => {
    expect(sandboxImageOf(status())).toBeUndefined();
    expect(cgroupDriverOf(status())).toBeUndefined();
    expect(sandboxImageOf({ ...status(), info: { config: 'not json' } })).toBeUndefined();
    expect(sandboxOomProblem(status(), false)).toBeUndefined();
  });

  it('predicts failing sandboxes without CAP_SYS_RESOURCE unless oom_score_adj is restricted', () => {
    expect(sandboxOomProblem(status(containerd16), false)).toMatch(/restrict_oom_score_adj = true/);
    expect(sandboxOomProblem(status(containerd16), true)).toBeUndefined();
    expect(sandboxOomProblem(status({ ...containerd16, restrictOOMScoreAdj: true }), false)).toBeUndefined();
  });

  it('reads CAP_SYS_RESOURCE (bit 24) from a /proc status file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-caps-'));
    const file = (capEff: string) => {
      const f = join(dir, capEff);
      writeFileSync(f, `Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t${capEff}\n`);
      return f;
    };
    expect(canLowerOomScoreAdj(file('000001ffffffffff'))).toBe(true);
    expect(canLowerOomScoreAdj(file('000001fffeffffff'))).toBe(false);
    expect(canLowerOomScoreAdj(join(dir, 'absent'))).toBeUndefined();
  });
});
