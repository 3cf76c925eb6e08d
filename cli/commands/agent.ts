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
  serviceProxy: boolean;
  networkPolicy: boolean;
  clusterCidr?: string;
  clusterDns: boolean;
  clusterDnsAddress?: string;
  clusterDomain?: string;
  ingress?: boolean;
  ingressAddress?: string;
  ingressHttpPort?: string;
  ingressHttpsPort?: string;
  cniChain?: string;
  logLevel?: string;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];
/** a port flag: 0 picks a free port, -1 turns that server off */
export const port = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < -1 || n > 65535) throw new Error(`${flag} must be a port (0 for any free one, -1 for none), got "${v}"`);
  return n;
};

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
      clusterCIDR: f.clusterCidr,
      ...(f.serviceProxy ? {} : { serviceProxy: false as const }),
      ...(f.networkPolicy ? {} : { networkPolicy: false as const }),
      clusterDns: f.clusterDns ? { address: f.clusterDnsAddress, clusterDomain: f.clusterDomain } : false,
      ...(f.ingress ? { ingress: { listenAddress: f.ingressAddress, httpPort: port(f.ingressHttpPort, '--ingress-http-port'), httpsPort: port(f.ingressHttpsPort, '--ingress-https-port') } } : {}),
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
    .option('--cluster-cidr <cidr>', "the pods' addresses (node-ipam's clusterCIDR): traffic leaving them, and traffic from elsewhere to a Service, is masqueraded", '10.244.0.0/16')
    .option('--no-service-proxy', 'do not program Services (nftables table inet skiff) on this node')
    .option('--no-network-policy', 'do not enforce NetworkPolicies on this node')
    .option('--cluster-dns-address <ip>', "the cluster DNS's address (kube-dns's ClusterIP), served on this node and given to pods", '10.96.0.10')
    .option('--cluster-domain <domain>', 'the cluster domain', 'cluster.local')
    .option('--no-cluster-dns', 'no cluster DNS on this node (pods get no cluster nameserver)')
    .option('--ingress', "run an Ingress proxy on this node (IngressClass skiff)")
    .option('--ingress-address <ip>', 'where the Ingress proxy listens', '0.0.0.0')
    .option('--ingress-http-port <port>', 'its HTTP port (-1: none)', '80')
    .option('--ingress-https-port <port>', 'its HTTPS port (-1: none)', '443')
    .option('--cni-chain <chain>', 'nftables (bridge + host-local; masquerade and hostPorts in nftables) or legacy (bridge ipMasq + portmap + firewall)')
    .option('--log-level <level>', 'debug, info, warn, error', 'info')
    .action((f: AgentFlags) => run(f));
}
