// kubectl's rollout status viewers: from one Deployment, DaemonSet or StatefulSet, the line to print
// and whether the rollout is done — or an error that ends the wait (a progress deadline exceeded, a
// pinned revision rolled over, a strategy without rollouts).
import type { Obj } from './rollout-targets.ts';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
/** the Progressing condition's reason once a Deployment's progressDeadlineSeconds ran out */
export const TIMED_OUT_REASON = 'ProgressDeadlineExceeded';

export interface RolloutStatus {
  message: string;
  done: boolean;
}

export type StatusViewer = (o: Obj, revision: number) => RolloutStatus;

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** deploymentutil.Revision: the revision annotation as an integer, 0 when absent; throws when it is not one. */
export function revisionOf(o: Obj): number {
  const v = o.metadata?.annotations?.[REVISION_ANNOTATION];
  if (v === undefined) return 0;
  if (!/^[+-]?\d+$/.test(v)) throw new Error(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`);
  return Number(v);
}

export function deploymentStatus(d: Obj, revision: number): RolloutStatus {
  const name = d.metadata?.name;
  const spec = d.spec ?? {};
  const st = d.status ?? {};
  if (revision > 0) {
    let current: number;
    try {
      current = revisionOf(d);
    } catch (e) {
      throw new Error(`cannot get the revision of deployment "${name}": ${(e as Error).message}`);
    }
    if (revision !== current) throw new Error(`desired revision (${revision}) is different from the running revision (${current})`);
  }
  if (num(d.metadata?.generation) > num(st.observedGeneration)) return { message: 'Waiting for deployment spec update to be observed...\n', done: false };
  const progressing = (st.conditions ?? []).find((c: Obj) => c.type === 'Progressing');
  if (progressing?.reason === TIMED_OUT_REASON) throw new Error(`deployment "${name}" exceeded its progress deadline`);
  const updated = num(st.updatedReplicas);
  if (typeof spec.replicas === 'number' && updated < spec.replicas) {
    return { message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${spec.replicas} new replicas have been updated...\n`, done: false };
  }
  if (num(st.replicas) > updated) {
    return { message: `Waiting for deployment "${name}" rollout to finish: ${num(st.replicas) - updated} old replicas are pending termination...\n`, done: false };
  }
  if (num(st.availableReplicas) < updated) {
    return { message: `Waiting for deployment "${name}" rollout to finish: ${num(st.availableReplicas)} of ${updated} updated replicas are available...\n`, done: false };
  }
  return { message: `deployment "${name}" successfully rolled out\n`, done: true };
}

export function daemonSetStatus(ds: Obj): RolloutStatus {
  const name = ds.metadata?.name;
  const st = ds.status ?? {};
  // kubectl names the StatefulSet constant here; both are "RollingUpdate"
  if (ds.spec?.updateStrategy?.type !== 'RollingUpdate') throw new Error('rollout status is only available for RollingUpdate strategy type');
  if (num(ds.metadata?.generation) > num(st.observedGeneration)) return { message: 'Waiting for daemon set spec update to be observed...\n', done: false };
  const desired = num(st.desiredNumberScheduled);
  if (num(st.updatedNumberScheduled) < desired) {
    return { message: `Waiting for daemon set "${name}" rollout to finish: ${num(st.updatedNumberScheduled)} out of ${desired} new pods have been updated...\n`, done: false };
  }
  if (num(st.numberAvailable) < desired) {
    return { message: `Waiting for daemon set "${name}" rollout to finish: ${num(st.numberAvailable)} of ${desired} updated pods are available...\n`, done: false };
  }
  return { message: `daemon set "${name}" successfully rolled out\n`, done: true };
}

export function statefulSetStatus(sts: Obj): RolloutStatus {
  const spec = sts.spec ?? {};
  const st = sts.status ?? {};
  const strategy = spec.updateStrategy ?? {};
  if (strategy.type !== 'RollingUpdate') throw new Error('rollout status is only available for RollingUpdate strategy type');
  if (num(st.observedGeneration) === 0 || num(sts.metadata?.generation) > num(st.observedGeneration)) {
    return { message: 'Waiting for statefulset spec update to be observed...\n', done: false };
  }
  const replicas: number | undefined = typeof spec.replicas === 'number' ? spec.replicas : undefined;
  if (replicas !== undefined && num(st.readyReplicas) < replicas) return { message: `Waiting for ${replicas - num(st.readyReplicas)} pods to be ready...\n`, done: false };
  if (strategy.rollingUpdate) {
    const partition = strategy.rollingUpdate.partition;
    if (replicas !== undefined && typeof partition === 'number' && num(st.updatedReplicas) < replicas - partition) {
      return { message: `Waiting for partitioned roll out to finish: ${num(st.updatedReplicas)} out of ${replicas - partition} new pods have been updated...\n`, done: false };
    }
    return { message: `partitioned roll out complete: ${num(st.updatedReplicas)} new pods have been updated...\n`, done: true };
  }
  if (st.updateRevision !== st.currentRevision) {
    return { message: `waiting for statefulset rolling update to complete ${num(st.updatedReplicas)} pods at revision ${st.updateRevision ?? ''}...\n`, done: false };
  }
  return { message: `statefulset rolling update complete ${num(st.currentReplicas)} pods at revision ${st.currentRevision ?? ''}...\n`, done: true };
}

/** `Kind.group` as Go's schema.GroupKind prints itself. */
export const groupKind = (r: { group: string; kind: string }): string => (r.group ? `${r.kind}.${r.group}` : r.kind);

/** The viewer for a resource (apps and the old extensions group), else kubectl's error. */
export function statusViewerFor(r: { group: string; kind: string }): StatusViewer {
  const apps = r.group === 'apps' || r.group === 'extensions';
  if (apps && r.kind === 'Deployment') return deploymentStatus;
  if (apps && r.kind === 'DaemonSet') return (o) => daemonSetStatus(o);
  if (r.group === 'apps' && r.kind === 'StatefulSet') return (o) => statefulSetStatus(o);
  throw new Error(`no status viewer has been implemented for ${groupKind(r)}`);
}
