// `skiff plugin install | ls | rm`: plugin artifacts in the object store and the `Plugin` objects
// that run them. Reaches the server over NATS ($SKIFF_HOME/nats-url, or --nats): the object store
// bucket `skiff-artifacts` and the kernel bus (the Kernel interface, so admission and validation
// run as for any other client) on one connection.
import type { Command } from 'commander';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import type { Kernel } from '@skiff/kernel';
import { connectKernel, type KernelBusClient } from '@skiff/kernel/bus';
import { ArtifactStore } from '@skiff/kernel/plugins';
import { natsUrlFor } from './sim.ts';
import { checkInstall, runInstall, type InstallFlags } from './plugin-install.ts';
import { parseListFormat, runList, runRemove, type ListFlags, type RemoveFlags } from './plugin-list.ts';

export interface ConnectionFlags {
  nats?: string;
  home?: string;
}

export interface PluginCliContext {
  kernel: Kernel;
  artifacts: ArtifactStore;
  natsUrl: string;
  out(s: string): void;
  err(s: string): void;
}

const msgOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Connect to the server's NATS, its kernel bus and the artifact bucket. */
async function connectServer(f: ConnectionFlags): Promise<{ ctx: PluginCliContext; close(): Promise<void> }> {
  const natsUrl = await natsUrlFor(f);
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: natsUrl, name: 'skiff-plugin-cli', maxReconnectAttempts: 0, timeout: 5_000, noAsyncTraces: true });
  } catch (e) {
    throw new Error(`cannot connect to NATS at ${natsUrl}: ${msgOf(e)} (is \`skiff up\` running? or pass --nats <url>)`);
  }
  let client: KernelBusClient;
  try {
    client = await connectKernel(nc, { timeoutMs: 15_000 });
  } catch (e) {
    await nc.close().catch(() => {});
    throw new Error(`no Skiff server answers on the kernel bus at ${natsUrl}: ${msgOf(e)}`);
  }
  const ctx: PluginCliContext = {
    kernel: client,
    artifacts: new ArtifactStore(nc),
    natsUrl,
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  };
  return {
    ctx,
    async close() {
      await client.close().catch(() => {});
      await nc.drain().catch(() => {});
    },
  };
}

/**
 * Check the flags (`check`), connect, run `body`; any error is one `error: ...` line on stderr and
 * exit code 1 (a number returned by `body` is the exit code).
 */
async function run<T>(f: ConnectionFlags, check: () => Promise<T> | T, body: (ctx: PluginCliContext, checked: T) => Promise<number | void>): Promise<void> {
  let conn: Awaited<ReturnType<typeof connectServer>> | undefined;
  try {
    const checked = await check(); // before connecting: flag mistakes need no server
    conn = await connectServer(f);
    const code = await body(conn.ctx, checked);
    if (code) process.exitCode = code;
  } catch (e) {
    const msg = msgOf(e);
    process.stderr.write((msg.startsWith('error:') ? msg : `error: ${msg}`) + '\n');
    process.exitCode = 1;
  } finally {
    await conn?.close();
  }
}

const connectionFlags = (cmd: Command): Command =>
  cmd
    .option('--nats <url>', "the server's NATS URL (default: read from $SKIFF_HOME/nats-url)")
    .option('--home <dir>', 'state directory holding nats-url (default $SKIFF_HOME or ~/.skiff)');

export function registerPluginCommand(program: Command): void {
  const plugin = program.command('plugin').description('install, list and remove plugins (artifacts in the object store, run by Plugin objects)');

  connectionFlags(
    plugin
      .command('install')
      .description('upload a plugin artifact (e.g. a WASM component) and create or update the Plugin object that runs it')
      .argument('<file>', 'the artifact file')
      .requiredOption('--type <type>', 'plugin type: scheduler-policy, admission, or a full type like skiff.io/scheduler-policy')
      .requiredOption('--name <name>', 'Plugin object name (a DNS subdomain)')
      .option('--config <json|@file>', 'plugin config: a JSON object, or @file (JSON or YAML); replaces the current config')
      .option('--weight <n>', 'sets config.weight (scheduler policies: the score weight)')
      .option('--version <v>', 'spec.version (default: the first 12 hex digits of the digest)')
      .option('--failure-policy <policy>', 'Fail or Ignore (what callers do when the plugin errors)')
      .option('--artifact <name>', 'artifact name in the object store (default: the plugin name)')
      .option('--wait', 'wait until the server has applied the change and print the outcome (exit 1 if it failed)')
      .option('--timeout <seconds>', 'how long --wait waits', '60'),
  ).action((file: string, f: InstallFlags & ConnectionFlags) => run(f, () => checkInstall(file, f), runInstall));

  connectionFlags(
    plugin
      .command('ls')
      .alias('list')
      .description('list Plugin objects with their state and runtime figures')
      .option('-o, --output <format>', 'json or yaml (default: a table)'),
  ).action((f: ListFlags & ConnectionFlags) => run(f, () => parseListFormat(f), runList));

  connectionFlags(
    plugin
      .command('rm')
      .alias('remove')
      .description('delete Plugin objects (the server stops the plugins)')
      .argument('<names...>', 'Plugin object names')
      .option('--purge', 'also delete their artifacts from the object store (unless another Plugin object uses them)'),
  ).action((names: string[], f: RemoveFlags & ConnectionFlags) => run(f, () => names, (ctx) => runRemove(ctx, names, f)));
}
