// csi-provisioner: the node-local provisioner, deleter and resizer of CSI volumes, in the agent
// (kube's external-provisioner in node-deployment mode and external-resizer, for drivers whose
// volumes live on one node). It uses the drivers the `skiff.io/csi` plugin registered
// (CsiDriversToken). Keys: "namespace/name" for PVCs (provision, resize), "pv:<name>" for PVs
// (delete). Every node runs its own, for its own volumes: leader election is off by default.
import { hostname } from 'node:os';
import { PVCS, PVS, STORAGE_CLASSES, type KObject } from '@skiff/api';
import { defineController, splitKey } from '@skiff/client';
import { NodeNameToken, PluginTypes } from '@skiff/kernel/plugins';
import { csi } from '@skiff/node-api';
import { provisionerOf, type Pv, type Pvc, type StorageClass } from './objects.ts';
import { provisionClaim, type NodeProvisionerContext } from './provision.ts';
import { reclaimVolume, resizeClaim } from './reclaim.ts';

export interface CsiProvisionerConfig {
  /** default: the agent's node name (NodeNameToken), else the host name */
  nodeName?: string;
}

const PV_KEY = 'pv:';
const pvcKeyOf = (pv: KObject) => {
  const ref = (pv as Pv).spec?.claimRef;
  return ref?.namespace && ref.name ? [`${ref.namespace}/${ref.name}`] : [];
};

export default defineController<CsiProvisionerConfig>({
  name: 'csi-provisioner',
  version: '0.1.0',
  for: PVCS,
  requires: [PluginTypes.CSI],
  component: 'csi-provisioner',
  workers: 4,
  configSchema: {
    type: 'object',
    properties: {
      nodeName: { type: 'string', minLength: 1 },
      // each node acts on its own volumes only: no Lease to share with other nodes' provisioners
      leaderElection: { type: 'boolean', default: false },
    },
  },
  watches: [
    // a PV's changes: its own key (delete) and its claim's (resize, binding)
    { ref: PVS, map: (pv) => [`${PV_KEY}${pv.metadata.name}`, ...pvcKeyOf(pv)] },
  ],
  setup(c) {
    const nodeName = (c.config.nodeName ?? c.ctx.tryResolve(NodeNameToken) ?? hostname()).toLowerCase();
    const drivers = c.ctx.resolve(csi.CsiDriversToken);
    const pvcs = c.informer<Pvc>(PVCS);
    const pvs = c.informer<Pv>(PVS);
    const classes = c.informer<StorageClass>(STORAGE_CLASSES);
    // a class that appears or changes: its pending claims are looked at again
    const offClasses = classes.addEventHandler({
      onAdd: (sc) => requeueClaims((p) => p.spec.storageClassName === sc.metadata.name),
      onUpdate: (_o, sc) => requeueClaims((p) => p.spec.storageClassName === sc.metadata.name),
    });
    // a driver that registers (or comes back): everything it may have to do
    const offDrivers = drivers.onChange((e) => {
      if (e.type !== 'Registered') return;
      requeueClaims((p) => provisionerOf(p) === e.driver.name || Boolean(p.spec.volumeName));
      for (const pv of pvs.lister.list()) if (pv.spec.csi?.driver === e.driver.name) c.enqueue(`${PV_KEY}${pv.metadata.name}`);
    });
    c.signal.addEventListener('abort', () => {
      offClasses();
      offDrivers();
    });
    function requeueClaims(pred: (p: Pvc) => boolean) {
      for (const p of pvcs.lister.list()) if (pred(p)) c.enqueue(p);
    }
    const ctx: NodeProvisionerContext = {
      kernel: c.kernel,
      recorder: c.recorder,
      drivers,
      nodeName,
      logger: c.logger,
      storageClass: (name) => classes.lister.get(undefined, name),
      pv: (name) => pvs.lister.get(undefined, name),
    };
    return async (key) => {
      if (key.startsWith(PV_KEY)) {
        const pv = pvs.lister.get(undefined, key.slice(PV_KEY.length));
        if (pv) await reclaimVolume(ctx, structuredClone(pv));
        return;
      }
      const { namespace, name } = splitKey(key);
      const pvc = pvcs.lister.get(namespace, name);
      if (!pvc) return;
      if (pvc.spec.volumeName) await resizeClaim(ctx, structuredClone(pvc));
      else await provisionClaim(ctx, structuredClone(pvc));
    };
  },
});
