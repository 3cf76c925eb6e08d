import { describe, expect, it } from 'vitest';
import { containerDir, etcHostsPath, podDir, volumeDir } from './paths.ts';

describe('pod directory layout', () => {
  it('places things like kubelet does, under the root', () => {
    expect(podDir('/var/lib/skiff', 'u1')).toBe('/var/lib/skiff/pods/u1');
    expect(volumeDir('/r', 'u1', 'emptyDir', 'cache')).toBe('/r/pods/u1/volumes/kubernetes.io~empty-dir/cache');
    expect(volumeDir('/r', 'u1', 'secret', 's')).toBe('/r/pods/u1/volumes/kubernetes.io~secret/s');
    expect(volumeDir('/r', 'u1', 'downwardAPI', 'd')).toBe('/r/pods/u1/volumes/kubernetes.io~downward-api/d');
    expect(etcHostsPath('/r', 'u1')).toBe('/r/pods/u1/etc-hosts');
    expect(containerDir('/r', 'u1', 'app')).toBe('/r/pods/u1/containers/app');
  });

  it('refuses names that are not one path component', () => {
    for (const bad of ['', '.', '..', 'a/b']) {
      expect(() => podDir('/r', bad)).toThrow('invalid pod uid');
      expect(() => volumeDir('/r', 'u', 'emptyDir', bad)).toThrow('invalid volume name');
      expect(() => containerDir('/r', 'u', bad)).toThrow('invalid container name');
    }
  });
});
