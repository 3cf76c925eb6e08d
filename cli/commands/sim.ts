// `skiff sim`: hollow nodes in the foreground — thousands of simulated nodes in one process, talking
// to a running `skiff up` / `skiff server` over the kernel bus (NATS). Ctrl-C stops cleanly;
// with --cleanup the nodes (and their leases) are deleted first.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectKernel, type KernelBusClient } from '@skiff/kernel/bus';
import { ConsoleLogger, type LogLevel, type Logger } from '@skiff/kernel/plugins';
import { HollowNodes, parsePairs, parseTaint, type HollowNodesConfig } from '@skiff/plugin-node-sim';
import { defaultHome } from '../home.ts';

export interface SimFlags {
  nodes?: string;
  prefix?: string;
  cpu?: string;
  memory?: string;
  pods?: string;
  ephemeralStorage?: string;
  extendedResource?: string[];
  label?: string[];
  taint?: string[];
  file?: string;
  nats?: string;
  home?: string;
  leaseInterval?: string;
  nodeStatusInterval?: string;
  podStartDelay?: string;
  cleanup?: boolean;
  logLevel?: string;
  reportInterval?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

function num(v: string | undefined, what: string, integer = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw new Error(`--${what} must be a non-negative ${integer ? 'integer' : 'number'}, got "${v}"`);
  return n;
}

/** The HollowNodes config the flags describe. */
export function simConfig(f: SimFlags): Partial<HollowNodesConfig> {
  return {
    nodes: num(f.nodes, 'nodes', true),
    prefix: f.prefix,
    cpu: f.cpu,
    memory: f.memory,
    pods: num(f.pods, 'pods', true),
    ephemeralStorage: f.ephemeralStorage,
    extendedResources: f.extendedResource?.length ? parsePairs(f.extendedResource, 'extended resource') : undefined,
    labels: f.label?.length ? parsePairs(f.label, 'label') : undefined,
    taints: f.taint?.length ? f.taint.map(parseTaint) : undefined,
    nodesFile: f.file,
    leaseIntervalSeconds: num(f.leaseInterval, 'lease-interval'),
    nodeStatusIntervalSeconds: num(f.nodeStatusInterval, 'node-status-interval'),
    podStartDelayMs: num(f.podStartDelay, 'pod-start-delay', true),
  };
}

/** --nats, else the URL a running server wrote to `$SKIFF_HOME/nats-url`. */
export async function natsUrlFor(f: SimFlags): Promise<string> {
  if (f.nats) return f.nats;
  const file = join(f.home ?? defaultHome(), 'nats-url');
  try {
    const url = (await readFile(file, 'utf8')).trim();
    if (url) return url;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  throw new Error(`no --nats given and ${file} does not exist (or is empty): start \`skiff up\` first, or pass --nats <url>`);
}

export interface RunningSim {
  sim: HollowNodes;
  natsUrl: string;
  /** stop the nodes (deleting them with `cleanup`) and close the connection */
  close(cleanup?: boolean): Promise<void>;
}

/** Connect to the kernel bus and register the nodes. */
export async function startSim(f: SimFlags, logger: Logger): Promise<RunningSim> {
  const config = simConfig(f);
  const natsUrl = await natsUrlFor(f);
  const nc: NatsConnection = await connect({ servers: natsUrl, name: 'skiff-sim', maxReconnectAttempts: -1, noAsyncTraces: true });
  let client: KernelBusClient | undefined;
  try {
    client = await connectKernel(nc);
    // the hollow nodes answer the metrics-server's scrapes over the same connection (kubectl top, HPA)
    const sim = new HollowNodes(client, config, logger, { nats: nc });
    const close = async (cleanup = false) => {
      await sim.stop({ deleteNodes: cleanup });
      await client!.close().catch(() => {});
      await nc.drain().catch(() => {});
    };
    try {
      await sim.start();
    } catch (e) {
      await close(false);
      throw e;
    }
    return { sim, natsUrl, close };
  } catch (e) {
    if (!nc.isClosed()) await nc.close().catch(() => {});
    throw e;
  }
}

async function run(f: SimFlags): Promise<void> {
  const logger = new ConsoleLogger({ level: (f.logLevel as LogLevel) ?? 'info', fields: { component: 'sim' } });
  const t0 = Date.now();
  let running: RunningSim | undefined;
  let stopping = false;
  const shutdown = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${sig}: stopping hollow nodes${f.cleanup ? ' and deleting them' : ''}...\n`);
    const force = setTimeout(() => process.exit(1), f.cleanup ? 120_000 : 15_000);
    force.unref();
    await running?.close(f.cleanup === true).catch((e) => process.stderr.write(`error: ${String(e)}\n`));
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  running = await startSim(f, logger);
  const { sim, natsUrl } = running;
  if (stopping) return; // Ctrl-C while registering: shutdown() takes it from here
  const names = sim.nodeNames;
  const st = sim.stats();
  process.stdout.write(
    `${names.length} hollow nodes up in ${Date.now() - t0} ms (${names[0] ?? '-'} … ${names[names.length - 1] ?? '-'}` +
      `${st.adopted ? `, ${st.adopted} adopted` : ''}) via ${natsUrl}\n` +
      `  leases renewed every ${sim.config.leaseIntervalSeconds} s; pods bound to these nodes turn Running\n` +
      `Press Ctrl-C to stop${f.cleanup ? ' (the nodes are deleted)' : ' (the nodes stay; --cleanup deletes them)'}.\n`,
  );
  const every = num(f.reportInterval, 'report-interval') ?? 60;
  if (every > 0) {
    let last = sim.stats();
    let lastAt = Date.now();
    setInterval(() => {
      const s = sim.stats();
      const secs = (Date.now() - lastAt) / 1000;
      logger.info('hollow nodes', {
        nodes: s.registered,
        podsRunning: s.podsRunning,
        podsStarted: s.podsStarted,
        podsDeleted: s.podsDeleted,
        leaseWritesPerSec: Math.round((s.leaseRenewals - last.leaseRenewals) / secs),
        errors: s.errors,
      });
      last = s;
      lastAt = Date.now();
    }, every * 1000).unref();
  }
  await new Promise<void>(() => {}); // until a signal
}

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('run hollow (simulated) nodes against a running Skiff, like kwok: thousands of nodes in one process')
    .option('--nodes <n>', 'number of nodes', '10')
    .option('--prefix <p>', 'node name prefix: <prefix>-0, <prefix>-1, …', 'hollow')
    .option('--cpu <q>', 'CPU capacity per node', '32')
    .option('--memory <q>', 'memory capacity per node', '256Gi')
    .option('--pods <n>', 'pod capacity per node', '110')
    .option('--ephemeral-storage <q>', 'ephemeral-storage capacity per node', '100Gi')
    .option('--extended-resource <name=q>', 'extended resource capacity, e.g. nvidia.com/gpu=8 (repeatable)', collect, [])
    .option('--label <k=v>', 'extra node label (repeatable)', collect, [])
    .option('--taint <k=v:Effect>', 'node taint, e.g. dedicated=sim:NoSchedule (repeatable)', collect, [])
    .option('--file <nodes.yaml>', 'node groups: a YAML list [{count, prefix?, cpu?, memory?, pods?, labels?, taints?, extendedResources?}] (replaces --nodes)')
    .option('--nats <url>', "the server's NATS URL (default: read from $SKIFF_HOME/nats-url)")
    .option('--home <dir>', 'state directory holding nats-url (default $SKIFF_HOME or ~/.skiff)')
    .option('--lease-interval <s>', 'lease renewal period per node, spread evenly', '10')
    .option('--node-status-interval <s>', 'node status heartbeat period (0 = off)', '300')
    .option('--pod-start-delay <ms>', 'simulated container start time', '0')
    .option('--cleanup', 'delete the nodes (and their leases) on Ctrl-C')
    .option('--report-interval <s>', 'log a stats line every <s> seconds (0 = off)', '60')
    .option('--log-level <level>', 'debug, info, warn, error', 'info')
    .action((f: SimFlags) => run(f));
}
