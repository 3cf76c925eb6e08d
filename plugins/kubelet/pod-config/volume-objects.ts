// VolumeObjects (pv-source.ts) read through the Kernel: claims, volumes, secrets (core/v1), CSIDriver
// and VolumeAttachment (storage.k8s.io/v1). A missing object — or a kind the cluster does not
// serve (CSIDriver before the storage kinds are installed) — is undefined.
import type { Kernel } from '@skiff/kernel';
import type { Obj, VolumeObjects } from './pv-source.ts';

const GROUPS: Record<string, string> = { csidrivers: 'storage.k8s.io', volumeattachments: 'storage.k8s.io' };

const is404 = (e: unknown) => (e as { code?: unknown })?.code === 404 || (e as { status?: { code?: unknown } })?.status?.code === 404;

export function kernelVolumeObjects(kernel: Pick<Kernel, 'get'>): VolumeObjects {
  return {
    async get(resource, namespace, name) {
      try {
        return (await kernel.get({ group: GROUPS[resource] ?? '', version: 'v1', resource }, namespace, name)) as unknown as Obj;
      } catch (e) {
        if (is404(e)) return undefined;
        throw e;
      }
    },
  };
}
