// The pod failure back-off (kube's backoff_utils.go): after n failures since the last success a
// Job waits base * 2^(n-1) (capped) from the last failure before it creates a replacement pod.
// Records live in memory per Job key, like kube's backoffStore.
import type { Pod } from '@skiff/api';
import { finishedTime } from './pods.ts';

export interface BackoffRecord {
  key: string;
  failuresAfterLastSuccess: number;
  /** epoch ms of the last failure counted */
  lastFailureTime?: number;
}

/** How long to wait still (ms) after `failures` failures, the last at `lastFailure`. */
export function remainingBackoff(failures: number, lastFailure: number | undefined, now: number, baseMs: number, maxMs: number): number {
  if (failures === 0 || lastFailure === undefined) return 0;
  let backoff = baseMs;
  for (let i = 1; i < failures; i++) {
    backoff *= 2;
    if (backoff >= maxMs) {
      backoff = maxMs;
      break;
    }
  }
  const elapsed = now - lastFailure;
  return backoff < elapsed ? 0 : backoff - elapsed;
}

export class BackoffStore {
  private readonly records = new Map<string, BackoffRecord>();

  get(key: string): BackoffRecord | undefined {
    return this.records.get(key);
  }

  /** The record after the newly finished pods: a success resets it; failures after the last success count. */
  next(key: string, newSucceeded: Pod[], newFailed: Pod[]): BackoffRecord {
    const old = this.records.get(key);
    const rec: BackoffRecord = { key, failuresAfterLastSuccess: old?.failuresAfterLastSuccess ?? 0, lastFailureTime: old?.lastFailureTime };
    const failedTimes = newFailed.map(finishedTime).sort((a, b) => a - b);
    if (newSucceeded.length === 0) {
      if (failedTimes.length === 0) return rec;
      rec.failuresAfterLastSuccess += failedTimes.length;
      rec.lastFailureTime = failedTimes[failedTimes.length - 1];
      return rec;
    }
    rec.failuresAfterLastSuccess = 0;
    rec.lastFailureTime = undefined;
    const lastSuccess = Math.max(...newSucceeded.map(finishedTime));
    for (let i = failedTimes.length - 1; i >= 0 && failedTimes[i] > lastSuccess; i--) {
      rec.lastFailureTime ??= failedTimes[i];
      rec.failuresAfterLastSuccess++;
    }
    return rec;
  }

  update(rec: BackoffRecord): void {
    this.records.set(rec.key, rec);
  }

  remove(key: string): void {
    this.records.delete(key);
  }
}
