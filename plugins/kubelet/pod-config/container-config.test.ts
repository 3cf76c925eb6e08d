import { describe, expect, it } from 'vitest';
import { canonicalJSON, containerConfig, containerHash, containerKind, fnv1a32 } from './container-config.ts';
import { ContainerConfigError } from './errors.ts';
import { mkPod } from './testing.ts';
import type { Container } from './types.ts';

const GiB = 2 ** 30;

describe('containerConfig', () => {
  const app: Container = {
    name: 'app',
    image: 'busybox:1.35',
    command: ['sh', '-c', 'echo $(GREETING)'],
    args: ['$(NAME)', '$$(NAME)'],
    workingDir: '/work',
    stdin: true,
    tty: true,
    resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
  };
  const pod = mkPod({ containers: [app], initContainers: [{ name: 'init', image: 'busybox' }], terminationGracePeriodSeconds: 30 });
  const env = [{ key: 'GREETING', value: 'hi' }, { key: 'NAME', value: 'n' }];
  const mounts = [{ containerPath: '/data', hostPath: '/h', readonly: false, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' as const }];

  it('builds the whole config', () => {
    const cfg = containerConfig(pod, app, { attempt: 3, env, mounts, imageRef: 'sha256:abc', resources: { memoryCapacity: 8 * GiB } });
    expect(cfg).toEqual({
      metadata: { name: 'app', attempt: 3 },
      image: { image: 'sha256:abc', annotations: {}, userSpecifiedImage: 'busybox:1.35' },
      command: ['sh', '-c', 'echo hi'],
      args: ['n', '$(NAME)'],
      workingDir: '/work',
      envs: env,
      mounts,
      devices: [],
      labels: {
        'io.kubernetes.pod.name': 'web',
        'io.kubernetes.pod.namespace': 'ns1',
        'io.kubernetes.pod.uid': 'uid-1234',
        'io.kubernetes.container.name': 'app',
        'skiff.io/managed-by': 'skiff-agent',
      },
      annotations: {
        'io.kubernetes.container.hash': containerHash(app),
        'io.kubernetes.container.restartCount': '3',
        'io.kubernetes.pod.terminationGracePeriod': '30',
        'skiff.io/container-kind': 'app',
      },
      logPath: 'app/3.log',
      stdin: true,
      stdinOnce: false,
      tty: true,
      linux: {
        resources: expect.objectContaining({ cpuShares: 256, cpuQuota: 50000, cpuPeriod: 100000, memoryLimitInBytes: 128 * 2 ** 20 }),
        securityContext: expect.objectContaining({
          noNewPrivs: true,
          capabilities: { addCapabilities: [], dropCapabilities: ['ALL'], addAmbientCapabilities: [] },
          namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD', targetId: '' },
        }),
      },
    });
  });

  it('init containers', () => {
    const init = pod.spec.initContainers![0];
    expect(containerKind(pod, init)).toBe('init');
    const cfg = containerConfig(pod, init, { attempt: 0, env: [], mounts: [], imageRef: 'sha256:x', resources: { memoryCapacity: GiB } });
    expect(cfg.annotations['skiff.io/container-kind']).toBe('init');
    expect(cfg.command).toEqual([]);
    expect(cfg.logPath).toBe('init/0.log');
    expect(containerConfig(pod, init, { attempt: 0, env: [], mounts: [], imageRef: 'x', resources: { memoryCapacity: GiB }, managedBy: 't' }).labels['skiff.io/managed-by']).toBe('t');
  });

  it('runAsNonRoot: a ContainerConfigError', () => {
    const p = mkPod({ securityContext: { runAsNonRoot: true }, containers: [{ name: 'c' }] });
    expect(() => containerConfig(p, p.spec.containers[0], { attempt: 0, env: [], mounts: [], imageRef: 'x', resources: { memoryCapacity: GiB }, imageUser: { uid: 0 } })).toThrow(
      ContainerConfigError,
    );
  });
});

describe('containerHash', () => {
  const c: Container = { name: 'a', image: 'i:1', env: [{ name: 'X', value: '1' }], resources: { limits: { cpu: '1' } } };
  it('is stable over key order and ignores resources', () => {
    const reordered: Container = { resources: { limits: { cpu: '2' } }, env: [{ value: '1', name: 'X' }], image: 'i:1', name: 'a' };
    expect(containerHash(reordered)).toBe(containerHash(c));
    expect(containerHash(c)).toMatch(/^[0-9a-f]{1,8}$/);
  });
  it('changes with the spec', () => {
    expect(containerHash({ ...c, image: 'i:2' })).not.toBe(containerHash(c));
    expect(containerHash({ ...c, env: [{ name: 'X', value: '2' }] })).not.toBe(containerHash(c));
    expect(containerHash({ ...c, args: [] })).not.toBe(containerHash(c));
  });
  it('FNV-1a 32 and canonical JSON', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    expect(canonicalJSON({ b: [1, { d: 1, c: undefined }], a: 'x' })).toBe('{"a":"x","b":[1,{"d":1}]}');
  });
});
