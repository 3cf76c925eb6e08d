// How often volume Events reach a pod, paced as kubelet's volume manager paces its retries: a
// volume that keeps failing gets FailedMount again only after an exponential back-off (0.5 s,
// doubling, up to 2 m 2 s: kube's operation back-off), so a pod retried every few seconds does not
// use up its Event budget (the recorder's spam filter) on one message; VolumeSourceSkipped (a part
// of a volume this node leaves out) is said once per pod.
import type { VolumeError } from './pod-config/errors.ts';
import type { EventRecorder } from './pod-config/types.ts';

const INITIAL_MS = 500;
const MAX_MS = 122_000;

export class MountEvents {
  private readonly failing = new Map<string, { delayMs: number; nextAt: number }>();
  private readonly skipped = new Set<string>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** The recorder for setting up `uid`'s volumes: FailedMount is left to failed(); VolumeSourceSkipped goes once. */
  recorderFor(uid: string, recorder: EventRecorder | undefined): EventRecorder {
    return (e) => {
      if (e.reason === 'FailedMount') return;
      if (e.reason === 'VolumeSourceSkipped') {
        const key = `${uid}\0${e.message}`;
        if (this.skipped.has(key)) return;
        this.skipped.add(key);
      }
      recorder?.(e);
    };
  }

  /** After a set-up of `uid`'s volumes: FailedMount for each failed volume whose back-off is over; the others start afresh. */
  setUp(uid: string, errors: readonly VolumeError[], ok: Iterable<string>, recorder: EventRecorder | undefined): void {
    const t = this.clock();
    for (const name of ok) this.failing.delete(`${uid}/${name}`);
    for (const e of errors) {
      const key = `${uid}/${e.volume}`;
      const f = this.failing.get(key);
      if (f && t < f.nextAt) continue;
      const delayMs = f ? Math.min(f.delayMs * 2, MAX_MS) : INITIAL_MS;
      this.failing.set(key, { delayMs, nextAt: t + delayMs });
      recorder?.({ type: 'Warning', reason: 'FailedMount', message: e.message });
    }
  }

  /** The pod is gone. */
  forget(uid: string): void {
    for (const k of this.failing.keys()) if (k.startsWith(`${uid}/`)) this.failing.delete(k);
    for (const k of this.skipped) if (k.startsWith(`${uid}\0`)) this.skipped.delete(k);
  }
}
