// NodeUnschedulable: cordoned nodes (spec.unschedulable) take only pods that tolerate the
// node.kubernetes.io/unschedulable:NoSchedule taint.
import type { SchedulerPolicy, Taint } from '@skiff/plugin-scheduler/framework';
import { SUCCESS } from '@skiff/plugin-scheduler/framework';
import { policyPlugin, type BaseConfig } from './plugin-kit.ts';
import { tolerationsOf, tolerationsTolerate } from './pod-spec.ts';

export const NODE_UNSCHEDULABLE = 'NodeUnschedulable';
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

const UNSCHEDULABLE_TAINT: Taint = Object.freeze({ key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' }) as Taint;

export function nodeUnschedulable(): SchedulerPolicy {
  return {
    name: NODE_UNSCHEDULABLE,
    events: ['NodeAdd', 'NodeUpdate'],
    filter(_state, pod, node) {
      if (!node.unschedulable) return SUCCESS;
      if (tolerationsTolerate(tolerationsOf(pod), UNSCHEDULABLE_TAINT)) return SUCCESS;
      return { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_UNSCHEDULABLE] };
    },
  };
}

export const nodeUnschedulablePlugin = policyPlugin<BaseConfig>({
  name: 'node-unschedulable',
  create: () => nodeUnschedulable(),
});
