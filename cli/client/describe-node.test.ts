import { describe, expect, it } from 'vitest';
import { formatAmount, nodeLines, podRequestsAndLimits } from './describe-node.ts';

const now = Date.parse('2026-12-07T12:00:00Z');
const node = {
  metadata: { name: 'n1', labels: { 'node-role.kubernetes.io/control-plane': '' } },
  spec: { podCIDR: '10.244.1.0/24', taints: [{ key: 'a', value: 'b', effect: 'NoSchedule' }, { key: 'c', effect: 'NoExecute' }] },
  status: {
    capacity: { cpu: '2', memory: '4Gi', pods: '110', 'example.com/widget': '4' },
    allocatable: { cpu: '2', memory: '4Gi', pods: '110', 'example.com/widget': '4' },
    conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2026-12-07T11:59:50Z', lastTransitionTime: '2026-12-07T10:00:00Z', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
    addresses: [{ type: 'InternalIP', address: '10.0.0.5' }, { type: 'Hostname', address: 'n1' }],
    nodeInfo: { kernelVersion: '6.1.0', osImage: 'Debian GNU/Linux 12', operatingSystem: 'linux', architecture: 'amd64', containerRuntimeVersion: 'containerd://1.6.20', kubeletVersion: 'v1.32.0-skiff' },
  },
};
const pod = (name: string, containers: object[], extra: object = {}) => ({ metadata: { name, namespace: 'default', creationTimestamp: '2026-12-07T11:00:00Z' }, spec: { nodeName: 'n1', containers, ...extra }, status: { phase: 'Running' } });

describe('describe node', () => {
  it('sums a pod as kubectl: containers added, the largest init container if larger, overhead on top', () => {
    const p = pod('x', [{ resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1' } } }, { resources: { requests: { cpu: '150m' } } }], {
      initContainers: [{ resources: { requests: { cpu: '500m', memory: '32Mi' } } }],
      overhead: { cpu: '10m' },
    });
    const { requests, limits } = podRequestsAndLimits(p);
    expect(requests.get('cpu')).toBe(510);
    expect(requests.get('memory')).toBe(64 * 2 ** 20);
    expect(limits.get('cpu')).toBe(1010); // overhead counts against limits too
    expect([formatAmount('cpu', 250), formatAmount('cpu', 2000), formatAmount('memory', 3 * 2 ** 27), formatAmount('memory', 1500)]).toEqual(['250m', '2', '384Mi', '1500']);
  });

  it('shows taints, lease, conditions, capacity, the pods and what is allocated, finished pods left out', () => {
    const pods = [
      pod('web', [{ resources: { requests: { cpu: '500m', memory: '1Gi', 'example.com/widget': '2' }, limits: { cpu: '1', memory: '1Gi', 'example.com/widget': '2' } } }]),
      pod('idle', []),
      { ...pod('done', [{ resources: { requests: { cpu: '1' } } }]), status: { phase: 'Succeeded' } },
    ];
    const text = nodeLines(node, pods, { spec: { holderIdentity: 'n1', renewTime: '2026-12-07T11:59:58.000000Z' } }, now).join('\n');
    expect(text).toContain('Taints:             a=b:NoSchedule\n                    c:NoExecute');
    expect(text).toMatch(/HolderIdentity: +n1\n +AcquireTime: +<unset>\n +RenewTime: +Mon, 07 Dec 2026 11:59:58 GMT/);
    expect(text).toMatch(/Ready +True +Mon, 07 Dec 2026 11:59:50 GMT +Mon, 07 Dec 2026 10:00:00 GMT +KubeletReady +kubelet is posting ready status/);
    expect(text).toContain('  InternalIP:  10.0.0.5');
    expect(text).toMatch(/Kubelet Version: +v1\.32\.0-skiff/);
    expect(text).toContain('Non-terminated Pods:          (2 in total)');
    expect(text).toMatch(/default +web +500m \(25%\) +1 \(50%\) +1Gi \(25%\) +1Gi \(25%\) +60m/);
    expect(text).toMatch(/default +idle +0 \(0%\) +0 \(0%\) +0 \(0%\) +0 \(0%\)/);
    expect(text).not.toContain('done');
    expect(text).toMatch(/cpu +500m \(25%\) +1 \(50%\)/);
    expect(text).toMatch(/memory +1Gi \(25%\) +1Gi \(25%\)/);
    expect(text).toMatch(/ephemeral-storage +0 \(0%\) +0 \(0%\)/);
    expect(text).toMatch(/example\.com\/widget +2 +2/);
  });
});
