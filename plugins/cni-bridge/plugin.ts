// The bridge CNI plugin (type skiff.io/cni, node side): owns the node's CNI network config. It
// waits for its Node's spec.podCIDR (given by node IPAM), writes the conflist (conflist.ts) into the
// CNI conf dir containerd's CRI plugin reads, and rewrites it when the podCIDR changes. containerd
// then runs the chain for every pod sandbox; CniExec (cni-exec.ts) runs it the same way for checks,
// cleanup and tests.
//
// At start it also asks every plugin of the chain for its VERSION (in the background) and warns
// when one is missing from binDir or does not speak the conflist's cniVersion.
import { hostname } from 'node:os';
import { definePlugin, NodeNameToken } from '@skiff/kernel/plugins';
import { CniConfigWriter, DEFAULT_CONF_DIR, DEFAULT_CONF_FILE } from './cni-config-writer.ts';
import { CniExec } from './cni-exec.ts';
import { buildConflist, CNI_VERSION, DEFAULT_BRIDGE, DEFAULT_DATA_DIR } from './conflist.ts';
import { NodeConfSync } from './node-conf-sync.ts';

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
  /** include the firewall plugin (needed where the FORWARD policy is DROP) */
  firewall: boolean;
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
    firewall: { type: 'boolean', default: true },
    mtu: { type: 'integer', minimum: 68 },
    checkPlugins: { type: 'boolean', default: true },
  },
  additionalProperties: false,
};

export default definePlugin<CniBridgeConfig>({
  name: 'cni-bridge',
  version: '0.1.0',
  type: 'skiff.io/cni',
  configSchema,
  start(ctx) {
    const { kernel, logger, config } = ctx;
    const nodeName = config.nodeName ?? ctx.tryResolve(NodeNameToken) ?? hostname().toLowerCase();
    const network = { bridgeName: config.bridgeName, dataDir: config.dataDir, firewall: config.firewall, ...(config.mtu !== undefined ? { mtu: config.mtu } : {}) };
    const writer = new CniConfigWriter({ confDir: config.confDir, fileName: config.confFileName });
    const sync = new NodeConfSync(kernel, writer, {
      nodeName,
      network,
      onWrite: (podCIDRs, r) => ctx.reportRuntime({ node: nodeName, podCIDRs, conflist: r.path, writes: sync.writes, shadowedBy: r.shadowedBy }),
    }, logger);

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

    logger.info('waiting for the Node\'s podCIDR to write the CNI config', { node: nodeName, conflist: writer.path });
    return { stop: () => sync.stop() };
  },
});
