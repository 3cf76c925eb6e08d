// `skiff device-plugin sample --resource example.com/widget --count 4 [--root-dir D]`: the sample
// device plugin (plugins/device-manager/sample-plugin.ts) as a process of its own, as a vendor's
// device plugin runs beside a kubelet. It finds the agent's Registration socket where the agent
// serves it — <agent root>/device-plugins/kubelet.sock, the agent root being its --root-dir — and
// registers, lists `count` devices, and sets WIDGET_IDS on Allocate. It waits for an agent that is
// not up yet, registers again when the agent restarts, and stops on Ctrl-C / SIGTERM.
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConsoleLogger, type LogLevel } from '@skiff/kernel/plugins';
import { SampleDevicePlugin } from '@skiff/plugin-device-manager/sample';
import { devices } from '@skiff/node-api';

import { DEFAULT_AGENT_ROOT } from '../home-dir.ts';

export { DEFAULT_AGENT_ROOT };

export interface SampleFlags {
  resource: string;
  count: string;
  rootDir?: string;
  /** the device-plugins directory itself (overrides --root-dir) */
  dir?: string;
  logLevel?: string;
}

/** Where the agent serves kubelet.sock: --dir, else <--root-dir or $SKIFF_AGENT_ROOT_DIR or the agent's default>/device-plugins. */
export function devicePluginDir(f: Pick<SampleFlags, 'rootDir' | 'dir'>, env: NodeJS.ProcessEnv = process.env): string {
  if (f.dir) return resolve(f.dir);
  return join(resolve(f.rootDir || env.SKIFF_AGENT_ROOT_DIR || DEFAULT_AGENT_ROOT), 'device-plugins');
}

async function runSample(f: SampleFlags): Promise<void> {
  const count = Number(f.count);
  if (!Number.isInteger(count) || count < 1 || count > 1024) throw new Error(`--count must be an integer from 1 to 1024, got "${f.count}"`);
  const logger = new ConsoleLogger({ level: (f.logLevel as LogLevel) ?? 'info', fields: { component: 'device-plugin' } });
  const dir = devicePluginDir(f);
  const plugin = new SampleDevicePlugin({ resource: f.resource, count, dir, logger });
  let stopping = false;
  const shutdown = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${sig}: stopping the device plugin\n`);
    await plugin.stop().catch(() => {});
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  try {
    await plugin.start();
  } catch (e) {
    const err = e as { code?: number; details?: string; message?: string };
    if (err.code !== 14) {
      // refused (a bad resource name, a version the agent does not speak): final, as for a kubelet
      await plugin.stop().catch(() => {});
      throw new Error(`the agent refused the registration: ${err.details || err.message}`);
    }
    process.stdout.write(`waiting for the agent's ${join(dir, devices.KUBELET_SOCKET)} (is \`skiff up\` / \`skiff agent\` running with this root dir?)\n`);
  }
  process.stdout.write(
    `device plugin for ${f.resource}: ${count} devices, serving ${plugin.socketPath}; ` +
      `containers get ${plugin.variable} (the comma-separated device IDs). Press Ctrl-C to stop.\n`,
  );
}

export function registerDevicePluginCommand(program: Command): void {
  const dp = program.command('device-plugin').description('device plugins for the node agent (the Kubernetes device-plugin API)');
  dp.command('sample')
    .description('run a sample device plugin: registers with this machine\'s agent and offers --count devices of --resource')
    .requiredOption('--resource <name>', 'the extended resource to offer, e.g. example.com/widget')
    .option('--count <n>', 'how many devices', '4')
    .option('--root-dir <dir>', `the agent's --root-dir (default: $SKIFF_AGENT_ROOT_DIR or ${DEFAULT_AGENT_ROOT})`)
    .option('--dir <dir>', 'the device-plugins directory itself (default <root-dir>/device-plugins)')
    .option('--log-level <level>', 'debug, info, warn, error', 'info')
    .action((f: SampleFlags) => runSample(f));
}
