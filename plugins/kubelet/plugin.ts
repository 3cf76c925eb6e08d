// The kubelet plugin (type skiff.io/node): registers this machine as a Node, keeps its Lease and
// status fresh, and runs the pods bound to it through the CRI runtime another plugin provides
// (skiff.io/cri: containerd's, plugins/cri-containerd). Run by `skiff agent`, which talks to the
// control plane over the kernel bus.
import { definePlugin, NodeNameToken } from '@skiff/kernel/plugins';
import { CriRuntimeToken, DEFAULT_POD_LOG_ROOT, devices as deviceApi } from '@skiff/node-api';
import { defaultNodeAddress, defaultNodeName, type NodeIdentity } from './node-object.ts';
import { NodeRegistration } from './node-registration.ts';
import { ResolvedDeviceManager } from './device-source.ts';
import { createPodConfigurer } from './pod-configurer-impl.ts';
import { PodManager } from './pod-manager.ts';

export interface KubeletConfig {
  /** default: the agent's node name, else the host name */
  nodeName: string;
  /** InternalIP; default: the machine's first non-loopback IPv4 address */
  nodeAddress: string;
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: string }[];
  maxPods: number;
  extendedResources: Record<string, string>;
  rootDir: string;
  podLogRoot: string;
  leaseDurationSeconds: number;
  leaseRenewSeconds: number;
  statusUpdateSeconds: number;
  statusReportSeconds: number;
  relistMs: number;
  resyncSeconds: number;
  /** the first crash-loop back-off step (kubelet: 10 s) */
  backoffInitialSeconds: number;
  /** nameservers for ClusterFirst pods (none: the node's resolv.conf, as kubelet without cluster DNS) */
  clusterDNS: string[];
  clusterDomain: string;
}

export default definePlugin<KubeletConfig>({
  name: 'kubelet',
  version: '0.1.0',
  type: 'skiff.io/node',
  requires: ['skiff.io/cri'],
  configSchema: {
    type: 'object',
    properties: {
      nodeName: { type: 'string', default: '' },
      nodeAddress: { type: 'string', default: '' },
      labels: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
      taints: {
        type: 'array',
        items: {
          type: 'object',
          properties: { key: { type: 'string', minLength: 1 }, value: { type: 'string' }, effect: { enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] } },
          required: ['key', 'effect'],
          additionalProperties: false,
        },
        default: [],
      },
      maxPods: { type: 'integer', minimum: 1, default: 110 },
      extendedResources: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
      rootDir: { type: 'string', default: '/var/lib/skiff' },
      podLogRoot: { type: 'string', default: DEFAULT_POD_LOG_ROOT },
      leaseDurationSeconds: { type: 'integer', minimum: 1, default: 40 },
      leaseRenewSeconds: { type: 'number', exclusiveMinimum: 0, default: 10 },
      statusUpdateSeconds: { type: 'number', exclusiveMinimum: 0, default: 10 },
      statusReportSeconds: { type: 'number', exclusiveMinimum: 0, default: 60 },
      relistMs: { type: 'integer', minimum: 50, default: 1000 },
      resyncSeconds: { type: 'number', exclusiveMinimum: 0, default: 10 },
      backoffInitialSeconds: { type: 'number', exclusiveMinimum: 0, default: 10 },
      clusterDNS: { type: 'array', items: { type: 'string' }, default: [] },
      clusterDomain: { type: 'string', default: 'cluster.local' },
    },
    additionalProperties: false,
  },
  async start(ctx) {
    const c = ctx.config;
    const cri = ctx.resolve(CriRuntimeToken);
    const id: NodeIdentity = {
      name: c.nodeName || ctx.tryResolve(NodeNameToken) || defaultNodeName(),
      address: c.nodeAddress || defaultNodeAddress(),
      labels: c.labels,
      taints: c.taints,
      maxPods: c.maxPods,
      extendedResources: c.extendedResources,
      rootDir: c.rootDir,
    };
    // the device manager of whichever skiff.io/device plugin runs (if any), resolved at each use
    const devices = new ResolvedDeviceManager(() => ctx.tryResolve(deviceApi.DeviceManagerToken));
    const registration = new NodeRegistration(ctx.kernel, cri, id, c, ctx.logger, devices);
    await registration.start();
    const configurer = createPodConfigurer({ kernel: ctx.kernel, cri, rootDir: c.rootDir, podLogRoot: c.podLogRoot, nodeName: id.name, clusterDNS: c.clusterDNS, clusterDomain: c.clusterDomain, devices });
    const pods = new PodManager(
      ctx.kernel,
      cri,
      configurer,
      { nodeName: id.name, hostIP: id.address, relistMs: c.relistMs, resyncMs: c.resyncSeconds * 1000, backoffInitialMs: c.backoffInitialSeconds * 1000, devices },
      ctx.logger,
    );
    await pods.start();
    ctx.logger.info('kubelet running', { node: id.name, address: id.address, deviceManager: ctx.tryResolve(deviceApi.DeviceManagerToken) !== undefined });
    return {
      async stop() {
        await pods.stop();
        registration.stop();
      },
    };
  },
});
