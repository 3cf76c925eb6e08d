import { describe, expect, it } from 'vitest';
import { ContainerConfigError } from './errors.ts';
import {
  containerSecurityContext, DEFAULT_MASKED_PATHS, effectiveSecurityContext, hasPrivilegedContainer, namespacesForPod, sandboxSecurityContext, seccompProfile,
  verifyRunAsNonRoot,
} from './security-context.ts';
import { mkPod } from './testing.ts';
import type { Container, PodSpec } from './types.ts';

describe('namespaces', () => {
  it.each<[Partial<PodSpec>, object]>([
    [{}, { network: 'POD', pid: 'CONTAINER', ipc: 'POD' }],
    [{ hostNetwork: true }, { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' }],
    [{ hostPID: true, shareProcessNamespace: true }, { network: 'POD', pid: 'NODE', ipc: 'POD' }],
    [{ shareProcessNamespace: true }, { network: 'POD', pid: 'POD', ipc: 'POD' }],
    [{ hostIPC: true }, { network: 'POD', pid: 'CONTAINER', ipc: 'NODE' }],
  ])('%j → %j', (spec, ns) => expect(namespacesForPod(mkPod(spec))).toEqual({ ...ns, targetId: '' }));
});

describe('security contexts', () => {
  it('the container overrides the pod for user, group, nonRoot, seccomp, selinux', () => {
    const pod = mkPod({ securityContext: { runAsUser: 1000, runAsGroup: 3000, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } });
    const c: Container = { name: 'a', securityContext: { runAsUser: 2000, privileged: false } };
    expect(effectiveSecurityContext(pod, c)).toEqual({ runAsUser: 2000, runAsGroup: 3000, runAsNonRoot: true, privileged: false, seccompProfile: { type: 'RuntimeDefault' } });
  });

  it('sandbox: pod user/group, supplemental groups with fsGroup first, privileged if any container is, seccomp RuntimeDefault', () => {
    const pod = mkPod({
      securityContext: { runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000, 5000] },
      initContainers: [{ name: 'i', securityContext: { privileged: true } }],
    });
    expect(hasPrivilegedContainer(pod)).toBe(true);
    expect(sandboxSecurityContext(pod)).toEqual({
      namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD', targetId: '' },
      selinuxOptions: null,
      runAsUser: { value: 1000 },
      runAsGroup: { value: 3000 },
      readonlyRootfs: false,
      supplementalGroups: [2000, 4000, 5000],
      privileged: true,
      seccomp: { profileType: 'RuntimeDefault', localhostRef: '' },
      apparmor: null,
    });
    expect(sandboxSecurityContext(mkPod())).toMatchObject({ runAsUser: null, runAsGroup: null, privileged: false, supplementalGroups: [] });
  });

  it('container: capabilities, privileged, readonly rootfs, noNewPrivs only for an explicit false', () => {
    const pod = mkPod({ hostPID: true });
    const c: Container = {
      name: 'a',
      securityContext: { capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] }, privileged: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsUser: 0 },
    };
    const sc = containerSecurityContext(pod, c);
    expect(sc).toMatchObject({
      capabilities: { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['ALL'], addAmbientCapabilities: [] },
      privileged: true,
      readonlyRootfs: true,
      noNewPrivs: true,
      runAsUser: { value: 0 },
      namespaceOptions: { network: 'POD', pid: 'NODE', ipc: 'POD', targetId: '' },
      maskedPaths: DEFAULT_MASKED_PATHS,
      seccomp: { profileType: 'Unconfined', localhostRef: '' },
    });
    expect(containerSecurityContext(pod, { name: 'b', securityContext: { allowPrivilegeEscalation: true } }).noNewPrivs).toBe(false);
    expect(containerSecurityContext(pod, { name: 'b' })).toMatchObject({ noNewPrivs: false, capabilities: null, privileged: false, runAsUser: null });
    expect(containerSecurityContext(pod, { name: 'b', securityContext: { procMount: 'Unmasked' } })).toMatchObject({ maskedPaths: [], readonlyPaths: [] });
  });

  it('container user: its own, else the image uid, else the image user name', () => {
    const pod = mkPod();
    expect(containerSecurityContext(pod, { name: 'a' }, { image: { uid: 65534 } })).toMatchObject({ runAsUser: { value: 65534 }, runAsUsername: '' });
    expect(containerSecurityContext(pod, { name: 'a' }, { image: { username: 'nobody' } })).toMatchObject({ runAsUser: null, runAsUsername: 'nobody' });
    expect(containerSecurityContext(pod, { name: 'a', securityContext: { runAsUser: 7 } }, { image: { username: 'nobody' } })).toMatchObject({
      runAsUser: { value: 7 },
      runAsUsername: '',
    });
  });

  it('seccomp profiles', () => {
    expect(seccompProfile(undefined)).toEqual({ profileType: 'Unconfined', localhostRef: '' });
    expect(seccompProfile(undefined, { seccompDefault: true })).toEqual({ profileType: 'RuntimeDefault', localhostRef: '' });
    expect(seccompProfile({ type: 'Localhost', localhostProfile: 'my.json' }, { seccompRoot: '/s' })).toEqual({ profileType: 'Localhost', localhostRef: '/s/my.json' });
    expect(() => seccompProfile({ type: 'Localhost' })).toThrow(ContainerConfigError);
    expect(() => seccompProfile({ type: 'Bogus' })).toThrow(ContainerConfigError);
  });

  it('runAsNonRoot is checked against a numeric uid', () => {
    const pod = mkPod({ securityContext: { runAsNonRoot: true } }, { name: 'p', namespace: 'n', uid: 'u' });
    expect(() => verifyRunAsNonRoot(pod, { name: 'c', securityContext: { runAsUser: 0 } })).toThrow(
      `container's runAsUser breaks non-root policy (pod: "p_n(u)", container: c)`,
    );
    verifyRunAsNonRoot(pod, { name: 'c', securityContext: { runAsUser: 1000 } });
    expect(() => verifyRunAsNonRoot(pod, { name: 'c' }, { uid: 0 })).toThrow('container has runAsNonRoot and image will run as root (pod: "p_n(u)", container: c)');
    expect(() => verifyRunAsNonRoot(pod, { name: 'c' }, { username: 'app' })).toThrow(
      'container has runAsNonRoot and image has non-numeric user (app), cannot verify user is non-root (pod: "p_n(u)", container: c)',
    );
    verifyRunAsNonRoot(pod, { name: 'c' }, { uid: 1000 });
    verifyRunAsNonRoot(pod, { name: 'c' }, {}); // unknown image user: like kubelet, allowed
    verifyRunAsNonRoot(mkPod(), { name: 'c' }, { uid: 0 }); // not asked
    // the container can lift the pod's requirement
    verifyRunAsNonRoot(pod, { name: 'c', securityContext: { runAsNonRoot: false } }, { uid: 0 });
  });
});
