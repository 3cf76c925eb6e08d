// syncNodes, as kube's: create daemon pods on the given nodes (slow start: batches of 1, 2, 4, ...; a
// batch with a failure stops the rest) and delete the given pods, at most burstReplicas of each per
// sync, with expectations set first so that the next sync waits until the informer has seen them.
// Events as kube's pod control records them: SuccessfulCreate / FailedCreate, SuccessfulDelete /
// FailedDelete.
import { isNotFound, type DaemonSet, type OwnerReference, type Pod } from '@skiff/api';
import { aggregateErrors, isNamespaceTerminating, PodControl, slowStartBatch, type EventRecorder, type Expectations } from '@skiff/client';
import type { Kernel } from '@skiff/kernel';
import type { DeleteItem } from './manage.ts';
import { createPodTemplate, podForNode, templateGenerationOrUndefined } from './pod-template.ts';

/** BurstReplicas */
export const BURST_REPLICAS = 250;

export interface SyncNodesContext {
  kernel: Kernel;
  recorder: EventRecorder;
  expectations: Expectations;
  key: string;
  ds: DaemonSet;
  controllerRef: OwnerReference;
  hash: string;
  burstReplicas?: number;
}

const podKey = (p: Pod) => `${p.metadata.namespace}/${p.metadata.name}`;

export async function syncNodes(ctx: SyncNodesContext, deletes: readonly DeleteItem[], nodesNeedingPods: readonly string[]): Promise<void> {
  const { kernel, recorder, expectations, key, ds } = ctx;
  const burst = ctx.burstReplicas ?? BURST_REPLICAS;
  const createDiff = Math.min(nodesNeedingPods.length, burst);
  const toDelete = deletes.slice(0, burst);
  expectations.expect(key, createDiff, toDelete.map((d) => podKey(d.pod)));
  const errors: unknown[] = [];

  const template = createPodTemplate(ds.spec!.template, templateGenerationOrUndefined(ds), ctx.hash);
  const podControl = new PodControl(kernel, recorder);
  const create = async (i: number) => {
    try {
      await podControl.create(ds, podForNode(template, ds, ctx.controllerRef, nodesNeedingPods[i]));
    } catch (e) {
      // all later creates would fail the same way: nothing to report
      if (isNamespaceTerminating(e)) return;
      expectations.creationObserved(key);
      throw e;
    }
  };
  const created = await slowStartBatch(createDiff, create);
  errors.push(...created.errors);
  // the rest are not tried now: the next sync starts slowly again
  if (created.skipped > 0) expectations.lowerCreations(key, created.skipped);

  await Promise.all(
    toDelete.map(async ({ pod, gracePeriodSeconds }) => {
      try {
        await podControl.deletePod(ds, pod.metadata.namespace!, pod.metadata.name!, gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds });
      } catch (e) {
        expectations.deletionObserved(key, podKey(pod));
        if (!isNotFound(e)) errors.push(e);
      }
    }),
  );
  const err = aggregateErrors(errors);
  if (err) throw err;
}
