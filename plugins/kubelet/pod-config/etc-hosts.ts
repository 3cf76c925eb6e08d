// The /etc/hosts the kubelet mounts into a pod's containers (kubelet_pods.go makeHostsMount,
// ensureHostsFile, managedHostsFileContent): for a pod network, localhost entries, a line per pod IP
// with the hostname (and `<hostname>.<subdomain>.<ns>.svc.<clusterDomain>` when the pod has a
// subdomain), then the hostAliases; for a host-network pod, the node's own hosts file plus the
// hostAliases. Written once the pod's IPs are known (after RunPodSandbox), to
// <root>/pods/<uid>/etc-hosts, mode 0644.
import { isDNS1123Label } from '@skiff/api';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Pod } from './types.ts';

export const MANAGED_HOSTS_HEADER = '# Kubernetes-managed hosts file.\n';
export const MANAGED_HOSTS_HEADER_HOST_NETWORK = '# Kubernetes-managed hosts file (host network).\n';

/** kube's truncatePodHostnameIfNeeded: at most 63 characters, no trailing '-' or '.'. */
export function truncateHostname(podName: string, hostname: string): string {
  if (hostname.length <= 63) return hostname;
  const truncated = hostname.slice(0, 63).replace(/[-.]+$/, '');
  if (!truncated) throw new Error(`hostname for pod "${podName}" was invalid: "${hostname}"`);
  return truncated;
}

/** kube's GeneratePodHostNameAndDomain: [hostname, domain] (domain '' without subdomain or cluster domain). */
export function podHostnameAndDomain(pod: Pod, clusterDomain = ''): [string, string] {
  let hostname = pod.metadata.name;
  if (pod.spec.hostname) {
    const errs = isDNS1123Label(pod.spec.hostname);
    if (errs.length) throw new Error(`pod Hostname "${pod.spec.hostname}" is not a valid DNS label: ${errs.join(';')}`);
    hostname = pod.spec.hostname;
  }
  hostname = truncateHostname(pod.metadata.name, hostname);
  let domain = '';
  if (pod.spec.subdomain && clusterDomain) {
    const errs = isDNS1123Label(pod.spec.subdomain);
    if (errs.length) throw new Error(`pod Subdomain "${pod.spec.subdomain}" is not a valid DNS label: ${errs.join(';')}`);
    domain = `${pod.spec.subdomain}.${pod.metadata.namespace ?? 'default'}.svc.${clusterDomain}`;
  }
  return [hostname, domain];
}

function hostAliasEntries(pod: Pod): string {
  const aliases = pod.spec.hostAliases ?? [];
  if (!aliases.length) return '';
  return `\n# Entries added by HostAliases.\n${aliases.map((a) => `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`).join('')}`;
}

export interface HostsOptions {
  /** the pod's IPs (from the sandbox's status); for host-network pods unused */
  podIPs: readonly string[];
  /** for a subdomain's FQDN entry */
  clusterDomain?: string;
  /** the node's /etc/hosts content, for host-network pods */
  nodeHostsContent?: string;
}

/** The hosts file's content. */
export function hostsFileContent(pod: Pod, opts: HostsOptions): string {
  if (pod.spec.hostNetwork) {
    return MANAGED_HOSTS_HEADER_HOST_NETWORK + (opts.nodeHostsContent ?? '') + hostAliasEntries(pod);
  }
  const [hostname, domain] = podHostnameAndDomain(pod, opts.clusterDomain);
  let s = MANAGED_HOSTS_HEADER;
  s += '127.0.0.1\tlocalhost\n';
  s += '::1\tlocalhost ip6-localhost ip6-loopback\n';
  s += 'fe00::0\tip6-localnet\n';
  s += 'fe00::0\tip6-mcastprefix\n';
  s += 'fe00::1\tip6-allnodes\n';
  s += 'fe00::2\tip6-allrouters\n';
  for (const ip of opts.podIPs) s += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return s + hostAliasEntries(pod);
}

/** Writes the hosts file to `path` (mode 0644, parents created). */
export async function writeHostsFile(path: string, pod: Pod, opts: HostsOptions): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, hostsFileContent(pod, opts), { mode: 0o644 });
}
