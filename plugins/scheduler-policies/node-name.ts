// NodeName: a pod whose spec.nodeName is set may only go to that node.
import type { SchedulerPolicy } from '@skiff/plugin-scheduler/framework';
import { SUCCESS } from '@skiff/plugin-scheduler/framework';
import { policyPlugin, type BaseConfig } from './plugin-kit.ts';
import { specOf } from './pod-spec.ts';

export const NODE_NAME = 'NodeName';
export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

export function nodeName(): SchedulerPolicy {
  return {
    name: NODE_NAME,
    events: ['NodeAdd', 'NodeUpdate'],
    preFilter(_state, pod) {
      const want = specOf(pod).nodeName;
      if (!want) return { status: { code: 'Skip' } };
      return { nodeNames: new Set([want]) };
    },
    filter(_state, pod, node) {
      const want = specOf(pod).nodeName;
      if (!want || want === node.name) return SUCCESS;
      return { code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_NODE_NAME] };
    },
  };
}

export const nodeNamePlugin = policyPlugin<BaseConfig>({
  name: 'node-name',
  create: () => nodeName(),
});
