// Printer columns of the Service IPAM kinds, as kube-apiserver prints IPAddress and ServiceCIDR
// (and Skiff's NodePortAllocation the same way as IPAddress, plus its age).
import type { KObject } from '@skiff/kernel';
import { ageCol, get, nameCol, type Column } from './table-kit.ts';

/** `services/default/web` (`<resource>.<group>/...` outside the core group), as kube prints parentRef. */
function parentRef(o: KObject): string {
  const ref = get(o, 'spec', 'parentRef');
  if (!ref) return '';
  const resource = `${String(ref.resource ?? '').toLowerCase()}${ref.group ? `.${ref.group}` : ''}`;
  return ref.namespace ? `${resource}/${ref.namespace}/${ref.name ?? ''}` : `${resource}/${ref.name ?? ''}`;
}

const parentRefCol: Column = { name: 'ParentRef', type: 'string', description: 'The object this allocation belongs to.', cell: parentRef };

export const networkingColumns: Record<string, Column[]> = {
  ipaddresses: [nameCol, parentRefCol],
  servicecidrs: [nameCol, { name: 'CIDRs', type: 'string', description: 'The CIDRs of the range.', cell: (o) => ((get(o, 'spec', 'cidrs') ?? []) as string[]).join(',') }, ageCol],
  nodeportallocations: [nameCol, parentRefCol, ageCol],
};
