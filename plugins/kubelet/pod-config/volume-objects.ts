// VolumeObjects (pv-source.ts) read through the Kernel: claims, volumes, secrets (core/v1), CSIDriver
// and VolumeAttachment (storage.k8s.io/v1). A missing object — or a kind the cluster does not
// serve (CSIDriver before the storage kinds are installed) — is undefined.
import { isNotFound } from '@skiff/api';
import type { Kernel } from '@skiff/kernel';
import type { Obj, VolumeObjects } from './pv-source.ts';

const GROUPS: Record<string, string> = { csidrivers: 'storage.k8s.io', volumeattachments: 'storage.k8s.io' };

export function kernelVolumeObjects(kernel: Pick<Kernel, 'get'>): VolumeObjects {
  return {
    async get(resource, namespace, name) {
      try {
        return (await kernel.get({ group: GROUPS[resource] ?? '', version: 'v1', resource }, namespace, name)) as unknown as Obj;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
  };
}
