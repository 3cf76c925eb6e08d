// DaemonSet status, as kube's updateDaemonSetStatus / storeDaemonSetStatus: per node that should run a
// pod, whether it has one, and whether its oldest is ready, available and made from the current
// revision; pods on nodes that should not run one are misscheduled. Written through the status
// subresource only when something changed, observedGeneration never going back.
import { DAEMON_SETS, isPodAvailable, isPodReady, type DaemonSet, type DaemonSetStatus, type Node } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import { byCreationAndPhase, type NodeToPods } from './manage.ts';
import { isPodUpdated, templateGenerationOrUndefined } from './pod-template.ts';
import { nodeShouldRunDaemonPod } from './predicates.ts';

export interface DaemonSetCounts {
  desiredNumberScheduled: number;
  currentNumberScheduled: number;
  numberMisscheduled: number;
  numberReady: number;
  updatedNumberScheduled: number;
  numberAvailable: number;
  numberUnavailable: number;
}

const COUNT_FIELDS = [
  'desiredNumberScheduled', 'currentNumberScheduled', 'numberMisscheduled', 'numberReady',
  'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable',
] as const;

export function computeCounts(ds: DaemonSet, nodes: readonly Node[], byNode: NodeToPods, hash: string, now: number): DaemonSetCounts {
  const c: DaemonSetCounts = {
    desiredNumberScheduled: 0, currentNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0,
    updatedNumberScheduled: 0, numberAvailable: 0, numberUnavailable: 0,
  };
  const generation = templateGenerationOrUndefined(ds);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  for (const node of nodes) {
    const pods = byNode.get(node.metadata.name!);
    const scheduled = (pods?.length ?? 0) > 0;
    if (!nodeShouldRunDaemonPod(node, ds).shouldRun) {
      if (scheduled) c.numberMisscheduled++;
      continue;
    }
    c.desiredNumberScheduled++;
    if (!scheduled) continue;
    c.currentNumberScheduled++;
    const pod = pods!.length === 1 ? pods![0] : [...pods!].sort(byCreationAndPhase)[0];
    if (isPodReady(pod)) {
      c.numberReady++;
      if (isPodAvailable(pod, minReady, now)) c.numberAvailable++;
    }
    if (isPodUpdated(pod, hash, generation)) c.updatedNumberScheduled++;
  }
  c.numberUnavailable = c.desiredNumberScheduled - c.numberAvailable;
  return c;
}

/** Nothing to write: the counts are the same and observedGeneration is current. */
export function statusUpToDate(ds: DaemonSet, c: DaemonSetCounts): boolean {
  const st = (ds.status ?? {}) as Partial<DaemonSetStatus>;
  for (const f of COUNT_FIELDS) if ((st[f] ?? 0) !== c[f]) return false;
  return (st.observedGeneration ?? 0) >= (ds.metadata.generation ?? 0);
}

/** StatusUpdateRetries: one retry on a fresh read after a failed write. */
const RETRIES = 1;

/** Write the counts (and observedGeneration when `observe`), unless nothing would change. */
export async function storeStatus(kernel: Kernel, ds: DaemonSet, c: DaemonSetCounts, observe: boolean): Promise<boolean> {
  if (statusUpToDate(ds, c)) return false;
  let target: DaemonSet = ds;
  for (let i = 0; ; i++) {
    const status: DaemonSetStatus = { ...(target.status ?? {}), ...c } as DaemonSetStatus;
    if (observe) status.observedGeneration = Math.max(target.status?.observedGeneration ?? 0, ds.metadata.generation ?? 0);
    try {
      await kernel.update(DAEMON_SETS, { ...target, status }, { subresource: 'status' });
      return true;
    } catch (e) {
      if (i >= RETRIES) throw e;
      const fresh = (await kernel.get(DAEMON_SETS, ds.metadata.namespace, ds.metadata.name!)) as DaemonSet;
      if (fresh.metadata.uid !== ds.metadata.uid) return false;
      target = fresh;
    }
  }
}
