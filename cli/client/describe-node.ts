// `skiff describe node`: what `kubectl describe node` shows — taints, lease, conditions, addresses,
// capacity and allocatable, system info, the pods on the node with their requests and limits, and
// the resources allocated against what the node can give (kubectl's describer, NodeDescriber).
import { age, parseMilliQuantity, parseQuantity } from '@skiff/api';
import { formatTable } from './table.ts';

type Obj = Record<string, any>;

const LABEL_WIDTH = 20;
const field = (label: string, value: unknown, indent = ''): string => {
  const l = `${indent}${label}:`;
  return `${l.padEnd(Math.max(LABEL_WIDTH, l.length + 1))}${value === undefined || value === '' ? '<none>' : value}`;
};
const httpDate = (t: string | undefined): string => (t && !Number.isNaN(Date.parse(t)) ? new Date(t).toUTCString() : '<unset>');
const table = (header: string[], rows: string[][], indent = '  '): string[] =>
  formatTable(header, [header.map((h) => '-'.repeat(h.length)), ...rows]).map((l) => indent + l);

/** A pod's requests and limits per resource, as kubectl sums them: max(sum of containers, any init container) + overhead. */
export function podRequestsAndLimits(pod: Obj): { requests: Map<string, number>; limits: Map<string, number> } {
  const sum = (which: 'requests' | 'limits') => {
    const total = new Map<string, number>();
    const add = (m: Map<string, number>, res: Obj | undefined) => {
      for (const [k, v] of Object.entries(res ?? {})) m.set(k, (m.get(k) ?? 0) + amount(k, v as string));
    };
    for (const c of (pod.spec?.containers ?? []) as Obj[]) add(total, c.resources?.[which]);
    for (const c of (pod.spec?.initContainers ?? []) as Obj[]) {
      for (const [k, v] of Object.entries((c.resources?.[which] ?? {}) as Obj)) total.set(k, Math.max(total.get(k) ?? 0, amount(k, v as string)));
    }
    // overhead counts against requests, and against a limit only where the pod sets one
    for (const [k, v] of Object.entries((pod.spec?.overhead ?? {}) as Obj)) if (which === 'requests' || total.has(k)) total.set(k, (total.get(k) ?? 0) + amount(k, v as string));
    return total;
  };
  return { requests: sum('requests'), limits: sum('limits') };
}

/** cpu in millicores, everything else in base units (integers either way: kube's quantities are exact). */
function amount(resource: string, q: string | number): number {
  return resource === 'cpu' ? parseMilliQuantity(q) : Math.round(parseQuantity(q));
}

/** A summed amount back as a quantity kubectl would print: "250m", "2", "128Mi", "1500". */
export function formatAmount(resource: string, n: number): string {
  if (resource === 'cpu') return n % 1000 === 0 ? String(n / 1000) : `${n}m`;
  if (n === 0) return '0';
  for (const [suffix, f] of [['Ei', 2 ** 60], ['Pi', 2 ** 50], ['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) if (n % f === 0) return `${n / f}${suffix}`;
  for (const [suffix, f] of [['E', 1e18], ['P', 1e15], ['T', 1e12], ['G', 1e9], ['M', 1e6], ['k', 1e3]] as const) if (n % f === 0) return `${n / f}${suffix}`;
  return String(n);
}

const pct = (n: number, of: number): number => (of > 0 ? Math.trunc((n / of) * 100) : 0);

export function nodeLines(node: Obj, pods: Obj[], lease: Obj | undefined, now = Date.now()): string[] {
  const spec = node.spec ?? {};
  const st = node.status ?? {};
  const out: string[] = [];
  const taints = (spec.taints ?? []) as Obj[];
  out.push(taints.length ? field('Taints', taints.map((t) => `${t.key}${t.value ? '=' + t.value : ''}:${t.effect}`)[0]) : field('Taints', '<none>'));
  for (const t of taints.slice(1)) out.push(' '.repeat(LABEL_WIDTH) + `${t.key}${t.value ? '=' + t.value : ''}:${t.effect}`);
  out.push(field('Unschedulable', spec.unschedulable ? 'true' : 'false'));
  out.push('Lease:');
  out.push(field('HolderIdentity', lease?.spec?.holderIdentity ?? '<unset>', '  '));
  out.push(field('AcquireTime', httpDate(lease?.spec?.acquireTime), '  '));
  out.push(field('RenewTime', httpDate(lease?.spec?.renewTime), '  '));
  const conds = (st.conditions ?? []) as Obj[];
  out.push('Conditions:');
  out.push(...table(['Type', 'Status', 'LastHeartbeatTime', 'LastTransitionTime', 'Reason', 'Message'], conds.map((c) => [String(c.type), String(c.status), httpDate(c.lastHeartbeatTime), httpDate(c.lastTransitionTime), String(c.reason ?? ''), String(c.message ?? '')])));
  out.push('Addresses:', ...((st.addresses ?? []) as Obj[]).map((a) => `  ${a.type}:  ${a.address}`));
  for (const [label, m] of [['Capacity', st.capacity], ['Allocatable', st.allocatable]] as const) {
    out.push(`${label}:`, ...Object.entries((m ?? {}) as Obj).map(([k, v]) => `  ${k}:${' '.repeat(Math.max(1, 19 - k.length))}${v}`));
  }
  const si = (st.nodeInfo ?? {}) as Obj;
  out.push('System Info:');
  for (const [label, k] of [
    ['Machine ID', 'machineID'],
    ['System UUID', 'systemUUID'],
    ['Boot ID', 'bootID'],
    ['Kernel Version', 'kernelVersion'],
    ['OS Image', 'osImage'],
    ['Operating System', 'operatingSystem'],
    ['Architecture', 'architecture'],
    ['Container Runtime Version', 'containerRuntimeVersion'],
    ['Kubelet Version', 'kubeletVersion'],
    ['Kube-Proxy Version', 'kubeProxyVersion'],
  ] as const)
    out.push(`  ${label}:`.padEnd(29) + (si[k] ?? ''));
  if (spec.podCIDR) out.push(field('PodCIDR', spec.podCIDR), field('PodCIDRs', ((spec.podCIDRs ?? [spec.podCIDR]) as string[]).join(',')));
  if (spec.providerID) out.push(field('ProviderID', spec.providerID));

  // the pods that count against the node: not finished (kubectl: phase not Succeeded or Failed)
  const running = pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
  const alloc = (st.allocatable ?? {}) as Obj;
  const allocOf = (r: string) => (alloc[r] !== undefined ? amount(r, alloc[r]) : 0);
  out.push(`Non-terminated Pods:          (${running.length} in total)`);
  const totals = { requests: new Map<string, number>(), limits: new Map<string, number>() };
  const rows = running
    .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`))
    .map((p) => {
      const { requests, limits } = podRequestsAndLimits(p);
      for (const [m, into] of [[requests, totals.requests], [limits, totals.limits]] as const) for (const [k, v] of m) into.set(k, (into.get(k) ?? 0) + v);
      const cell = (m: Map<string, number>, r: string) => `${formatAmount(r, m.get(r) ?? 0)} (${pct(m.get(r) ?? 0, allocOf(r))}%)`;
      return [String(p.metadata.namespace), String(p.metadata.name), cell(requests, 'cpu'), cell(limits, 'cpu'), cell(requests, 'memory'), cell(limits, 'memory'), age(p.metadata.creationTimestamp, now)];
    });
  if (rows.length) out.push(...table(['Namespace', 'Name', 'CPU Requests', 'CPU Limits', 'Memory Requests', 'Memory Limits', 'Age'], rows));
  out.push('Allocated resources:', '  (Total limits may be over 100 percent, i.e., overcommitted.)');
  const resources = ['cpu', 'memory', 'ephemeral-storage', 'hugepages-1Gi', 'hugepages-2Mi'].filter((r) => r === 'cpu' || r === 'memory' || r === 'ephemeral-storage' || alloc[r] !== undefined);
  // extended resources (example.com/widget, nvidia.com/gpu) the node offers or a pod asks for
  for (const r of new Set([...Object.keys(alloc), ...totals.requests.keys(), ...totals.limits.keys()])) if (r.includes('/') && !resources.includes(r)) resources.push(r);
  out.push(
    ...table(
      ['Resource', 'Requests', 'Limits'],
      resources.map((r) => {
        const req = totals.requests.get(r) ?? 0;
        const lim = totals.limits.get(r) ?? 0;
        return r.includes('/') ? [r, formatAmount(r, req), formatAmount(r, lim)] : [r, `${formatAmount(r, req)} (${pct(req, allocOf(r))}%)`, `${formatAmount(r, lim)} (${pct(lim, allocOf(r))}%)`];
      }),
    ),
  );
  return out;
}
