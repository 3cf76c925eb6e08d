// NodeVolumeLimits, as kube-scheduler's CSI limits: a node's CSINode says how many volumes of each
// driver it can take (`drivers[].allocatable.count`); the volumes of the pods on it (each counted
// once) plus the new pod's must fit.
import { claimClassName, ephemeralClaimName, type PersistentVolumeClaim, type Pod } from '@skiff/api';
import type { NodeInfo, SchedulerPolicy } from '@skiff/plugin-scheduler/framework';
import { SUCCESS } from '@skiff/plugin-scheduler/framework';
import type { VolumeListers } from './volume-listers.ts';

export const NODE_VOLUME_LIMITS = 'NodeVolumeLimits';
export const ERR_REASON_MAX_VOLUME_COUNT = 'node(s) exceed max volume count';

/** The pod's CSI volumes: driver -> unique volume ids (handles, or the claim for one not yet bound). */
export function csiVolumesOf(pod: Pod, l: VolumeListers): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (driver: string, id: string) => {
    let s = out.get(driver);
    if (!s) out.set(driver, (s = new Set()));
    s.add(id);
  };
  const ns = pod.metadata.namespace ?? 'default';
  for (const v of pod.spec?.volumes ?? []) {
    if (v.csi?.driver) {
      add(v.csi.driver, `inline/${ns}/${pod.metadata.name}/${v.name}`);
      continue;
    }
    const claimName = v.persistentVolumeClaim?.claimName ?? (v.ephemeral ? ephemeralClaimName(pod.metadata.name ?? '', v.name) : undefined);
    if (!claimName) continue;
    const claim = l.claims.get(ns, claimName) as PersistentVolumeClaim | undefined;
    if (!claim) continue;
    const pv = claim.spec?.volumeName ? l.volumes.get(undefined, claim.spec.volumeName) : undefined;
    if (pv?.spec?.csi) add(pv.spec.csi.driver, pv.spec.csi.volumeHandle);
    else if (!pv) {
      const cls = l.classes.get(undefined, claimClassName(claim));
      if (cls) add(cls.provisioner, `claim/${ns}/${claimName}`);
    }
  }
  return out;
}

export function nodeVolumeLimits(l: VolumeListers): SchedulerPolicy {
  const KEY = 'PreFilter' + NODE_VOLUME_LIMITS;
  return {
    name: NODE_VOLUME_LIMITS,
    events: ['PodDelete', 'NodeAdd', 'NodeUpdate', 'StorageChange'],
    preFilter(state, p) {
      const vols = csiVolumesOf(p.pod as Pod, l);
      if (vols.size === 0) return { status: { code: 'Skip' } };
      state.write(KEY, vols);
    },
    filter(state, p, node: NodeInfo) {
      const vols = state.read<Map<string, Set<string>>>(KEY);
      if (!vols) return SUCCESS;
      const csiNode = l.csiNodes.get(undefined, node.name);
      for (const [driver, ids] of vols) {
        const limit = csiNode?.spec?.drivers?.find((d) => d.name === driver)?.allocatable?.count;
        if (limit === undefined || limit === null) continue;
        const used = new Set<string>();
        for (const other of node.pods) for (const id of csiVolumesOf(other.pod as Pod, l).get(driver) ?? []) used.add(id);
        let total = used.size;
        for (const id of ids) if (!used.has(id)) total++;
        if (total > limit) return { code: 'Unschedulable', reasons: [ERR_REASON_MAX_VOLUME_COUNT] };
      }
      return SUCCESS;
    },
  };
}
