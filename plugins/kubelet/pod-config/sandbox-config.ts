// Pod → CRI PodSandboxConfig, as kubelet's generatePodSandboxConfig (kuberuntime_sandbox.go):
// - metadata name / namespace / uid / attempt;
// - hostname: spec.hostname or the pod name (≤ 63 chars; with setHostnameAsFQDN and a cluster
//   domain, the FQDN), EMPTY for host-network pods (the runtime refuses one with a NODE network
//   namespace: the pod shares the node's UTS namespace); the subdomain is not part of it;
// - logDirectory <podLogRoot>/<ns>_<name>_<uid>;
// - dnsConfig (dns.ts);
// - portMappings: every container port (app containers), deduplicated by name as kubelet's
//   MakePortMappings does; the runtime acts on those with a hostPort;
// - labels: the pod's, then POD_NAME / POD_NAMESPACE / POD_UID / MANAGED_BY; annotations: the pod's;
// - linux: cgroupParent (given), sysctls (a name with '/' separators normalized to dots, as
//   kubelet's NormalizeName), security context (security-context.ts).
// Left out: pod overhead and sandbox-level resources (linux.overhead / linux.resources: only
// VM-based runtimes read them), Windows config.
import {
  DEFAULT_POD_LOG_ROOT, MANAGED_BY, MANAGED_BY_VALUE, POD_NAME, POD_NAMESPACE, POD_UID, podLogDirectory,
  type PodSandboxConfig, type PortMapping, type Protocol,
} from '@skiff/node-api';
import { podDNSConfig, type DNSOptions } from './dns.ts';
import { podHostnameAndDomain } from './etc-hosts.ts';
import { sandboxSecurityContext } from './security-context.ts';
import type { Container, EventRecorder, Pod } from './types.ts';

export interface SandboxOptions {
  /** 0 for the pod's first sandbox, +1 for each one that replaces it */
  attempt: number;
  /** default /var/log/pods */
  podLogRoot?: string;
  dns?: Omit<DNSOptions, 'recorder'>;
  /** the pod's cgroup (cgroupfs syntax); '' lets the runtime decide */
  cgroupParent?: string;
  /** the MANAGED_BY label's value (default MANAGED_BY_VALUE): another value hides the sandbox from the agents */
  managedBy?: string;
  recorder?: EventRecorder;
}

/** kube's NormalizeName: "net/ipv4/ip_forward" → "net.ipv4.ip_forward" (dots and slashes swap when '/' comes first). */
export function normalizeSysctlName(name: string): string {
  const dot = name.indexOf('.');
  const slash = name.indexOf('/');
  if (slash < 0 || (dot >= 0 && dot < slash)) return name;
  return name.replace(/[./]/g, (c) => (c === '/' ? '.' : '/'));
}

function toProtocol(p: string | undefined): Protocol {
  return p === 'UDP' ? 'UDP' : p === 'SCTP' ? 'SCTP' : 'TCP';
}

/** kube's MakePortMappings for one container. */
export function containerPortMappings(c: Container): PortMapping[] {
  const names = new Set<string>();
  const out: PortMapping[] = [];
  for (const p of c.ports ?? []) {
    const hostIp = p.hostIP ?? '';
    const family = hostIp === '' ? 'any' : hostIp.includes(':') ? 'v6' : 'v4';
    const protocol = toProtocol(p.protocol);
    const hostPort = p.hostPort ?? 0;
    const name = p.name || `${family}-${protocol}-${hostIp}:${p.containerPort}:${hostPort}`;
    if (names.has(name)) continue; // kubelet logs "Port name conflicted" and skips it
    names.add(name);
    out.push({ protocol, containerPort: p.containerPort, hostPort, hostIp });
  }
  return out;
}

/** The sandbox hostname: '' for host network; else hostname (or the FQDN with setHostnameAsFQDN). */
export function sandboxHostname(pod: Pod, clusterDomain?: string): string {
  if (pod.spec.hostNetwork) return '';
  const [hostname, domain] = podHostnameAndDomain(pod, clusterDomain);
  if (!pod.spec.setHostnameAsFQDN || !domain) return hostname;
  const fqdn = `${hostname}.${domain}`;
  if (fqdn.length > 64) throw new Error(`failed to construct FQDN from pod hostname and cluster domain, FQDN ${fqdn} is too long (64 characters is the max, ${fqdn.length} characters requested)`);
  return fqdn;
}

export function podSandboxConfig(pod: Pod, opts: SandboxOptions): PodSandboxConfig {
  const { name } = pod.metadata;
  const namespace = pod.metadata.namespace ?? 'default';
  const uid = pod.metadata.uid ?? '';
  const sysctls: Record<string, string> = {};
  for (const s of pod.spec.securityContext?.sysctls ?? []) sysctls[normalizeSysctlName(s.name)] = s.value;
  return {
    metadata: { name, namespace, uid, attempt: opts.attempt },
    hostname: sandboxHostname(pod, opts.dns?.clusterDomain),
    logDirectory: podLogDirectory(opts.podLogRoot ?? DEFAULT_POD_LOG_ROOT, namespace, name, uid),
    dnsConfig: podDNSConfig(pod, { ...opts.dns, recorder: opts.recorder }),
    portMappings: pod.spec.containers.flatMap(containerPortMappings),
    labels: {
      ...(pod.metadata.labels ?? {}),
      [POD_NAME]: name,
      [POD_NAMESPACE]: namespace,
      [POD_UID]: uid,
      [MANAGED_BY]: opts.managedBy ?? MANAGED_BY_VALUE,
    },
    annotations: { ...(pod.metadata.annotations ?? {}) },
    linux: {
      cgroupParent: opts.cgroupParent ?? '',
      securityContext: sandboxSecurityContext(pod),
      sysctls,
      overhead: null,
      resources: null,
    },
  };
}
