// PrioritySort (QueueSort): higher priority first; equal priority, the earlier-created pod first.
import type { PodInfo, SchedulerPolicy } from '@skiff/plugin-scheduler/framework';
import { policyPlugin, type BaseConfig } from './plugin-kit.ts';
import { creationMs } from './pod-spec.ts';

export const PRIORITY_SORT = 'PrioritySort';

export function prioritySort(): SchedulerPolicy {
  return {
    name: PRIORITY_SORT,
    events: [],
    less(a: PodInfo, b: PodInfo): boolean {
      if (a.priority !== b.priority) return a.priority > b.priority;
      return creationMs(a) < creationMs(b);
    },
  };
}

export const prioritySortPlugin = policyPlugin<BaseConfig>({
  name: 'priority-sort',
  create: () => prioritySort(),
});
