// `kubectl get` columns of the workload kinds, as kube-apiserver's printers print them.
import type { KObject } from '@skiff/kernel';
import { age, ageCol, formatLabels, formatLabelSelector, get, humanDuration, nameCol, selectorCol, templateColumns, type Column } from './table-kit.ts';

const int = (name: string, cell: (o: KObject) => unknown, description = ''): Column => ({ name, type: 'integer', description, cell: (o) => cell(o) ?? 0 });
const hasCondition = (o: KObject, type: string) => ((get(o, 'status', 'conditions') ?? []) as { type: string; status: string }[]).some((c) => c.type === type && c.status === 'True');

function jobStatus(o: KObject): string {
  if (hasCondition(o, 'Complete')) return 'Complete';
  if (hasCondition(o, 'Failed')) return 'Failed';
  if (o.metadata.deletionTimestamp) return 'Terminating';
  if (hasCondition(o, 'Suspended')) return 'Suspended';
  if (hasCondition(o, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(o, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

function jobCompletions(o: KObject): string {
  const succeeded = get(o, 'status', 'succeeded') ?? 0;
  const completions = get(o, 'spec', 'completions');
  if (typeof completions === 'number') return `${succeeded}/${completions}`;
  const parallelism = get(o, 'spec', 'parallelism') ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(o: KObject): string {
  const start = get(o, 'status', 'startTime');
  if (!start) return '';
  const end = get(o, 'status', 'completionTime');
  return humanDuration(((end ? Date.parse(end) : Date.now()) - Date.parse(start)) / 1000);
}

/** The controller of a ControllerRevision as `daemonset.apps/name`. */
function controllerOf(o: KObject): string {
  const ref = (o.metadata.ownerReferences ?? []).find((r) => r.controller);
  if (!ref) return '<none>';
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : '';
  return `${ref.kind.toLowerCase()}${group ? '.' + group : ''}/${ref.name}`;
}

const replicaColumns = (selector: (o: KObject) => string): Column[] => [
  nameCol,
  int('Desired', (o) => get(o, 'spec', 'replicas'), 'Number of desired pods.'),
  int('Current', (o) => get(o, 'status', 'replicas'), 'Number of actually running pods.'),
  int('Ready', (o) => get(o, 'status', 'readyReplicas'), 'Number of ready pods.'),
  ageCol,
  ...templateColumns('spec', 'template'),
  selectorCol(selector),
];

export const workloadColumns: Record<string, Column[]> = {
  replicationcontrollers: replicaColumns((o) => formatLabels(get(o, 'spec', 'selector'))),
  replicasets: replicaColumns((o) => formatLabelSelector(get(o, 'spec', 'selector'))),
  deployments: [
    nameCol,
    { name: 'Ready', type: 'string', description: 'Number of the pod with ready state.', cell: (o) => `${get(o, 'status', 'readyReplicas') ?? 0}/${get(o, 'spec', 'replicas') ?? 1}` },
    int('Up-to-date', (o) => get(o, 'status', 'updatedReplicas'), 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    int('Available', (o) => get(o, 'status', 'availableReplicas'), 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    ageCol,
    ...templateColumns('spec', 'template'),
    selectorCol((o) => formatLabelSelector(get(o, 'spec', 'selector'))),
  ],
  statefulsets: [
    nameCol,
    { name: 'Ready', type: 'string', description: 'Number of the pod with ready state.', cell: (o) => `${get(o, 'status', 'readyReplicas') ?? 0}/${get(o, 'spec', 'replicas') ?? 1}` },
    ageCol,
    ...templateColumns('spec', 'template'),
  ],
  daemonsets: [
    nameCol,
    int('Desired', (o) => get(o, 'status', 'desiredNumberScheduled'), 'The total number of nodes that should be running the daemon pod.'),
    int('Current', (o) => get(o, 'status', 'currentNumberScheduled'), 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
    int('Ready', (o) => get(o, 'status', 'numberReady'), 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.'),
    int('Up-to-date', (o) => get(o, 'status', 'updatedNumberScheduled'), 'The total number of nodes that are running updated daemon pod.'),
    int('Available', (o) => get(o, 'status', 'numberAvailable'), 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.'),
    { name: 'Node Selector', type: 'string', description: 'NodeSelector is a selector which must be true for the pod to fit on a node.', cell: (o) => formatLabels(get(o, 'spec', 'template', 'spec', 'nodeSelector')) },
    ageCol,
    ...templateColumns('spec', 'template'),
    selectorCol((o) => formatLabelSelector(get(o, 'spec', 'selector'))),
  ],
  jobs: [
    nameCol,
    { name: 'Status', type: 'string', description: 'Status of the job.', cell: jobStatus },
    { name: 'Completions', type: 'string', description: 'The desired number of successfully finished pods the job should be run with.', cell: jobCompletions },
    { name: 'Duration', type: 'string', description: 'Time required to complete the job.', cell: jobDuration },
    ageCol,
    ...templateColumns('spec', 'template'),
    selectorCol((o) => formatLabelSelector(get(o, 'spec', 'selector'))),
  ],
  cronjobs: [
    nameCol,
    { name: 'Schedule', type: 'string', description: 'The schedule in Cron format.', cell: (o) => get(o, 'spec', 'schedule') ?? '' },
    { name: 'Timezone', type: 'string', description: 'The time zone of the schedule.', cell: (o) => get(o, 'spec', 'timeZone') ?? '<none>' },
    { name: 'Suspend', type: 'boolean', description: 'Whether subsequent executions are suspended.', cell: (o) => (get(o, 'spec', 'suspend') ? 'True' : 'False') },
    int('Active', (o) => (get(o, 'status', 'active') ?? []).length, 'Number of currently running jobs.'),
    { name: 'Last Schedule', type: 'string', description: 'When the job was last successfully scheduled.', cell: (o) => (get(o, 'status', 'lastScheduleTime') ? age(get(o, 'status', 'lastScheduleTime')) : '<none>') },
    ageCol,
    ...templateColumns('spec', 'jobTemplate', 'spec', 'template'),
    selectorCol((o) => formatLabelSelector(get(o, 'spec', 'jobTemplate', 'spec', 'selector'))),
  ],
  controllerrevisions: [
    nameCol,
    { name: 'Controller', type: 'string', description: 'Controller of the object.', cell: controllerOf },
    int('Revision', (o) => o.revision, 'Revision of the ControllerRevision.'),
    ageCol,
  ],
};
