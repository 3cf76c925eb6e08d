// `kubectl get` columns of Endpoints and EndpointSlice, as kube-apiserver's printers print them
// (formatEndpoints, formatDiscoveryPorts, formatDiscoveryEndpoints), and of the Service IPAM kinds:
// IPAddress and ServiceCIDR as kube prints them, Skiff's NodePortAllocation like an IPAddress.
import type { KObject } from '@skiff/kernel';
import { ageCol, get, nameCol, type Column } from './table-kit.ts';

const MAX_SHOWN = 3;

/** `10.0.0.1:80,10.0.0.2:80 + 2 more...` (ready addresses only), `<none>` when there are none. */
export function formatEndpoints(o: KObject): string {
  const out: string[] = [];
  let total = 0;
  for (const s of (get(o, 'subsets') ?? []) as any[]) { // eslint-disable-line @typescript-eslint/no-explicit-any
    const addrs = (s.addresses ?? []) as { ip: string }[];
    const ports = (s.ports ?? []) as { port: number }[];
    const pairs = ports.length ? addrs.flatMap((a) => ports.map((p) => `${a.ip}:${p.port}`)) : addrs.map((a) => a.ip);
    total += pairs.length;
    for (const p of pairs) if (out.length < MAX_SHOWN) out.push(p);
  }
  if (total === 0) return '<none>';
  return total > out.length ? `${out.join(',')} + ${total - out.length} more...` : out.join(',');
}

function listMore(items: string[]): string {
  if (items.length === 0) return '<unset>';
  const shown = items.slice(0, MAX_SHOWN).join(',');
  return items.length > MAX_SHOWN ? `${shown} + ${items.length - MAX_SHOWN} more...` : shown;
}

/** `services/default/web` (`<resource>.<group>/...` outside the core group), as kube prints parentRef. */
export function formatParentRef(o: KObject): string {
  const ref = get(o, 'spec', 'parentRef');
  if (!ref) return '';
  const resource = `${String(ref.resource ?? '').toLowerCase()}${ref.group ? `.${ref.group}` : ''}`;
  return ref.namespace ? `${resource}/${ref.namespace}/${ref.name ?? ''}` : `${resource}/${ref.name ?? ''}`;
}

const parentRefCol: Column = { name: 'ParentRef', type: 'string', description: 'The object this allocation belongs to.', cell: formatParentRef };

export const networkColumns: Record<string, Column[]> = {
  ipaddresses: [nameCol, parentRefCol],
  servicecidrs: [nameCol, { name: 'CIDRs', type: 'string', description: 'The CIDRs of the range.', cell: (o) => ((get(o, 'spec', 'cidrs') ?? []) as string[]).join(',') }, ageCol],
  nodeportallocations: [nameCol, parentRefCol, ageCol],
  endpoints: [nameCol, { name: 'Endpoints', type: 'string', description: 'Endpoints of the service', cell: formatEndpoints }, ageCol],
  endpointslices: [
    nameCol,
    { name: 'AddressType', type: 'string', description: 'Type of address contained in this endpoint slice.', cell: (o) => get(o, 'addressType') ?? '' },
    { name: 'Ports', type: 'string', description: 'Ports contained in this endpoint slice.', cell: (o) => listMore(((get(o, 'ports') ?? []) as { port?: number }[]).map((p) => (p.port === undefined || p.port === null ? '*' : String(p.port)))) },
    { name: 'Endpoints', type: 'string', description: 'Endpoints contained in this endpoint slice.', cell: (o) => listMore(((get(o, 'endpoints') ?? []) as { addresses?: string[] }[]).flatMap((e) => e.addresses ?? [])) },
    ageCol,
  ],
};
