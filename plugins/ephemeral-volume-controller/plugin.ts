// kube's ephemeral-volume controller: a pod's generic ephemeral volume
// (`volumes[].ephemeral.volumeClaimTemplate`) gets the PVC `<pod>-<volume>` from the template, owned
// by the pod (controller: true), so it goes with the pod. A claim of that name the pod does not own
// is never taken over: a Warning Event says so (and the kubelet refuses to use it).
import { ephemeralClaimName, isAlreadyExists, PODS, PVCS, type PersistentVolumeClaim, type Pod } from '@skiff/api';
import { defineController, splitKey } from '@skiff/client';

/** ephemeral.VolumeIsForPod's refusal. */
export const notOwnedMessage = (pod: Pod, claim: string) => `PVC ${pod.metadata.namespace}/${claim} was not created for pod ${pod.metadata.namespace}/${pod.metadata.name} (pod is not owner)`;

export default defineController({
  name: 'ephemeral-volume-controller',
  version: '0.1.0',
  for: PODS,
  workers: 2,
  owns: [{ ref: PVCS }],
  setup(c) {
    const pods = c.informer<Pod>(PODS);
    const claims = c.informer<PersistentVolumeClaim>(PVCS);
    return async (key) => {
      const { namespace, name } = splitKey(key);
      const pod = pods.lister.get(namespace, name);
      if (!pod || pod.metadata.deletionTimestamp) return;
      for (const v of pod.spec?.volumes ?? []) {
        const tpl = v.ephemeral?.volumeClaimTemplate;
        if (!tpl) continue;
        const claimName = ephemeralClaimName(pod.metadata.name!, v.name);
        const existing = claims.lister.get(namespace, claimName);
        if (existing) {
          if (!existing.metadata.ownerReferences?.some((r) => r.controller && r.uid === pod.metadata.uid))
            c.recorder.record(pod, { type: 'Warning', reason: 'FailedBinding', message: notOwnedMessage(pod, claimName) });
          continue;
        }
        const claim: PersistentVolumeClaim = {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: {
            name: claimName,
            namespace,
            ...(tpl.metadata?.labels ? { labels: tpl.metadata.labels } : {}),
            ...(tpl.metadata?.annotations ? { annotations: tpl.metadata.annotations } : {}),
            ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name!, uid: pod.metadata.uid!, controller: true, blockOwnerDeletion: true }],
          },
          spec: structuredClone(tpl.spec) as PersistentVolumeClaim['spec'],
        };
        try {
          await c.kernel.create(PVCS, claim);
        } catch (e) {
          if (!isAlreadyExists(e)) {
            c.recorder.record(pod, { type: 'Warning', reason: 'FailedCreate', message: `error creating PVC ${namespace}/${claimName}: ${e instanceof Error ? e.message : String(e)}` });
            throw e;
          }
        }
      }
    };
  },
});
