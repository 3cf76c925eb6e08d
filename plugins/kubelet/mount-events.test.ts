import { describe, expect, it } from 'vitest';
import { MountEvents } from './mount-events.ts';
import { VolumeError } from './pod-config/errors.ts';
import type { PodEvent } from './pod-config/types.ts';

describe('MountEvents', () => {
  it('records FailedMount for a failing volume again only after a doubling back-off, and afresh once it worked', () => {
    let t = 0;
    const m = new MountEvents(() => t);
    const got: PodEvent[] = [];
    const err = new VolumeError('cfg', 'MountVolume.SetUp failed for volume "cfg" : configmap "x" not found');
    const at = (ms: number) => {
      t = ms;
      m.setUp('u1', [err], [], (e) => got.push(e));
      return got.length;
    };
    expect(at(0)).toBe(1);
    expect(got[0]).toEqual({ type: 'Warning', reason: 'FailedMount', message: err.message });
    expect(at(100)).toBe(1); // within 0.5 s
    expect(at(600)).toBe(2); // then 1 s
    expect(at(1_500)).toBe(2);
    expect(at(1_600)).toBe(3); // then 2 s
    for (let s = 2; s < 1_000; s++) at(s * 1000);
    // capped at 2 m 2 s: about one per 122 s in the long run
    const n = got.length;
    expect(at(1_000_000 + 121_000)).toBe(n + 1);
    expect(at(1_000_000 + 200_000)).toBe(n + 1);
    expect(at(1_000_000 + 243_001)).toBe(n + 2);
    // worked once: the next failure is said at once
    m.setUp('u1', [], ['cfg'], (e) => got.push(e));
    expect(at(1_000_000 + 243_002)).toBe(n + 3);
    // other pods and volumes have their own
    m.setUp('u2', [err], [], (e) => got.push(e));
    expect(got).toHaveLength(n + 4);
  });

  it('passes VolumeSourceSkipped once per pod, other events always, and never setUpPodVolumes\' own FailedMount', () => {
    const m = new MountEvents();
    const got: PodEvent[] = [];
    const r = m.recorderFor('u1', (e) => got.push(e));
    const skipped: PodEvent = { type: 'Warning', reason: 'VolumeSourceSkipped', message: 'volume "p": serviceAccountToken projection (token) is not supported: left out' };
    r(skipped);
    r(skipped);
    r({ type: 'Warning', reason: 'FailedMount', message: 'x' });
    r({ type: 'Warning', reason: 'Other', message: 'y' });
    r({ type: 'Warning', reason: 'Other', message: 'y' });
    expect(got.map((e) => e.reason)).toEqual(['VolumeSourceSkipped', 'Other', 'Other']);
    m.forget('u1');
    r(skipped);
    expect(got).toHaveLength(4);
  });
});
