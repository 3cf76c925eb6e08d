import { describe, expect, it } from 'vitest';
import { parseResolvConf, podDNSConfig } from './dns.ts';
import { mkPod } from './testing.ts';
import type { PodEvent, PodSpec } from './types.ts';

const RESOLV = `# generated
nameserver 192.168.0.1
nameserver 192.168.0.2
search old.example
search example.com. corp.example .
options ndots:2 timeout:1
options attempts:3 ndots:3
nameserver
`;

describe('resolv.conf', () => {
  it('parses like kubelet: servers add up, the last search wins, options merge by name', () => {
    expect(parseResolvConf(RESOLV)).toEqual({
      servers: ['192.168.0.1', '192.168.0.2'],
      searches: ['example.com', 'corp.example'],
      options: ['ndots:3', 'timeout:1', 'attempts:3'],
    });
    expect(parseResolvConf('')).toEqual({ servers: [], searches: [], options: [] });
  });
});

describe('podDNSConfig', () => {
  const pod = (spec: Partial<PodSpec> = {}) => mkPod(spec);
  const cluster = { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', resolvConf: RESOLV };

  it('ClusterFirst with cluster DNS: cluster server, cluster searches then the node ones, ndots:5', () => {
    expect(podDNSConfig(pod(), cluster)).toEqual({
      servers: ['10.96.0.10'],
      searches: ['ns1.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'example.com', 'corp.example'],
      options: ['ndots:5'],
    });
  });

  it('ClusterFirst without cluster DNS falls back to Default, with a MissingClusterDNS warning', () => {
    const events: PodEvent[] = [];
    expect(podDNSConfig(pod({ dnsPolicy: 'ClusterFirst' }), { resolvConf: RESOLV, recorder: (e) => events.push(e) })).toEqual(parseResolvConf(RESOLV));
    expect(events.map((e) => e.reason)).toEqual(['MissingClusterDNS']);
    expect(events[0].message).toContain('Falling back to "Default" policy');
  });

  it('Default: the node resolv.conf; without one, 127.0.0.1 (::1 on IPv6 nodes) and search "."', () => {
    expect(podDNSConfig(pod({ dnsPolicy: 'Default' }), cluster)).toEqual(parseResolvConf(RESOLV));
    expect(podDNSConfig(pod({ dnsPolicy: 'Default' }), {})).toEqual({ servers: ['127.0.0.1'], searches: ['.'], options: [] });
    expect(podDNSConfig(pod({ dnsPolicy: 'Default' }), { nodeIPs: ['fd00::1'] })).toEqual({ servers: ['::1'], searches: ['.'], options: [] });
  });

  it('host network: ClusterFirst means Default, ClusterFirstWithHostNet means cluster', () => {
    expect(podDNSConfig(pod({ hostNetwork: true }), cluster)).toEqual(parseResolvConf(RESOLV));
    expect(podDNSConfig(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), cluster).servers).toEqual(['10.96.0.10']);
  });

  it('None: only spec.dnsConfig', () => {
    const spec: Partial<PodSpec> = {
      dnsPolicy: 'None',
      dnsConfig: { nameservers: ['1.1.1.1', '1.1.1.1'], searches: ['a.example'], options: [{ name: 'ndots', value: '1' }, { name: 'edns0' }] },
    };
    expect(podDNSConfig(pod(spec), cluster)).toEqual({ servers: ['1.1.1.1'], searches: ['a.example'], options: ['ndots:1', 'edns0'] });
  });

  it('dnsConfig merges into the policy result: duplicates dropped, the pod options win', () => {
    const spec: Partial<PodSpec> = { dnsConfig: { nameservers: ['10.96.0.10', '8.8.8.8'], searches: ['svc.cluster.local', 'x.example'], options: [{ name: 'ndots', value: '2' }] } };
    expect(podDNSConfig(pod(spec), cluster)).toEqual({
      servers: ['10.96.0.10', '8.8.8.8'],
      searches: ['ns1.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'example.com', 'corp.example', 'x.example'],
      options: ['ndots:2'],
    });
  });

  it('cuts to 3 nameservers and 32 search domains / 2048 characters, with a warning', () => {
    const events: PodEvent[] = [];
    const searches = Array.from({ length: 40 }, (_, i) => `d${i}.example`);
    const r = podDNSConfig(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1', '2.2.2.2', '3.3.3.3', '4.4.4.4'], searches } }), {
      recorder: (e) => events.push(e),
    });
    expect(r.servers).toEqual(['1.1.1.1', '2.2.2.2', '3.3.3.3']);
    expect(r.searches).toEqual(searches.slice(0, 32));
    expect(events.map((e) => e.reason)).toEqual(['DNSConfigForming', 'DNSConfigForming']);
    const long = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(3, '0')}${'x'.repeat(200)}.example`);
    expect(podDNSConfig(pod({ dnsPolicy: 'None', dnsConfig: { searches: long } })).searches.join(' ').length).toBeLessThanOrEqual(2048);
  });
});
