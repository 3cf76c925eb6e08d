// `kubectl get` columns of Ingress and IngressClass, as kube-apiserver's printers print them
// (printIngress, printIngressClass). The server prints wide (GenerateOptions{Wide: true}): the
// address list is not cut to 16 characters.
import type { KObject } from '@skiff/kernel';
import { ageCol, get, nameCol, type Column } from './table-kit.ts';

const MAX_HOSTS = 3;

/** formatHosts: up to 3 rule hosts, `*` when no rule has one (kube's loop, "+ N more" counted in rules). */
export function formatHosts(rules: { host?: string }[]): string {
  const list: string[] = [];
  let more = false;
  for (const r of rules) {
    if (list.length === MAX_HOSTS) more = true;
    if (!more && r.host) list.push(r.host);
  }
  if (list.length === 0) return '*';
  return more ? `${list.join(',')} + ${rules.length - MAX_HOSTS} more...` : list.join(',');
}

/** ingressLoadBalancerStatusStringer: the IPs (or host names) sorted, de-duplicated. */
function formatAddress(o: KObject): string {
  const points = (get(o, 'status', 'loadBalancer', 'ingress') ?? []) as { ip?: string; hostname?: string }[];
  return [...new Set(points.map((p) => p.ip || p.hostname || '').filter(Boolean))].sort().join(',');
}

function formatParameters(o: KObject): string {
  const p = get(o, 'spec', 'parameters') as { kind?: string; apiGroup?: string; name?: string } | undefined;
  if (!p) return '<none>';
  return `${p.kind ?? ''}${p.apiGroup ? `.${p.apiGroup}` : ''}/${p.name ?? ''}`;
}

export const ingressColumns: Record<string, Column[]> = {
  ingresses: [
    nameCol,
    { name: 'Class', type: 'string', description: 'The name of the IngressClass resource.', cell: (o) => get(o, 'spec', 'ingressClassName') ?? '<none>' },
    { name: 'Hosts', type: 'string', description: 'Hosts that incoming requests are matched against before the ingress rule', cell: (o) => formatHosts(get(o, 'spec', 'rules') ?? []) },
    { name: 'Address', type: 'string', description: 'Address is a list containing ingress points for the load-balancer', cell: formatAddress },
    { name: 'Ports', type: 'string', description: 'Ports of TLS configurations that open', cell: (o) => ((get(o, 'spec', 'tls') ?? []).length ? '80, 443' : '80') },
    ageCol,
  ],
  ingressclasses: [
    nameCol,
    { name: 'Controller', type: 'string', description: 'Controller that is responsible for handling this class', cell: (o) => get(o, 'spec', 'controller') ?? '' },
    { name: 'Parameters', type: 'string', description: 'A reference to a resource with additional parameters', cell: formatParameters },
    ageCol,
  ],
};
