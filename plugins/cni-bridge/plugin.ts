// The bridge CNI plugin (type skiff.io/cni, node side): owns the node's CNI network config. It
// waits for its Node's spec.podCIDR (given by node IPAM), writes the conflist (conflist.ts) into the
// CNI conf dir containerd's CRI plugin reads, and rewrites it when the podCIDR changes. containerd
// then runs the chain for every pod sandbox; CniExec (cni-exec.ts) runs it the same way for checks,
// cleanup and tests.
//
// With the default chain (`nftables`: bridge + host-local only) it also owns the node's pod
// masquerade, hostPorts and forwarding in nftables (pod-rules.ts, pod-nftables.ts): it watches the
// node's pods and keeps their addresses and hostPorts as set and map elements of `table inet
// skiff`, and opens the cluster CIDR in iptables' FORWARD once (forward-accept.ts).
//
// It provides the node's network configuration (NodeNetworkToken: the conflist written, its pod
// CIDRs) and a runner of CNI chains with its binDir (CniPluginsToken) to the agent's other plugins
// (the CNI contract of @skiff/node-api).
//
// At start it also asks every plugin of the chain for its VERSION (in the background) and warns
// when one is missing from binDir or does not speak the conflist's cniVersion.
import { hostname } from 'node:os';
import { PODS, type Pod } from '@skiff/api';
import { SharedInformerFactory } from '@skiff/client';
import { Nft } from '@skiff/client/nftables';
import { definePlugin, NodeNameToken, type PluginContext } from '@skiff/kernel/plugins';
import { CniPluginsToken, NodeNetworkToken } from '@skiff/node-api';
import { CniConfigWriter, DEFAULT_CONF_DIR, DEFAULT_CONF_FILE } from './cni-config-writer.ts';
import { CniExec } from './cni-exec.ts';
import { buildConflist, CNI_VERSION, DEFAULT_BRIDGE, DEFAULT_DATA_DIR, type ConflistChain } from './conflist.ts';
import { ensureForwardAccept } from './forward-accept.ts';
import { PodNftables } from './pod-nftables.ts';
import { podNetOf } from './pod-rules.ts';
import { NodeConfSync } from './node-conf-sync.ts';
import { NodeNetworkState } from './node-network.ts';

export interface CniBridgeConfig {
  /** where containerd looks for network configs (its `conf_dir`) */
  confDir: string;
  /** the conflist's file name in confDir */
  confFileName: string;
  /** where the plugin binaries are (containerd's `bin_dir`) */
  binDir: string;
  bridgeName: string;
  /** host-local IPAM's lease directory */
  dataDir: string;
  /** this node's Node object (default: the host name, lower case, as kubelet does) */
  nodeName?: string;
  /** `nftables`: bridge + host-local, masquerade/hostPorts/forwarding in nftables; `legacy`: bridge (ipMasq) + portmap + firewall */
  chain: ConflistChain;
  /** legacy chain: include the firewall plugin (needed where the FORWARD policy is DROP) */
  firewall: boolean;
  /** every node's pods: traffic leaving it is masqueraded, iptables FORWARD accepts it */
  clusterCIDR: string;
  /** nftables chain: insert the cluster CIDR's accept rules into iptables' FORWARD at start */
  forwardAccept: boolean;
  /** run nft and iptables in this named network namespace (tests) */
  netns?: string;
  mtu?: number;
  /** run VERSION of each plugin in the chain at start, warning about missing or incompatible ones */
  checkPlugins: boolean;
}

export const configSchema = {
  type: 'object',
  properties: {
    confDir: { type: 'string', minLength: 1, default: DEFAULT_CONF_DIR },
    confFileName: { type: 'string', pattern: '^[0-9]+-skiff\\.conflist$', default: DEFAULT_CONF_FILE },
    binDir: { type: 'string', minLength: 1, default: '/usr/lib/cni' },
    bridgeName: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,15}$', default: DEFAULT_BRIDGE },
    dataDir: { type: 'string', minLength: 1, default: DEFAULT_DATA_DIR },
    nodeName: { type: 'string', minLength: 1 },
    chain: { type: 'string', enum: ['nftables', 'legacy'], default: 'nftables' },
    firewall: { type: 'boolean', default: true },
    clusterCIDR: { type: 'string', pattern: '^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$', default: '10.244.0.0/16' },
    forwardAccept: { type: 'boolean', default: true },
    netns: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
    mtu: { type: 'integer', minimum: 68 },
    checkPlugins: { type: 'boolean', default: true },
  },
  additionalProperties: false,
};

export default definePlugin<CniBridgeConfig>({
  name: 'cni-bridge',
  version: '0.1.0',
  type: 'skiff.io/cni',
  provides: [NodeNetworkToken, CniPluginsToken],
  configSchema,
  start(ctx) {
    const { kernel, logger, config } = ctx;
    const nodeName = config.nodeName ?? ctx.tryResolve(NodeNameToken) ?? hostname().toLowerCase();
    const network = { bridgeName: config.bridgeName, dataDir: config.dataDir, chain: config.chain, firewall: config.firewall, ...(config.mtu !== undefined ? { mtu: config.mtu } : {}) };
    const writer = new CniConfigWriter({ confDir: config.confDir, fileName: config.confFileName });
    const nodeNetwork = new NodeNetworkState();
    const sync = new NodeConfSync(kernel, writer, {
      nodeName,
      network,
      onWrite: (podCIDRs, r, conflist) => {
        nodeNetwork.written(r.path, podCIDRs, conflist);
        ctx.reportRuntime({ node: nodeName, podCIDRs, conflist: r.path, writes: sync.writes, shadowedBy: r.shadowedBy });
      },
    }, logger);
    ctx.provide(NodeNetworkToken, nodeNetwork);
    ctx.provide(CniPluginsToken, new CniExec({ binDir: config.binDir }));

    if (config.checkPlugins) {
      const exec = new CniExec({ binDir: config.binDir, timeoutMs: 10_000 });
      const types = buildConflist({ ...network, podCIDRs: ['10.0.0.0/24'] }).plugins.map((p) => p.type);
      void (async () => {
        for (const type of [...types, 'host-local']) {
          try {
            const v = await exec.version(type, CNI_VERSION);
            if (!v.supportedVersions.includes(CNI_VERSION)) {
              logger.warn(`CNI plugin "${type}" does not support cniVersion ${CNI_VERSION}`, { binDir: config.binDir, supported: v.supportedVersions });
            }
          } catch (e) {
            if (ctx.signal.aborted) return;
            logger.warn(`CNI plugin "${type}" is not usable: pods on this node will get no network`, { binDir: config.binDir, error: String(e) });
            ctx.recordEvent({ type: 'Warning', reason: 'CNIPluginMissing', message: `CNI plugin "${type}" in ${config.binDir}: ${e instanceof Error ? e.message : String(e)}` });
          }
        }
      })();
    }

    const pods = config.chain === 'nftables' ? startPodNetwork(ctx, nodeName) : undefined;
    logger.info('waiting for the Node\'s podCIDR to write the CNI config', { node: nodeName, conflist: writer.path, chain: config.chain });
    return {
      async stop() {
        await pods?.stop();
        await sync.stop();
      },
    };
  },
});

/** The node's pods (by a field selector on spec.nodeName) as `pod-` elements of table inet skiff. */
function startPodNetwork(ctx: PluginContext<CniBridgeConfig>, nodeName: string): { stop(): Promise<void> } {
  const { config, logger } = ctx;
  const netns = config.netns ? { netns: config.netns } : {};
  if (config.forwardAccept) {
    ensureForwardAccept({ clusterCIDR: config.clusterCIDR, ...netns }).then(
      (r) => r.inserted && logger.info('iptables FORWARD accepts the cluster CIDR (its policy may be DROP, as Docker sets it)', { clusterCIDR: config.clusterCIDR }),
      (e: unknown) => {
        logger.warn('could not open the cluster CIDR in iptables FORWARD: where its policy is DROP, pods reach nothing through the node', { error: String(e) });
        ctx.recordEvent({ type: 'Warning', reason: 'ForwardAcceptFailed', message: String(e instanceof Error ? e.message : e) });
      },
    );
  }
  const nft = new PodNftables({
    nft: new Nft(netns),
    clusterCIDR: config.clusterCIDR,
    logger,
    onSync: (s) => ctx.reportRuntime({ node: nodeName, pods: s.pods, nftSyncs: s.syncs, lastSync: { full: s.full, changes: s.changes, ms: Math.round(s.ms * 10) / 10 } }),
    onError: (message) => ctx.recordEvent({ type: 'Warning', reason: 'SyncFailed', message: `nft refused the pod network objects (the previous ones stay in force; retrying with a full sync): ${message}` }),
    onConflict: (message) => ctx.recordEvent({ type: 'Warning', reason: 'HostPortConflict', message }),
  });
  const factory = SharedInformerFactory.for(ctx.kernel, logger);
  const pods = factory.acquire<Pod>(PODS, { fieldSelector: `spec.nodeName=${nodeName}` });
  const uid = (p: Pod) => p.metadata.uid ?? `${p.metadata.namespace}/${p.metadata.name}`;
  const off = pods.informer.addEventHandler({
    onAdd: (p) => nft.set(uid(p), podNetOf(p)),
    onUpdate: (_, p) => nft.set(uid(p), podNetOf(p)),
    onDelete: (p) => nft.delete(uid(p)),
  });
  void pods.informer.synced.then(
    () => ctx.signal.aborted || nft.start(),
    (e: unknown) => logger.error('pod network: the pod informer failed to sync', { error: String(e) }),
  );
  return {
    async stop() {
      off();
      pods.release();
      await nft.stop();
    },
  };
}
