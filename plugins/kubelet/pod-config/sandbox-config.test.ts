import { describe, expect, it } from 'vitest';
import { containerPortMappings, normalizeSysctlName, podSandboxConfig, sandboxHostname } from './sandbox-config.ts';
import { mkPod } from './testing.ts';

describe('podSandboxConfig', () => {
  it('builds the whole config', () => {
    const pod = mkPod(
      {
        containers: [
          { name: 'web', ports: [{ containerPort: 80, hostPort: 8080 }, { name: 'metrics', containerPort: 9090 }, { containerPort: 53, hostPort: 53, protocol: 'UDP', hostIP: '127.0.0.1' }] },
          { name: 'side', ports: [{ containerPort: 7000, hostPort: 7000, protocol: 'SCTP' }] },
        ],
        initContainers: [{ name: 'init', ports: [{ containerPort: 1, hostPort: 1 }] }],
        securityContext: { sysctls: [{ name: 'net.core.somaxconn', value: '1024' }, { name: 'kernel/shm_rmid_forced', value: '1' }], runAsUser: 1000 },
        dnsPolicy: 'None',
        dnsConfig: { nameservers: ['1.1.1.1'] },
      },
      { labels: { app: 'web' }, annotations: { 'a.io/x': 'y' } },
    );
    const cfg = podSandboxConfig(pod, { attempt: 2, podLogRoot: '/logs', cgroupParent: '/kubepods/burstable/poduid-1234' });
    expect(cfg).toEqual({
      metadata: { name: 'web', namespace: 'ns1', uid: 'uid-1234', attempt: 2 },
      hostname: 'web',
      logDirectory: '/logs/ns1_web_uid-1234',
      dnsConfig: { servers: ['1.1.1.1'], searches: [], options: [] },
      portMappings: [
        { protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIp: '' },
        { protocol: 'TCP', containerPort: 9090, hostPort: 0, hostIp: '' },
        { protocol: 'UDP', containerPort: 53, hostPort: 53, hostIp: '127.0.0.1' },
        { protocol: 'SCTP', containerPort: 7000, hostPort: 7000, hostIp: '' },
      ],
      labels: {
        app: 'web',
        'io.kubernetes.pod.name': 'web',
        'io.kubernetes.pod.namespace': 'ns1',
        'io.kubernetes.pod.uid': 'uid-1234',
        'skiff.io/managed-by': 'skiff-agent',
      },
      annotations: { 'a.io/x': 'y' },
      linux: {
        cgroupParent: '/kubepods/burstable/poduid-1234',
        securityContext: expect.objectContaining({
          namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD', targetId: '' },
          runAsUser: { value: 1000 },
          privileged: false,
        }),
        sysctls: { 'net.core.somaxconn': '1024', 'kernel.shm_rmid_forced': '1' },
        overhead: null,
        resources: null,
      },
    });
  });

  it('host network: no hostname, NODE network namespace', () => {
    const cfg = podSandboxConfig(mkPod({ hostNetwork: true, hostname: 'ignored', dnsPolicy: 'Default' }), { attempt: 0, dns: { resolvConf: 'nameserver 9.9.9.9\n' } });
    expect(cfg.hostname).toBe('');
    expect(cfg.linux?.securityContext?.namespaceOptions?.network).toBe('NODE');
    expect(cfg.dnsConfig).toEqual({ servers: ['9.9.9.9'], searches: [], options: [] });
    expect(cfg.logDirectory).toBe('/var/log/pods/ns1_web_uid-1234');
    expect(cfg.linux?.cgroupParent).toBe('');
  });

  it('the pod labels cannot override the kubelet ones', () => {
    const cfg = podSandboxConfig(mkPod({}, { labels: { 'io.kubernetes.pod.name': 'forged', 'skiff.io/managed-by': 'me' } }), { attempt: 0 });
    expect(cfg.labels['io.kubernetes.pod.name']).toBe('web');
    expect(cfg.labels['skiff.io/managed-by']).toBe('skiff-agent');
    expect(podSandboxConfig(mkPod(), { attempt: 0, managedBy: 'tests' }).labels['skiff.io/managed-by']).toBe('tests');
  });

  it('hostnames: spec.hostname, the subdomain ignored, setHostnameAsFQDN', () => {
    expect(sandboxHostname(mkPod({ hostname: 'h', subdomain: 's' }), 'cluster.local')).toBe('h');
    expect(sandboxHostname(mkPod({ hostname: 'h', subdomain: 's', setHostnameAsFQDN: true }), 'cluster.local')).toBe('h.s.ns1.svc.cluster.local');
    expect(() => sandboxHostname(mkPod({ hostname: 'h'.repeat(41), subdomain: 's', setHostnameAsFQDN: true }), 'cluster.local')).toThrow(/is too long \(64 characters is the max/);
    expect(() => podSandboxConfig(mkPod({ hostname: 'NOPE' }), { attempt: 0 })).toThrow(/not a valid DNS label/);
  });

  it('port mappings: kube MakePortMappings dedup by name', () => {
    expect(
      containerPortMappings({
        name: 'c',
        ports: [
          { containerPort: 80, hostPort: 80 },
          { containerPort: 80, hostPort: 80 }, // same generated name: dropped
          { containerPort: 80, hostPort: 80, hostIP: '::1' }, // another family: kept
          { name: 'a', containerPort: 81 },
          { name: 'a', containerPort: 82 }, // same name: dropped
        ],
      }),
    ).toEqual([
      { protocol: 'TCP', containerPort: 80, hostPort: 80, hostIp: '' },
      { protocol: 'TCP', containerPort: 80, hostPort: 80, hostIp: '::1' },
      { protocol: 'TCP', containerPort: 81, hostPort: 0, hostIp: '' },
    ]);
  });

  it('sysctl names: kube NormalizeName', () => {
    expect(normalizeSysctlName('net.ipv4.ip_forward')).toBe('net.ipv4.ip_forward');
    expect(normalizeSysctlName('net/ipv4/ip_forward')).toBe('net.ipv4.ip_forward');
    expect(normalizeSysctlName('net/ipv4/conf/eno2.100/rp_filter')).toBe('net.ipv4.conf.eno2/100.rp_filter');
    expect(normalizeSysctlName('net.ipv4.conf.eno2/100.rp_filter')).toBe('net.ipv4.conf.eno2/100.rp_filter');
  });
});
