import { describe, expect, it } from 'vitest';
import type { ContainerConfig } from '@skiff/node-api';
import type { KObject } from '@skiff/kernel';
import { containerDeviceRequests, containerRef, withDevices } from './devices.ts';

describe('containerDeviceRequests', () => {
  it('takes the extended resources of limits (requests when there is no limit), in whole devices', () => {
    const c = { name: 'c', resources: { limits: { cpu: '1', 'example.com/widget': '2', 'nvidia.com/gpu': 1 }, requests: { 'example.com/widget': '1', 'vendor.io/fpga': '3', memory: '1Gi' } } };
    expect(containerDeviceRequests(c)).toEqual({ 'example.com/widget': 2, 'nvidia.com/gpu': 1, 'vendor.io/fpga': 3 });
    expect(containerDeviceRequests({ name: 'c', resources: { limits: { 'kubernetes.io/x': '1', 'hugepages-2Mi': '2Mi', 'example.com/w': '0' } } })).toEqual({});
    expect(containerDeviceRequests({ name: 'c' })).toEqual({});
  });
});

describe('withDevices', () => {
  const config = {
    envs: [{ key: 'A', value: 'mine' }],
    mounts: [{ containerPath: '/data', hostPath: '/x', readonly: false, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' }],
    devices: [],
    annotations: { 'io.kubernetes.container.hash': 'abc' },
  } as unknown as ContainerConfig;

  it('adds the devices\' env, mounts, device nodes and annotations; the container\'s own env and mounts win', () => {
    const out = withDevices(config, {
      deviceIds: { 'example.com/widget': ['w-0'] },
      envs: [{ key: 'A', value: 'device' }, { key: 'WIDGET_IDS', value: 'w-0' }],
      mounts: [
        { containerPath: '/data', hostPath: '/other', readonly: true, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' },
        { containerPath: '/usr/lib/widget', hostPath: '/opt/widget/lib', readonly: true, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' },
      ],
      devices: [{ containerPath: '/dev/widget0', hostPath: '/dev/widget0', permissions: 'rw' }],
      annotations: { 'example.com/widget-ids': 'w-0', 'io.kubernetes.container.hash': 'nope' },
    });
    expect(out.envs).toEqual([{ key: 'WIDGET_IDS', value: 'w-0' }, { key: 'A', value: 'mine' }]);
    expect(out.mounts.map((m) => [m.containerPath, m.hostPath])).toEqual([['/data', '/x'], ['/usr/lib/widget', '/opt/widget/lib']]);
    expect(out.devices).toEqual([{ containerPath: '/dev/widget0', hostPath: '/dev/widget0', permissions: 'rw' }]);
    expect(out.annotations).toEqual({ 'example.com/widget-ids': 'w-0', 'io.kubernetes.container.hash': 'abc' });
  });
});

describe('containerRef', () => {
  it('marks init containers that run to completion (not sidecars): their devices pass on', () => {
    const pod = {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u' },
      spec: { initContainers: [{ name: 'setup' }, { name: 'side', restartPolicy: 'Always' }], containers: [{ name: 'app' }] },
    } as KObject;
    expect(containerRef(pod, 'setup')).toEqual({ podUid: 'u', podNamespace: 'ns', podName: 'p', container: 'setup', init: true });
    expect(containerRef(pod, 'side').init).toBeUndefined();
    expect(containerRef(pod, 'app').init).toBeUndefined();
  });
});
