// Extended resources (kube's v1helper.IsExtendedResourceName): resource names outside the
// kubernetes.io/ domain, such as "example.com/widget", that device plugins or the node's own
// config offer and containers ask for in `resources.limits`.
import { isQualifiedName } from './names.ts';

/** The prefix of quota names for requests ("requests.cpu"). */
export const RESOURCE_REQUESTS_PREFIX = 'requests.';

/** A native resource: no domain, or the kubernetes.io/ domain (kube's IsNativeResource). */
export const isNativeResourceName = (name: string): boolean => !name.includes('/') || name.includes('kubernetes.io/');

/**
 * kube's IsExtendedResourceName: not native, not "requests."-prefixed, and a qualified name once
 * prefixed with "requests." (the name it gets in a ResourceQuota).
 */
export function isExtendedResourceName(name: string): boolean {
  if (isNativeResourceName(name) || name.startsWith(RESOURCE_REQUESTS_PREFIX)) return false;
  return isQualifiedName(RESOURCE_REQUESTS_PREFIX + name).length === 0;
}
