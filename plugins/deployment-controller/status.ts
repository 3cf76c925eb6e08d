// The Deployment's status from its ReplicaSets' (kube's calculateStatus): counts summed over the
// RSs, the Available condition from maxUnavailable, the other conditions carried over.
import type { Deployment, DeploymentStatus, ReplicaSet } from '@skiff/api';
import { AVAILABLE, MINIMUM_REPLICAS_AVAILABLE, MINIMUM_REPLICAS_UNAVAILABLE, newCondition, setCondition } from './conditions.ts';
import { actualReplicas, availableReplicas, maxUnavailable, readyReplicas, replicasOf, specReplicas } from './replicas.ts';

const COUNTS = ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'] as const;

/** Drop zero counts and empty lists, as Go's omitempty serializes a DeploymentStatus. */
export function compactStatus(s: DeploymentStatus | undefined): DeploymentStatus {
  const out: DeploymentStatus = { ...s };
  for (const k of COUNTS) if (!out[k]) delete out[k];
  if (!out.conditions?.length) delete out.conditions;
  // pointers in kube's type: 0 is written, absent is not
  if (out.collisionCount === undefined || out.collisionCount === null) delete out.collisionCount;
  if (out.terminatingReplicas === undefined || out.terminatingReplicas === null) delete out.terminatingReplicas;
  return out;
}

/** JSON equality, key order aside, undefined members as absent. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ka = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const kb = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => jsonEqual(ao[k], bo[k]));
}

export function statusEqual(a: DeploymentStatus | undefined, b: DeploymentStatus | undefined): boolean {
  return jsonEqual(compactStatus(a), compactStatus(b));
}

/**
 * Pods being deleted, summed over the RSs — unknown (absent) when any RS does not report it (kube's
 * DeploymentReplicaSetTerminatingReplicas, on by default from 1.35 as the ReplicaSet controller's).
 */
function terminatingReplicas(rss: (ReplicaSet | undefined)[]): number | undefined {
  let n = 0;
  for (const rs of rss) {
    if (!rs) continue;
    const t = rs.status?.terminatingReplicas;
    if (t === undefined || t === null) return undefined;
    n += t;
  }
  return n;
}

export function calculateStatus(d: Deployment, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, nowMs = Date.now()): DeploymentStatus {
  const available = availableReplicas(allRSs);
  // more available than wanted happens while scaling down: never negative
  const unavailable = Math.max(0, specReplicas(allRSs) - available);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation,
    replicas: actualReplicas(allRSs),
    updatedReplicas: actualReplicas([newRS]),
    readyReplicas: readyReplicas(allRSs),
    availableReplicas: available,
    unavailableReplicas: unavailable,
    terminatingReplicas: terminatingReplicas(allRSs),
    collisionCount: d.status?.collisionCount,
    conditions: (d.status?.conditions ?? []).map((c) => ({ ...c })),
  };
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(status, newCondition(AVAILABLE, 'True', MINIMUM_REPLICAS_AVAILABLE, 'Deployment has minimum availability.', nowMs));
  } else {
    setCondition(status, newCondition(AVAILABLE, 'False', MINIMUM_REPLICAS_UNAVAILABLE, 'Deployment does not have minimum availability.', nowMs));
  }
  return compactStatus(status);
}
