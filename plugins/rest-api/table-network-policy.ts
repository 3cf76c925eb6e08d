// `kubectl get networkpolicies` columns, as kube-apiserver's printer (printNetworkPolicy) prints
// them: NAME, POD-SELECTOR (`<none>` for the empty selector, which selects every pod), AGE.
import { ageCol, formatLabelSelector, get, nameCol, type Column } from './table-kit.ts';

export const networkPolicyColumns: Record<string, Column[]> = {
  networkpolicies: [
    nameCol,
    { name: 'Pod-Selector', type: 'string', description: 'Selects the pods to which this NetworkPolicy object applies.', cell: (o) => formatLabelSelector(get(o, 'spec', 'podSelector')) },
    ageCol,
  ],
};
