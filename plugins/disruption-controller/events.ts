// The Events kube's disruption controller records, with its reasons and messages.
import type { LabelSelector } from '@skiff/api';

/** Go's generated LabelSelector.String() (what `%v` of a *LabelSelector prints). */
export function goLabelSelectorString(sel: LabelSelector | undefined | null): string {
  if (!sel) return '<nil>';
  const labels = Object.keys(sel.matchLabels ?? {})
    .sort()
    .map((k) => `${k}: ${sel.matchLabels![k]},`)
    .join('');
  const exprs = (sel.matchExpressions ?? []).map((e) => `LabelSelectorRequirement{Key:${e.key},Operator:${e.operator},Values:[${(e.values ?? []).join(' ')}],},`).join('');
  return `&LabelSelector{MatchLabels:map[string]string{${labels}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`;
}

export const noPodsMessage = 'No matching pods found';

export const calculateFailedMessage = (err: string) => `Failed to calculate the number of expected pods: ${err}`;

export const unmanagedPodsMessage = (sel: LabelSelector | undefined) =>
  `Pods selected by this PodDisruptionBudget (selector: ${goLabelSelectorString(sel)}) were found ` +
  'to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. ' +
  'To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.';

/** (kube prints the namespace twice here, a slip; this says namespace/name) */
export const notDeletedMessage = (namespace: string, name: string) => `Pod was expected by PDB ${namespace}/${name} to be deleted but it wasn't`;
