// Storage admission (type skiff.io/admission): kube's DefaultStorageClass,
// StorageObjectInUseProtection and PersistentVolumeClaimResize plugins.
import { PVCS, PVS, STORAGE_CLASSES, type StorageClass } from '@skiff/api';
import { SharedInformer } from '@skiff/client';
import type { AdmissionHandler, AdmissionRequest, Disposable } from '@skiff/kernel';
import type { AdmissionMatch } from '@skiff/kernel/bus';
import { definePlugin } from '@skiff/kernel/plugins';
import { StorageAdmission } from './storage-admission.ts';

export * from './storage-admission.ts';

type Op = 'CREATE' | 'UPDATE';
const on = (ref: { group: string; resource: string }, op: Op) => ({
  match: (r: AdmissionRequest) => r.kind.group === ref.group && r.kind.resource === ref.resource && !r.subresource && r.operation === op,
  matchSpec: { group: ref.group, resource: ref.resource, operations: [op] } as AdmissionMatch,
});

export default definePlugin<Record<string, never>>({
  name: 'storage-admission',
  version: '0.1.0',
  type: 'skiff.io/admission',
  configSchema: { type: 'object', properties: {}, additionalProperties: false },
  async start(ctx) {
    const { kernel, logger } = ctx;
    const informer = new SharedInformer<StorageClass>(kernel, STORAGE_CLASSES, {}, logger);
    const admission = new StorageAdmission(kernel, informer.lister);
    await informer.start();
    const handlers: (AdmissionHandler & { matchSpec: AdmissionMatch })[] = [
      { name: 'default-storage-class', phase: 'mutating', ...on(PVCS, 'CREATE'), handle: (r) => admission.admitClaimCreate(r) },
      { name: 'pv-protection', phase: 'mutating', ...on(PVS, 'CREATE'), handle: (r) => admission.admitVolumeCreate(r) },
      { name: 'persistent-volume-claim-resize', phase: 'validating', ...on(PVCS, 'UPDATE'), handle: (r) => admission.validateClaimResize(r) },
    ];
    const registered: Disposable[] = handlers.map((h) => kernel.registerAdmission(h));
    return {
      stop() {
        for (const d of registered) d.dispose();
        informer.stop();
      },
    };
  },
});
