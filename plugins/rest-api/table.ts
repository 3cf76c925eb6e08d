// Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), as kubectl asks
// for it: columns per kind like kube-apiserver's printers; priority-1 columns are `-o wide` only.
import type { KObject, PrinterColumn } from '@skiff/kernel';
import { printerColumnsFor } from './table-crd.ts';
import { age, ageCol, formatLabels, get, nameCol, selectorCol, type Column } from './table-kit.ts';
import { ingressColumns } from './table-ingress.ts';
import { networkColumns } from './table-network.ts';
import { networkPolicyColumns } from './table-network-policy.ts';
import { policyColumns } from './table-policy.ts';
import { storageColumns } from './table-storage.ts';
import { workloadColumns } from './table-workloads.ts';

export { age };

function podStatus(o: KObject): string {
  if (o.metadata.deletionTimestamp) return 'Terminating';
  const st = get(o, 'status') ?? {};
  let reason: string = st.reason ?? st.phase ?? 'Pending';
  for (const cs of (st.containerStatuses ?? []) as any[]) {
    const w = cs.state?.waiting?.reason;
    const t = cs.state?.terminated?.reason;
    if (w) reason = w;
    else if (t) reason = t;
  }
  return reason;
}

const nodeAddress = (o: KObject, type: string) => ((get(o, 'status', 'addresses') ?? []) as any[]).find((a) => a.type === type)?.address ?? '<none>';

/** kube's formatEventSource: "component, host" (reportingController for events.k8s.io-style events). */
function eventSource(o: KObject): string {
  const component = get(o, 'source', 'component') || get(o, 'reportingComponent') || '';
  const host = get(o, 'source', 'host') || '';
  return host ? `${component}, ${host}` : component;
}

const columns: Record<string, Column[]> = {
  pods: [
    nameCol,
    { name: 'Ready', type: 'string', cell: (o) => `${((get(o, 'status', 'containerStatuses') ?? []) as any[]).filter((c) => c.ready).length}/${(get(o, 'spec', 'containers') ?? []).length}` },
    { name: 'Status', type: 'string', cell: podStatus },
    { name: 'Restarts', type: 'string', cell: (o) => String(((get(o, 'status', 'containerStatuses') ?? []) as any[]).reduce((n, c) => n + (c.restartCount ?? 0), 0)) },
    ageCol,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => get(o, 'status', 'podIP') ?? '<none>' },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => get(o, 'spec', 'nodeName') ?? '<none>' },
    { name: 'Nominated Node', type: 'string', priority: 1, cell: (o) => get(o, 'status', 'nominatedNodeName') ?? '<none>' },
    { name: 'Readiness Gates', type: 'string', priority: 1, cell: () => '<none>' },
  ],
  namespaces: [nameCol, { name: 'Status', type: 'string', cell: (o) => get(o, 'status', 'phase') ?? 'Active' }, ageCol],
  configmaps: [nameCol, { name: 'Data', type: 'integer', cell: (o) => Object.keys(get(o, 'data') ?? {}).length + Object.keys(get(o, 'binaryData') ?? {}).length }, ageCol],
  secrets: [nameCol, { name: 'Type', type: 'string', cell: (o) => get(o, 'type') ?? 'Opaque' }, { name: 'Data', type: 'integer', cell: (o) => Object.keys(get(o, 'data') ?? {}).length }, ageCol],
  nodes: [
    nameCol,
    {
      name: 'Status',
      type: 'string',
      cell: (o) => {
        const ready = ((get(o, 'status', 'conditions') ?? []) as any[]).find((c) => c.type === 'Ready');
        const s = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
        return get(o, 'spec', 'unschedulable') ? `${s},SchedulingDisabled` : s;
      },
    },
    { name: 'Roles', type: 'string', cell: (o) => Object.keys(o.metadata.labels ?? {}).filter((l) => l.startsWith('node-role.kubernetes.io/')).map((l) => l.slice(24)).join(',') || '<none>' },
    ageCol,
    { name: 'Version', type: 'string', cell: (o) => get(o, 'status', 'nodeInfo', 'kubeletVersion') ?? '' },
    { name: 'Internal-IP', type: 'string', priority: 1, cell: (o) => nodeAddress(o, 'InternalIP') },
    { name: 'External-IP', type: 'string', priority: 1, cell: (o) => nodeAddress(o, 'ExternalIP') },
    { name: 'OS-Image', type: 'string', priority: 1, cell: (o) => get(o, 'status', 'nodeInfo', 'osImage') || '<unknown>' },
    { name: 'Kernel-Version', type: 'string', priority: 1, cell: (o) => get(o, 'status', 'nodeInfo', 'kernelVersion') || '<unknown>' },
    { name: 'Container-Runtime', type: 'string', priority: 1, cell: (o) => get(o, 'status', 'nodeInfo', 'containerRuntimeVersion') || '<unknown>' },
  ],
  services: [
    nameCol,
    { name: 'Type', type: 'string', cell: (o) => get(o, 'spec', 'type') ?? 'ClusterIP' },
    { name: 'Cluster-IP', type: 'string', cell: (o) => get(o, 'spec', 'clusterIP') ?? '<none>' },
    { name: 'External-IP', type: 'string', cell: (o) => ((get(o, 'spec', 'externalIPs') ?? []) as string[]).join(',') || '<none>' },
    { name: 'Port(s)', type: 'string', cell: (o) => ((get(o, 'spec', 'ports') ?? []) as any[]).map((p) => `${p.port}${p.nodePort ? ':' + p.nodePort : ''}/${p.protocol ?? 'TCP'}`).join(',') || '<none>' },
    ageCol,
    selectorCol((o) => formatLabels(get(o, 'spec', 'selector'))),
  ],
  serviceaccounts: [nameCol, { name: 'Secrets', type: 'integer', description: 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.', cell: (o) => (get(o, 'secrets') ?? []).length }, ageCol],
  leases: [nameCol, { name: 'Holder', type: 'string', description: 'The holder of the lease.', cell: (o) => get(o, 'spec', 'holderIdentity') ?? '' }, ageCol],
  // kube's default table convertor (what `kubectl get crd` prints)
  customresourcedefinitions: [nameCol, { name: 'Created At', type: 'date', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', cell: (o) => o.metadata.creationTimestamp ?? '' }],
  events: [
    { name: 'Last Seen', type: 'string', cell: (o) => age((get(o, 'lastTimestamp') ?? get(o, 'eventTime') ?? o.metadata.creationTimestamp) as string) },
    { name: 'Type', type: 'string', cell: (o) => get(o, 'type') ?? '' },
    { name: 'Reason', type: 'string', cell: (o) => get(o, 'reason') ?? '' },
    { name: 'Object', type: 'string', cell: (o) => `${String(get(o, 'involvedObject', 'kind') ?? '').toLowerCase()}/${get(o, 'involvedObject', 'name') ?? ''}` },
    { name: 'Subobject', type: 'string', priority: 1, cell: (o) => get(o, 'involvedObject', 'fieldPath') ?? '' },
    { name: 'Source', type: 'string', priority: 1, cell: eventSource },
    { name: 'Message', type: 'string', cell: (o) => get(o, 'message') ?? '' },
    { name: 'First Seen', type: 'string', priority: 1, cell: (o) => age((get(o, 'firstTimestamp') ?? get(o, 'eventTime') ?? o.metadata.creationTimestamp) as string) },
    { name: 'Count', type: 'string', priority: 1, cell: (o) => get(o, 'series', 'count') ?? get(o, 'count') ?? 1 },
    { name: 'Name', type: 'string', priority: 1, cell: (o) => o.metadata.name },
  ],
  plugins: [
    nameCol,
    { name: 'Type', type: 'string', cell: (o) => get(o, 'spec', 'type') ?? '' },
    { name: 'Version', type: 'string', cell: (o) => get(o, 'spec', 'version') ?? '' },
    { name: 'State', type: 'string', cell: (o) => get(o, 'status', 'state') ?? '' },
    ageCol,
  ],
  ...workloadColumns,
  ...policyColumns,
  ...networkColumns,
  ...ingressColumns,
  ...networkPolicyColumns,
  ...storageColumns,
};

/** What picks a kind's columns: its resource, and a CRD's printer columns. */
export interface TableKind {
  resource: string;
  printerColumns?: readonly PrinterColumn[];
}

export function columnsFor(kind: string | TableKind): Column[] {
  if (typeof kind !== 'string' && kind.printerColumns?.length) return printerColumnsFor(kind.printerColumns);
  return columns[typeof kind === 'string' ? kind : kind.resource] ?? [nameCol, ageCol];
}

export function wantsTable(accept: string | undefined): boolean {
  return accept !== undefined && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

export function tableVersion(accept: string): string {
  return /as=Table;v=v1;g=meta\.k8s\.io|as=Table;g=meta\.k8s\.io;v=v1(?!beta)/.test(accept) || !/v1beta1/.test(accept) ? 'v1' : 'v1beta1';
}

function rowObject(o: KObject, include: string | undefined): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export interface TableOptions {
  includeObject?: string;
  apiVersion?: string;
  columns?: boolean;
}

/** One row of a Table (streamed lists write rows one at a time). */
export function tableRow(cols: Column[], o: KObject, includeObject: string | undefined) {
  // null is a cell with nothing (kubectl prints <none>: a CRD column whose path finds nothing)
  return { cells: cols.map((c) => c.cell(o) ?? (c.nullable ? null : '')), object: rowObject(o, includeObject) };
}

export function toTable(resource: string | TableKind, items: KObject[], meta: { resourceVersion?: string; continue?: string }, opts: TableOptions) {
  const cols = columnsFor(resource);
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${opts.apiVersion ?? 'v1'}`,
    metadata: meta,
    ...(opts.columns === false ? {} : { columnDefinitions: cols.map(({ cell: _c, nullable: _n, ...d }) => ({ description: '', priority: 0, format: '', ...d })) }),
    rows: items.map((o) => tableRow(cols, o, opts.includeObject)),
  };
}
