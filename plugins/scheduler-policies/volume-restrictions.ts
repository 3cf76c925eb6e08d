// VolumeRestrictions, as kube-scheduler's plugin of that name for ReadWriteOncePod: a claim with
// that access mode serves one pod in the whole cluster; a second pod using it is unschedulable.
import { ephemeralClaimName, type PersistentVolumeClaim, type Pod } from '@skiff/api';
import type { PolicyStatus, SchedulerPolicy } from '@skiff/plugin-scheduler/framework';
import type { VolumeListers } from './volume-listers.ts';

export const VOLUME_RESTRICTIONS = 'VolumeRestrictions';
export const ERR_REASON_RWOP_CONFLICT = 'node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode';

const claimNames = (pod: Pod) =>
  (pod.spec?.volumes ?? []).map((v) => v.persistentVolumeClaim?.claimName ?? (v.ephemeral ? ephemeralClaimName(pod.metadata.name ?? '', v.name) : undefined)).filter((n): n is string => !!n);

export function volumeRestrictions(l: VolumeListers): SchedulerPolicy {
  return {
    name: VOLUME_RESTRICTIONS,
    events: ['PodDelete', 'StorageChange'],
    preFilter(_state, p, snapshot) {
      const pod = p.pod as Pod;
      const names = claimNames(pod);
      if (names.length === 0) return { status: { code: 'Skip' } };
      const rwop = new Set<string>();
      for (const n of names) {
        const c = l.claims.get(p.namespace, n) as PersistentVolumeClaim | undefined;
        if (!c) return { status: { code: 'UnschedulableAndUnresolvable', reasons: [`persistentvolumeclaim "${n}" not found`] } };
        if (c.spec?.accessModes?.includes('ReadWriteOncePod')) rwop.add(n);
      }
      if (rwop.size === 0) return { status: { code: 'Skip' } };
      // any other pod (placed or assumed, anywhere) that uses one of them
      for (const node of snapshot.nodes()) {
        for (const other of node.pods) {
          if (other.uid === p.uid || other.namespace !== p.namespace) continue;
          if (claimNames(other.pod as Pod).some((n) => rwop.has(n))) {
            const s: PolicyStatus = { code: 'Unschedulable', reasons: [ERR_REASON_RWOP_CONFLICT] };
            return { status: s };
          }
        }
      }
      return { status: { code: 'Skip' } };
    },
  };
}
