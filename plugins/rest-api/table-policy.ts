// `kubectl get` columns of HorizontalPodAutoscaler, PodDisruptionBudget and PriorityClass, as
// kube-apiserver's printers print them.
import type { KObject } from '@skiff/kernel';
import { hpaToV2 } from './hpa-v1.ts';
import { ageCol, get, nameCol, type Column } from './table-kit.ts';

const qty = (v: unknown) => (v === undefined || v === null ? '<unknown>' : String(v));

/** One metric of an HPA as `kubectl get hpa` shows it: `cpu: 40%/80%`, `<unknown>/10 (avg)`. */
function formatMetric(spec: any, status: any): string { // eslint-disable-line @typescript-eslint/no-explicit-any
  switch (spec?.type) {
    case 'External':
    case 'Object': {
      const key = spec.type === 'External' ? 'external' : 'object';
      const t = spec[key]?.target ?? {};
      const cur = status?.[key]?.current;
      if (t.averageValue !== undefined) return `${cur?.averageValue !== undefined ? qty(cur.averageValue) : '<unknown>'}/${qty(t.averageValue)} (avg)`;
      return `${cur ? qty(cur.value) : '<unknown>'}/${qty(t.value)}`;
    }
    case 'Pods':
      return `${status?.pods ? qty(status.pods.current?.averageValue) : '<unknown>'}/${qty(spec.pods?.target?.averageValue)}`;
    case 'Resource':
    case 'ContainerResource': {
      const key = spec.type === 'Resource' ? 'resource' : 'containerResource';
      const src = spec[key] ?? {};
      const cur = status?.[key]?.current;
      const name = src.name ?? '';
      if (src.target?.averageValue !== undefined) return `${name}: ${cur ? qty(cur.averageValue) : '<unknown>'}/${qty(src.target.averageValue)}`;
      const current = cur?.averageUtilization !== undefined ? `${cur.averageUtilization}%` : '<unknown>';
      const target = src.target?.averageUtilization !== undefined ? `${src.target.averageUtilization}%` : '<auto>';
      return `${name}: ${current}/${target}`;
    }
    default:
      return '<unknown type>';
  }
}

/** formatHPAMetrics: at most two, then `+ N more...`. */
export function hpaTargets(obj: KObject): string {
  const o = obj.apiVersion === 'autoscaling/v1' ? hpaToV2(obj) : obj; // the printer works on the metrics of v2
  const specs = (get(o, 'spec', 'metrics') ?? []) as unknown[];
  if (specs.length === 0) return '<none>';
  const statuses = (get(o, 'status', 'currentMetrics') ?? []) as unknown[];
  const list = specs.map((s, i) => formatMetric(s, statuses[i]));
  return list.length > 2 ? `${list.slice(0, 2).join(', ')} + ${list.length - 2} more...` : list.join(', ');
}

export const policyColumns: Record<string, Column[]> = {
  horizontalpodautoscalers: [
    nameCol,
    { name: 'Reference', type: 'string', description: 'reference to scaled resource', cell: (o) => `${get(o, 'spec', 'scaleTargetRef', 'kind') ?? ''}/${get(o, 'spec', 'scaleTargetRef', 'name') ?? ''}` },
    { name: 'Targets', type: 'string', description: 'the target and current metrics', cell: hpaTargets },
    { name: 'MinPods', type: 'string', description: 'lower limit for the number of pods', cell: (o) => String(get(o, 'spec', 'minReplicas') ?? '<unset>') },
    { name: 'MaxPods', type: 'integer', description: 'upper limit for the number of pods', cell: (o) => get(o, 'spec', 'maxReplicas') ?? 0 },
    { name: 'Replicas', type: 'integer', description: 'current number of replicas of pods managed by this autoscaler', cell: (o) => get(o, 'status', 'currentReplicas') ?? 0 },
    ageCol,
  ],
  poddisruptionbudgets: [
    nameCol,
    { name: 'Min Available', type: 'string', description: 'The minimum number of pods that must be available.', cell: (o) => String(get(o, 'spec', 'minAvailable') ?? 'N/A') },
    { name: 'Max Unavailable', type: 'string', description: 'The maximum number of pods that may be unavailable.', cell: (o) => String(get(o, 'spec', 'maxUnavailable') ?? 'N/A') },
    { name: 'Allowed Disruptions', type: 'integer', description: 'Calculated number of pods that may be disrupted at this time.', cell: (o) => get(o, 'status', 'disruptionsAllowed') ?? 0 },
    ageCol,
  ],
  priorityclasses: [
    nameCol,
    { name: 'Value', type: 'integer', description: 'The value of this priority class.', cell: (o) => o.value ?? 0 },
    { name: 'Global-Default', type: 'boolean', description: 'Whether this priority class should be used as the default priority.', cell: (o) => o.globalDefault === true },
    ageCol,
    { name: 'PreemptionPolicy', type: 'string', priority: 1, description: 'The policy for preempting pods with lower priority.', cell: (o) => o.preemptionPolicy ?? '' },
  ],
};
