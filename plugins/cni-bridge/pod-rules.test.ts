import { describe, expect, it } from 'vitest';
import { elementKey, podElements, podNetOf, type PodNet } from './pod-rules.ts';

const pod = (name: string, o: { ip?: string; hostNetwork?: boolean; phase?: string; ports?: unknown[]; created?: string } = {}) => ({
  metadata: { namespace: 'default', name, creationTimestamp: o.created ?? '2025-01-01T00:00:00Z' },
  spec: { hostNetwork: o.hostNetwork, containers: [{ ports: (o.ports ?? []) as never }] },
  status: { phase: o.phase ?? 'Running', podIP: o.ip },
});

describe('podNetOf', () => {
  it('takes the IPv4 pod address and the hostPorts (protocol lower-cased, containerPort defaulting to hostPort)', () => {
    expect(podNetOf(pod('a', { ip: '10.244.1.5', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, hostPort: 53, protocol: 'UDP', hostIP: '192.0.2.1' }, { containerPort: 9000 }] }))).toEqual({
      key: 'default/a',
      ip: '10.244.1.5',
      created: '2025-01-01T00:00:00Z',
      hostPorts: [
        { protocol: 'tcp', hostPort: 8080, containerPort: 80 },
        { protocol: 'udp', hostPort: 53, containerPort: 53, hostIP: '192.0.2.1' },
      ],
    });
  });

  it('nothing for hostNetwork pods, pods without an address yet, finished pods; bad ports are skipped', () => {
    expect(podNetOf(pod('a', { ip: '10.244.1.5', hostNetwork: true }))).toBeUndefined();
    expect(podNetOf(pod('a'))).toBeUndefined();
    expect(podNetOf(pod('a', { ip: '10.244.1.5', phase: 'Succeeded' }))).toBeUndefined();
    expect(podNetOf(pod('a', { ip: '10.244.1.5', ports: [{ hostPort: 70000 }, { hostPort: 1, protocol: 'ICMP' }, { hostPort: 2, hostIP: 'fd00::1' }] }))?.hostPorts).toEqual([]);
  });
});

describe('podElements', () => {
  const net = (key: string, ip: string, created: string, hostPorts: PodNet['hostPorts'] = []): PodNet => ({ key, ip, created, hostPorts });

  it('per pod: its address, its hostPorts as map elements, a hairpin element when it has hostPorts', () => {
    const { elements, conflicts } = podElements([net('d/a', '10.0.0.2', '1', [{ protocol: 'tcp', hostPort: 80, containerPort: 8080 }, { protocol: 'udp', hostPort: 53, containerPort: 53, hostIP: '192.0.2.1' }]), net('d/b', '10.0.0.3', '1')]);
    expect(conflicts).toEqual([]);
    expect([...elements['pod-ips']]).toEqual(['10.0.0.2', '10.0.0.3']);
    expect([...elements['pod-hostports']]).toEqual(['tcp . 80 : 10.0.0.2 . 8080']);
    expect([...elements['pod-hostip-ports']]).toEqual(['192.0.2.1 . udp . 53 : 10.0.0.2 . 53']);
    expect([...elements['pod-hairpin']]).toEqual(['10.0.0.2 . 10.0.0.2']);
    expect(elementKey('tcp . 80 : 10.0.0.2 . 8080')).toBe('tcp . 80');
  });

  it('two pods on one hostPort: the newer gets it, the other is named; one address held twice is one element', () => {
    const hp = [{ protocol: 'tcp' as const, hostPort: 80, containerPort: 80 }];
    const { elements, conflicts } = podElements([net('d/old', '10.0.0.2', '2025-01-01', hp), net('d/new', '10.0.0.3', '2025-01-02', hp), net('d/gone', '10.0.0.3', '2024-01-01')]);
    expect([...elements['pod-hostports']]).toEqual(['tcp . 80 : 10.0.0.3 . 80']);
    expect(conflicts).toEqual(['d/old asks for hostPort tcp/80 that d/new has']);
    expect(elements['pod-ips'].size).toBe(2);
  });
});
