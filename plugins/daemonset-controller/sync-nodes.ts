// syncNodes, as kube's: create daemon pods on the given nodes (slow start: batches of 1, 2, 4, ...; a
// batch with a failure stops the rest) and delete the given pods, at most burstReplicas of each per
// sync, with expectations set first so that the next sync waits until the informer has seen them.
// Events as kube's pod control records them: SuccessfulCreate / FailedCreate, SuccessfulDelete /
// FailedDelete.
import { PODS, isNotFound, type DaemonSet, type OwnerReference, type Pod } from '@skiff/api';
import type { EventRecorder, Expectations } from '@skiff/client';
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
  const create = async (node: string) => {
    const pod = podForNode(template, ds, ctx.controllerRef, node);
    try {
      const made = await kernel.create(PODS, pod);
      recorder.record(ds, { type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: ${made.metadata.name}` });
    } catch (e) {
      if (namespaceTerminating(e)) return;
      recorder.record(ds, { type: 'Warning', reason: 'FailedCreate', message: `Error creating: ${message(e)}` });
      expectations.creationObserved(key);
      errors.push(e);
    }
  };
  for (let pos = 0, batch = Math.min(createDiff, 1); pos < createDiff; pos += batch, batch = Math.min(2 * batch, createDiff - pos)) {
    const before = errors.length;
    await Promise.all(nodesNeedingPods.slice(pos, pos + batch).map(create));
    const skipped = createDiff - (pos + batch);
    if (errors.length > before && skipped > 0) {
      // the rest are not tried now: the next sync starts slowly again
      expectations.lowerCreations(key, skipped);
      break;
    }
  }

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
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, errors.map(message).join('; '));
}
