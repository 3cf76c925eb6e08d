// kube's persistentvolume-binder controller with the pvc-protection and pv-protection controllers:
// binding of claims and volumes (static, and the hand-off to external provisioners), phases,
// reclaim, and the protection finalizers. One queue: claim keys are "namespace/name", volume keys
// a bare name (a PV is cluster-scoped), a StorageClass change "class:<name>" (names have no ':').
import {
  claimClassName, isDefaultStorageClass, PODS, podClaimNames, PVCS, PVS, STORAGE_CLASSES,
  type PersistentVolume, type PersistentVolumeClaim, type Pod, type StorageClass,
} from '@skiff/api';
import { defineController, splitKey } from '@skiff/client';
import { Claims } from './claims.ts';
import { Volumes } from './volumes.ts';

export { Claims, PENDING_RESYNC_MS } from './claims.ts';
export { Volumes } from './volumes.ts';

const claimKey = (ns: string | undefined, name: string) => `${ns ?? ''}/${name}`;
const CLASS_PREFIX = 'class:';

export default defineController({
  name: 'persistentvolume-controller',
  version: '0.1.0',
  for: PVCS,
  workers: 4,
  watches: [
    // a volume: itself, and the claim it names
    { ref: PVS, map: (pv) => { const r = (pv as PersistentVolume).spec?.claimRef; return r?.name ? [pv.metadata.name!, claimKey(r.namespace, r.name)] : [pv.metadata.name!]; } },
    // a claim: the volume it is bound to (a deleted claim releases it)
    { ref: PVCS, map: (c) => { const v = (c as PersistentVolumeClaim).spec?.volumeName; return v ? [v] : []; } },
    // a pod: its claims (protection waits for the pods using a claim; WaitForFirstConsumer for one)
    { ref: PODS, map: (p) => podClaimNames(p as Pod).map((n) => claimKey(p.metadata.namespace, n)) },
    // a class: the unbound claims of it
    { ref: STORAGE_CLASSES, map: (sc) => [CLASS_PREFIX + sc.metadata.name] },
  ],
  setup(c) {
    const claims = c.informer<PersistentVolumeClaim>(PVCS);
    const pvs = c.informer<PersistentVolume>(PVS);
    const classes = c.informer<StorageClass>(STORAGE_CLASSES);
    const pods = c.informer<Pod>(PODS);
    const volumes = new Volumes(c.kernel, pvs.lister, claims.lister, c.recorder, (k) => c.enqueue(k));
    const claimSync = new Claims(c.kernel, { claims: claims.lister, volumes: pvs.lister, classes: classes.lister, pods: pods.lister }, c.recorder, volumes);
    // leadership gained: every volume too (the kit re-queues only claims)
    c.onLeading(() => {
      for (const pv of pvs.lister.list()) c.enqueue(pv.metadata.name!);
    });
    return async (key) => {
      if (key.startsWith(CLASS_PREFIX)) {
        const cls = key.slice(CLASS_PREFIX.length);
        const sc = classes.lister.get(undefined, cls);
        const isDefault = sc !== undefined && isDefaultStorageClass(sc);
        for (const pvc of claims.lister.list()) {
          if (pvc.spec?.volumeName) continue;
          // its claims, and, for a default class, the claims without one (the retroactive default)
          if (claimClassName(pvc) === cls || (isDefault && (pvc.spec?.storageClassName ?? undefined) === undefined)) c.enqueue(pvc);
        }
        return;
      }
      if (!key.includes('/')) return void (await volumes.sync(key));
      const { namespace, name } = splitKey(key);
      const after = await claimSync.sync(namespace ?? '', name);
      return after === undefined ? undefined : { requeueAfterMs: after };
    };
  },
});
