// TaintToleration: Filter rejects nodes with a NoSchedule / NoExecute taint the pod does not
// tolerate; Score counts the PreferNoSchedule taints it does not tolerate (fewer is better).
import type { NodeScore, SchedulerPolicy, Taint } from '@skiff/plugin-scheduler/framework';
import { SUCCESS } from '@skiff/plugin-scheduler/framework';
import { defaultNormalizeScore } from './normalize.ts';
import { policyPlugin, type BaseConfig } from './plugin-kit.ts';
import { firstUntoleratedHardTaint, tolerationsOf, tolerationsTolerate, type Toleration } from './pod-spec.ts';

export const TAINT_TOLERATION = 'TaintToleration';

export function untoleratedTaintReason(t: Taint): string {
  return `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`;
}

const PRE_SCORE_KEY = 'PreScore' + TAINT_TOLERATION;

/** Tolerations that can tolerate PreferNoSchedule taints (effect empty or PreferNoSchedule). */
function preferNoScheduleTolerations(ts: readonly Toleration[]): readonly Toleration[] {
  return ts.filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
}

export function taintToleration(): SchedulerPolicy {
  return {
    name: TAINT_TOLERATION,
    events: ['NodeAdd', 'NodeUpdate', 'PodUpdate'],
    filter(_state, pod, node) {
      if (node.taints.length === 0) return SUCCESS;
      const taint = firstUntoleratedHardTaint(node.taints, tolerationsOf(pod));
      if (!taint) return SUCCESS;
      return { code: 'UnschedulableAndUnresolvable', reasons: [untoleratedTaintReason(taint)] };
    },
    preScore(state, pod) {
      state.write(PRE_SCORE_KEY, preferNoScheduleTolerations(tolerationsOf(pod)));
    },
    score(state, pod, node) {
      const ts = state.read<readonly Toleration[]>(PRE_SCORE_KEY) ?? preferNoScheduleTolerations(tolerationsOf(pod));
      let count = 0;
      for (const taint of node.taints) {
        if (taint.effect === 'PreferNoSchedule' && !tolerationsTolerate(ts, taint)) count++;
      }
      return count;
    },
    normalizeScore(_state, _pod, scores: NodeScore[]) {
      defaultNormalizeScore(scores, true);
    },
  };
}

export const taintTolerationPlugin = policyPlugin<BaseConfig>({
  name: 'taint-toleration',
  weight: 3,
  create: () => taintToleration(),
});
