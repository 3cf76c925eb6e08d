// The `skiff.io/device` plugin: the node's device manager (manager.ts) serving the Kubernetes
// device-plugin API in <rootDir>/device-plugins, provided to the kubelet as DeviceManagerToken.
// Listed before the kubelet in the agent's plugins, so the kubelet finds it when it starts.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { definePlugin, NodeNameToken, PluginTypes } from '@skiff/kernel/plugins';
import { devices } from '@skiff/node-api';
import { DEFAULT_GRACE_PERIOD_MS, NodeDeviceManager } from './manager.ts';

export interface DeviceManagerConfig {
  /** the agent's root directory (the kubelet's rootDir) */
  rootDir: string;
  /** the device-plugins directory; default <rootDir>/device-plugins */
  dir: string;
  /** default: the agent's node name, else the host name */
  nodeName: string;
  /** how long a gone plugin's devices stay in the node's capacity */
  gracePeriodSeconds: number;
  /** deadline of each call to a device plugin */
  callTimeoutSeconds: number;
}

export default definePlugin<DeviceManagerConfig>({
  name: 'device-manager',
  version: '0.1.0',
  type: PluginTypes.Device,
  provides: [devices.DeviceManagerToken],
  configSchema: {
    type: 'object',
    properties: {
      rootDir: { type: 'string', default: '/var/lib/skiff' },
      dir: { type: 'string', default: '' },
      nodeName: { type: 'string', default: '' },
      gracePeriodSeconds: { type: 'number', minimum: 0, default: DEFAULT_GRACE_PERIOD_MS / 1000 },
      callTimeoutSeconds: { type: 'number', exclusiveMinimum: 0, default: 10 },
    },
    additionalProperties: false,
  },
  async start(ctx) {
    const c = ctx.config;
    const manager = new NodeDeviceManager({
      dir: c.dir || join(c.rootDir, 'device-plugins'),
      nodeName: c.nodeName || ctx.tryResolve(NodeNameToken) || hostname().toLowerCase(),
      kernel: ctx.kernel,
      logger: ctx.logger,
      gracePeriodMs: c.gracePeriodSeconds * 1000,
      callTimeoutMs: c.callTimeoutSeconds * 1000,
    });
    await manager.start();
    ctx.provide(devices.DeviceManagerToken, manager);
    return { stop: () => manager.stop() };
  },
});
