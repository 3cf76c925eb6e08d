// TaintToleration: Filter rejects nodes with a NoSchedule / NoExecute taint the pod does not
// tolerate; Score counts the PreferNoSchedule taints it does not tolerate (fewer is better).
import type { NodeInfo, NodeScore, PolicyStatus, SchedulerPolicy, Taint } from '@skiff/plugin-scheduler/framework';
import { SUCCESS } from '@skiff/plugin-scheduler/framework';
import { defaultNormalizeScore } from './normalize.ts';
import { StateKey } from './cycle-state.ts';
import { NodeSum } from './node-tracker.ts';
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

const hasTaint = (node: NodeInfo, effect: (e: Taint['effect']) => boolean): number => {
  const ts = node.taints;
  for (let i = 0; i < ts.length; i++) if (effect(ts[i].effect)) return 1;
  return 0;
};
const isHard = (e: Taint['effect']) => e === 'NoSchedule' || e === 'NoExecute';
const isPrefer = (e: Taint['effect']) => e === 'PreferNoSchedule';
const SKIP: PolicyStatus = Object.freeze({ code: 'Skip' }) as PolicyStatus;

interface ScoreState {
  /** tolerations that can tolerate PreferNoSchedule taints */
  tolerations: readonly Toleration[];
  /** some node of the cluster has a PreferNoSchedule taint (otherwise every node counts 0) */
  anyPrefer: boolean;
}

export function taintToleration(): SchedulerPolicy {
  const key = new StateKey<ScoreState>(PRE_SCORE_KEY);
  // nodes of the cluster with NoSchedule / NoExecute taints, and with PreferNoSchedule ones
  const hardTainted = new NodeSum((n) => hasTaint(n, isHard));
  const preferTainted = new NodeSum((n) => hasTaint(n, isPrefer));
  return {
    name: TAINT_TOLERATION,
    events: ['NodeAdd', 'NodeUpdate', 'PodUpdate'],
    preFilter(state, _pod, snapshot) {
      // no node has a taint Filter could reject: Filter would pass every node
      if (hardTainted.value(snapshot, state) === 0) return SKIP;
    },
    filter(_state, pod, node) {
      if (node.taints.length === 0) return SUCCESS;
      const taint = firstUntoleratedHardTaint(node.taints, tolerationsOf(pod));
      if (!taint) return SUCCESS;
      return { code: 'UnschedulableAndUnresolvable', reasons: [untoleratedTaintReason(taint)] };
    },
    preScore(state, pod, _nodes, snapshot) {
      key.write(state, { tolerations: preferNoScheduleTolerations(tolerationsOf(pod)), anyPrefer: preferTainted.value(snapshot, state) > 0 });
    },
    score(state, pod, node) {
      let s = key.read(state);
      if (!s) {
        s = { tolerations: preferNoScheduleTolerations(tolerationsOf(pod)), anyPrefer: true };
        key.write(state, s);
      }
      if (!s.anyPrefer) return 0;
      const taints = node.taints;
      if (taints.length === 0) return 0;
      const ts = s.tolerations;
      let count = 0;
      for (let i = 0; i < taints.length; i++) {
        const taint = taints[i];
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
