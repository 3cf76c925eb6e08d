// The update strategy's numbers, as kube's daemon util: maxUnavailable and maxSurge scaled to the
// number of nodes that should run a pod (percentages rounded up); both apply to RollingUpdate only.
import { getScaledValueFromIntOrPercent, type DaemonSet } from '@skiff/api';

export const isRollingUpdate = (ds: DaemonSet) => (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
export const isOnDelete = (ds: DaemonSet) => ds.spec?.updateStrategy?.type === 'OnDelete';

/** util.UnavailableCount: throws on a malformed value. */
export function unavailableCount(ds: DaemonSet, numberToSchedule: number): number {
  const v = ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable;
  if (!isRollingUpdate(ds) || v === undefined || v === null) return 0;
  return getScaledValueFromIntOrPercent(v, numberToSchedule, true);
}

/** util.SurgeCount: throws on a malformed value. */
export function surgeCount(ds: DaemonSet, numberToSchedule: number): number {
  const v = ds.spec?.updateStrategy?.rollingUpdate?.maxSurge;
  if (!isRollingUpdate(ds) || v === undefined || v === null) return 0;
  return getScaledValueFromIntOrPercent(v, numberToSchedule, true);
}

/** util.AllowsSurge: a rolling update that may run a new pod beside an old one on a node. */
export function allowsSurge(ds: DaemonSet): boolean {
  try {
    return surgeCount(ds, 1) !== 0;
  } catch {
    return false;
  }
}
