// Which pods an owner controls, as kube's PodControllerRefManager.ClaimPods: its own pods that its
// selector still matches; orphans the selector matches are adopted (a controller reference patched
// on, unless the owner is being deleted — checked against a fresh read, as RecheckDeletionTimestamp
// does); its pods the selector no longer matches are released (the reference removed).
import { getControllerOf, isNotFound, type OwnerReference, type Pod } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import type { LabelMatcher, ReplicaKind, ReplicaOwner } from './kinds.ts';
import type { PodControl } from './pod-control.ts';

export interface ClaimResult {
  claimed: Pod[];
  /** the first adoption or release failure (the claim goes on for the other pods) */
  error?: unknown;
}

/** Claim `pods` (active pods that are the owner's or nobody's) for `owner`. */
export async function claimPods(
  kernel: Kernel,
  kind: ReplicaKind,
  podControl: PodControl,
  owner: ReplicaOwner,
  match: LabelMatcher,
  controllerRef: OwnerReference,
  pods: readonly Pod[],
): Promise<ClaimResult> {
  const uid = owner.metadata.uid!;
  const deleting = !!owner.metadata.deletionTimestamp;
  const claimed: Pod[] = [];
  const toAdopt: Pod[] = [];
  const toRelease: Pod[] = [];
  for (const pod of pods) {
    const ref = getControllerOf(pod);
    if (ref) {
      if (ref.uid !== uid) continue; // someone else's
      if (match(pod.metadata.labels ?? {})) claimed.push(pod);
      else if (!deleting) toRelease.push(pod);
      continue;
    }
    if (deleting || !match(pod.metadata.labels ?? {}) || pod.metadata.deletionTimestamp) continue;
    if (pod.metadata.namespace !== owner.metadata.namespace) continue;
    toAdopt.push(pod);
  }
  if (!toAdopt.length && !toRelease.length) return { claimed };

  let error: unknown;
  const fail = (e: unknown) => void (error ??= e);
  let canAdopt: Promise<void> | undefined;
  const recheck = () =>
    (canAdopt ??= kernel.get(kind.ref, owner.metadata.namespace, owner.metadata.name!).then((fresh) => {
      if (fresh.metadata.uid !== uid) throw new Error(`original ${kind.kind} ${owner.metadata.namespace}/${owner.metadata.name} is gone: got uid ${fresh.metadata.uid}, wanted ${uid}`);
      if (fresh.metadata.deletionTimestamp) throw new Error(`${kind.kind} ${owner.metadata.namespace}/${owner.metadata.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
    }));
  await Promise.all([
    ...toRelease.map((pod) => podControl.release(pod, uid).catch(fail)),
    ...toAdopt.map(async (pod) => {
      try {
        await recheck().catch((e) => {
          throw new Error(`can't adopt Pod ${pod.metadata.namespace}/${pod.metadata.name} (${pod.metadata.uid}): ${e instanceof Error ? e.message : String(e)}`);
        });
        await podControl.adopt(pod, controllerRef);
        claimed.push(pod);
      } catch (e) {
        if (!isNotFound(e)) fail(e);
      }
    }),
  ]);
  return { claimed, error };
}
