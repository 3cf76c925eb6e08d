// `skiff agent`: run this machine as a node of a running Skiff (see cli/agent.ts).
import type { Command } from 'commander';
import { ConsoleLogger, type LogLevel } from '@skiff/kernel/plugins';
import { parsePairs, parseTaint } from '@skiff/plugin-node-sim';
import { startAgent } from '../agent.ts';
import { natsUrlFor } from './sim.ts';

interface AgentFlags {
  name?: string;
  nats?: string;
  home?: string;
  criSocket?: string;
  address?: string;
  label: string[];
  taint: string[];
  maxPods?: string;
  rootDir?: string;
  cniConfDir?: string;
  cni: boolean;
  cniChain?: string;
  logLevel?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

async function run(f: AgentFlags): Promise<void> {
  const logger = new ConsoleLogger({ level: (f.logLevel as LogLevel) ?? 'info', fields: { component: 'agent' } });
  const maxPods = f.maxPods === undefined ? undefined : Number(f.maxPods);
  if (maxPods !== undefined && (!Number.isInteger(maxPods) || maxPods < 1)) throw new Error(`--max-pods must be a positive integer, got "${f.maxPods}"`);
  const agent = await startAgent(
    {
      natsUrl: await natsUrlFor(f),
      nodeName: f.name,
      criSocket: f.criSocket,
      address: f.address,
      labels: f.label.length ? parsePairs(f.label, 'label') : undefined,
      taints: f.taint.length ? f.taint.map(parseTaint) : undefined,
      maxPods,
      rootDir: f.rootDir,
      cniConfDir: f.cni ? f.cniConfDir : false,
      ...(f.cniChain ? { cni: { chain: f.cniChain } } : {}),
    },
    logger,
  );
  process.stdout.write(`node ${agent.nodeName} joined; running its pods. Ctrl-C stops the agent (the pods keep running).\n`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), 15_000).unref();
    await agent.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
  await new Promise<void>(() => {});
}

export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description("run this machine as a node: register it, and run the pods bound to it with containerd (Skiff's kubelet)")
    .option('--name <node>', 'node name (default: the host name)')
    .option('--nats <url>', "the server's NATS URL (default: read from $SKIFF_HOME/nats-url)")
    .option('--home <dir>', 'state directory holding nats-url (default $SKIFF_HOME or ~/.skiff)')
    .option('--cri-socket <path>', "containerd's CRI socket", '/run/containerd/containerd.sock')
    .option('--address <ip>', 'the node address to report (default: the first non-loopback IPv4 address)')
    .option('--label <k=v>', 'node label (repeatable)', collect, [])
    .option('--taint <k=v:Effect>', 'node taint (repeatable)', collect, [])
    .option('--max-pods <n>', 'pod capacity', '110')
    .option('--root-dir <dir>', "the kubelet's state directory (pod volumes)", '/var/lib/skiff')
    .option('--cni-conf-dir <dir>', "where containerd reads CNI configs (containerd's conf_dir)", '/etc/cni/net.d')
    .option('--no-cni', 'write no CNI config (pods need hostNetwork)')
    .option('--cni-chain <chain>', 'nftables (bridge + host-local; masquerade and hostPorts in nftables) or legacy (bridge ipMasq + portmap + firewall)')
    .option('--log-level <level>', 'debug, info, warn, error', 'info')
    .action((f: AgentFlags) => run(f));
}
