// What the server-side printers share: the column shape, kubectl's human durations and the cells
// several kinds print the same way (containers, images, selectors).
import { labelSelectorString, type KObject } from '@skiff/kernel';

export interface Column {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  priority?: number;
  description?: string;
  /** an empty cell is null, not "" (a CRD's columns) */
  nullable?: boolean;
  cell: (o: KObject) => unknown;
}

export const get = (o: unknown, ...path: string[]): any => path.reduce((v: any, k) => (v == null ? undefined : v[k]), o); // eslint-disable-line @typescript-eslint/no-explicit-any

// kubectl's durations live in the api layer (the CLI prints them too, without loading this plugin)
export { age, humanDuration } from '@skiff/api';
import { age } from '@skiff/api';

export const nameCol: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', cell: (o) => o.metadata.name };
export const ageCol: Column = { name: 'Age', type: 'string', description: 'Time since the object was created.', cell: (o) => age(o.metadata.creationTimestamp) };

/** labels.FormatLabels: `a=b,c=d` sorted by key, `<none>` when empty. */
export function formatLabels(m: unknown): string {
  if (!m || typeof m !== 'object') return '<none>';
  const s = Object.keys(m)
    .sort()
    .map((k) => `${k}=${String((m as Record<string, unknown>)[k])}`)
    .join(',');
  return s || '<none>';
}

/** metav1.FormatLabelSelector: the selector's string form, `<none>` when empty. */
export function formatLabelSelector(sel: unknown): string {
  return labelSelectorString(sel) || '<none>';
}

/** The wide Containers / Images columns of a pod template at `path`. */
export function templateColumns(...path: string[]): Column[] {
  const containers = (o: KObject) => (get(o, ...path, 'spec', 'containers') ?? []) as { name?: string; image?: string }[];
  return [
    { name: 'Containers', type: 'string', priority: 1, description: 'Names of each container in the template.', cell: (o) => containers(o).map((c) => c.name).join(',') },
    { name: 'Images', type: 'string', priority: 1, description: 'Images referenced by each container in the template.', cell: (o) => containers(o).map((c) => c.image).join(',') },
  ];
}

export const selectorCol = (cell: (o: KObject) => string): Column => ({ name: 'Selector', type: 'string', priority: 1, description: 'The label selector.', cell });
