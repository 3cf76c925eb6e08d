// The `skiff.io/csi` plugin: CSI on the node. It watches the agent's plugins_registry directory for
// drivers registering through pluginregistration.v1 (watcher.ts), keeps a CSI client per registered
// driver and provides them as CsiDriversToken (the kubelet's volumes and the node provisioner use
// them), and keeps the node's CSINode, its nodeid annotation and topology labels in line
// (node-info.ts). A refused registration is told to the registrar and recorded as a Warning Event
// on the Node.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { EventRecorder } from '@skiff/client';
import { definePlugin, NodeNameToken, PluginTypes } from '@skiff/kernel/plugins';
import { csi } from '@skiff/node-api';
import { NODES, NodeInfoSync } from './node-info.ts';
import { CsiDriverRegistry } from './registry.ts';
import { PluginWatcher } from './watcher.ts';

export interface CsiNodeConfig {
  /** the agent's root dir: drivers register in <rootDir>/plugins_registry */
  rootDir: string;
  /** default: the agent's node name (NodeNameToken), else the host name */
  nodeName?: string;
  /** rescan of the directory and liveness check of registered drivers, ms */
  resyncMs: number;
  /** deadline of the registration calls, ms */
  registrationTimeoutMs: number;
  /** default deadline of the calls made through the driver clients, ms */
  callTimeoutMs: number;
}

export const REGISTRY_DIR = 'plugins_registry';

export default definePlugin<CsiNodeConfig>({
  name: 'csi-node',
  version: '0.1.0',
  type: PluginTypes.CSI,
  provides: [csi.CsiDriversToken],
  configSchema: {
    type: 'object',
    properties: {
      rootDir: { type: 'string', minLength: 1, default: '/var/lib/skiff' },
      nodeName: { type: 'string', minLength: 1 },
      resyncMs: { type: 'integer', minimum: 100, default: 5000 },
      registrationTimeoutMs: { type: 'integer', minimum: 1, default: 10_000 },
      callTimeoutMs: { type: 'integer', minimum: 1, default: 30_000 },
    },
    additionalProperties: false,
  },
  async start(ctx) {
    const { config, logger, kernel } = ctx;
    const nodeName = (config.nodeName ?? ctx.tryResolve(NodeNameToken) ?? hostname()).toLowerCase();
    const registry = new CsiDriverRegistry();
    const nodeInfo = new NodeInfoSync(kernel, nodeName, registry, logger);
    const events = new EventRecorder(kernel, 'kubelet', logger, { host: nodeName });
    const nodeRef = async () => {
      const uid = await kernel.get(NODES, undefined, nodeName).then((n) => n.metadata.uid, () => undefined);
      return { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName, ...(uid ? { uid } : {}) } };
    };
    const unsubscribe = registry.onChange((e) => {
      if (e.type === 'Deregistered') nodeInfo.forget(e.driver.topologyKeys);
      void nodeInfo.kick();
      void nodeRef().then((n) =>
        events.record(n, e.type === 'Registered'
          ? { type: 'Normal', reason: 'CSIDriverRegistered', message: `CSI driver ${e.driver.name} registered (node ID ${e.driver.nodeId})` }
          : { type: 'Normal', reason: 'CSIDriverDeregistered', message: `CSI driver ${e.driver.name} is gone` }),
      );
    });
    const watcher = new PluginWatcher({
      dir: join(config.rootDir, REGISTRY_DIR),
      registry,
      logger,
      resyncMs: config.resyncMs,
      callTimeoutMs: config.registrationTimeoutMs,
      driverTimeoutMs: config.callTimeoutMs,
      onRefused: (socket, reason) =>
        void nodeRef().then((n) => events.record(n, { type: 'Warning', reason: 'CSIDriverRegistrationFailed', message: `${socket}: ${reason}` })),
    });
    await watcher.start();
    void nodeInfo.kick(); // the CSINode exists from the start, with no drivers yet (as kubelet makes it)
    ctx.provide(csi.CsiDriversToken, registry);
    return {
      async stop() {
        await watcher.stop();
        unsubscribe();
        registry.clear();
        await nodeInfo.stop();
        await events.stop();
      },
    };
  },
});
