// syncNodes, as kube's: create daemon pods on the given nodes (slow start: batches of 1, 2, 4, ...; a
// batch with a failure stops the rest) and delete the given pods, at most burstReplicas of each per
// sync, with expectations set first so that the next sync waits until the informer has seen them.
// Events as kube's pod control records them: SuccessfulCreate / FailedCreate, SuccessfulDelete /
// FailedDelete.
import { PODS, isNotFound, type DaemonSet, type OwnerReference, type Pod } from '@skiff/api';
import { aggregateErrors, slowStartBatch, type EventRecorder, type Expectations } from '@skiff/client';
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
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
/** the API server's cause when a namespace is being torn down: creates there are expected to fail */
const namespaceTerminating = (e: unknown) =>
  ((e as { status?: { details?: { causes?: { type?: string }[] } } }).status?.details?.causes ?? []).some((c) => c.type === 'NamespaceTerminating') ||
  /because it is being terminated/.test(message(e));

export async function syncNodes(ctx: SyncNodesContext, deletes: readonly DeleteItem[], nodesNeedingPods: readonly string[]): Promise<void> {
  const { kernel, recorder, expectations, key, ds } = ctx;
  const burst = ctx.burstReplicas ?? BURST_REPLICAS;
  const createDiff = Math.min(nodesNeedingPods.length, burst);
  const toDelete = deletes.slice(0, burst);
  expectations.expect(key, createDiff, toDelete.map((d) => podKey(d.pod)));
  const errors: unknown[] = [];

  const template = createPodTemplate(ds.spec!.template, templateGenerationOrUndefined(ds), ctx.hash);
  const create = async (i: number) => {
    const pod = podForNode(template, ds, ctx.controllerRef, nodesNeedingPods[i]);
    try {
      const made = await kernel.create(PODS, pod);
      recorder.record(ds, { type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: ${made.metadata.name}` });
    } catch (e) {
      // all later creates would fail the same way: nothing to report
      if (namespaceTerminating(e)) return;
      recorder.record(ds, { type: 'Warning', reason: 'FailedCreate', message: `Error creating: ${message(e)}` });
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
      const name = pod.metadata.name!;
      try {
        await kernel.delete(PODS, pod.metadata.namespace, name, gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds });
        recorder.record(ds, { type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted pod: ${name}` });
      } catch (e) {
        expectations.deletionObserved(key, podKey(pod));
        if (isNotFound(e)) return;
        recorder.record(ds, { type: 'Warning', reason: 'FailedDelete', message: `Error deleting: ${message(e)}` });
        errors.push(e);
      }
    }),
  );
  const err = aggregateErrors(errors);
  if (err) throw err;
}
