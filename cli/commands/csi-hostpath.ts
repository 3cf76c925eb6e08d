// `skiff csi-hostpath`: the host-path CSI driver as its own process. It serves CSI on
// <root>/plugins/hostpath.csi.skiff.io/csi.sock and registers with the agent of the same root
// through <root>/plugins_registry/hostpath.csi.skiff.io-reg.sock (as node-driver-registrar does
// beside a real driver). Volumes are xfs image files under --data-dir, each on a loop device.
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseQuantity } from '@skiff/api';
import { ConsoleLogger, type LogLevel } from '@skiff/kernel/plugins';
import { startHostpathDriver } from '@skiff/plugin-csi-node/hostpath';

interface Flags {
  rootDir: string;
  nodeId?: string;
  dataDir?: string;
  capacity: string;
  maxVolumes: string;
  logLevel?: string;
}

/** A byte count from a quantity flag ("10Gi"), or a clear error. */
export function bytesFlag(v: string, flag: string): number {
  let n: number;
  try {
    n = parseQuantity(v);
  } catch {
    throw new Error(`${flag} must be a quantity like 10Gi, got "${v}"`);
  }
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be positive, got "${v}"`);
  return Math.floor(n);
}

async function run(f: Flags): Promise<void> {
  const logger = new ConsoleLogger({ level: (f.logLevel as LogLevel) ?? 'info', fields: { component: 'csi-hostpath' } });
  const maxVolumesPerNode = Number(f.maxVolumes);
  if (!Number.isInteger(maxVolumesPerNode) || maxVolumesPerNode < 0) throw new Error(`--max-volumes must be a whole number, got "${f.maxVolumes}"`);
  const driver = await startHostpathDriver({
    rootDir: f.rootDir,
    nodeId: (f.nodeId || hostname()).toLowerCase(),
    dataDir: f.dataDir ?? join(f.rootDir, 'csi-hostpath'),
    capacityBytes: bytesFlag(f.capacity, '--capacity'),
    maxVolumesPerNode,
    logger,
  });
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), 10_000).unref();
    await driver.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
  await new Promise<void>(() => {});
}

export function registerCsiHostpathCommand(program: Command): void {
  program
    .command('csi-hostpath')
    .description('run the host-path CSI driver (hostpath.csi.skiff.io) for the agent of this machine: xfs volumes on loop devices')
    .option('--root-dir <dir>', "the agent's --root-dir (plugins_registry/ and plugins/ are under it)", '/var/lib/skiff')
    .option('--node-id <node>', 'the node name (default: the host name, as the agent names its node)')
    .option('--data-dir <dir>', 'where volume images and the driver state live (default <root-dir>/csi-hostpath)')
    .option('--capacity <quantity>', 'how much the volumes may take in all', '10Gi')
    .option('--max-volumes <n>', 'volumes per node the scheduler may place here (0: no limit)', '100')
    .option('--log-level <level>', 'debug, info, warn, error', 'info')
    .action((f: Flags) => run(f));
}
