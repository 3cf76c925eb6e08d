// `skiff server` and `skiff up`: run the control plane in the foreground; Ctrl-C stops it cleanly.
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ConsoleLogger, type LogLevel } from '@skiff/kernel/plugins';
import { startAgent, type AgentOptions, type RunningAgent } from '../agent.ts';
import { port } from './agent.ts';
import { defaultHome } from '../home.ts';
import { DEFAULT_AGENT_ROOT } from '../home-dir.ts';
import { startServer, type ServerOptions } from '../server.ts';
import { installHostpathObjects, startHostpathDriverProcess, type UpStorage } from '../up-storage.ts';

const CRI_SOCKET = '/run/containerd/containerd.sock';

interface Flags {
  home?: string;
  nats?: string;
  host?: string;
  port?: string;
  grpcPort?: string;
  watchCacheEvents?: string;
  distribution?: string;
  logLevel?: string;
  otel?: string;
  otelEndpoint?: string;
  /** up: run this machine as the cluster's node too (default true; --no-agent) */
  agent?: boolean;
  /** up: the host-path CSI driver and the default StorageClass (default true; --no-storage) */
  storage?: boolean;
  /** up: the node's Ingress proxy (default true; --no-ingress) */
  ingress?: boolean;
  ingressAddress?: string;
  ingressHttpPort?: string;
  ingressHttpsPort?: string;
}

/**
 * `up`'s Ingress proxy: on 127.0.0.1:80 and :443 unless the flags say otherwise. A port it cannot
 * bind (taken, or below 1024 without root) is retried every 5 s, said in the log and in an Event on
 * the Node; the rest of the node runs meanwhile.
 */
export function upIngress(f: Pick<Flags, 'ingress' | 'ingressAddress' | 'ingressHttpPort' | 'ingressHttpsPort'>): AgentOptions['ingress'] {
  if (f.ingress === false) return undefined;
  return {
    listenAddress: f.ingressAddress ?? '127.0.0.1',
    httpPort: port(f.ingressHttpPort, '--ingress-http-port') ?? 80,
    httpsPort: port(f.ingressHttpsPort, '--ingress-https-port') ?? 443,
    bindRetryMs: 5000,
  };
}

/** --watch-cache-events: a positive integer (the events of one resource a watch can resume from) */
export function watchCacheEvents(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new Error(`--watch-cache-events: "${v}" is not a positive integer`);
  return n;
}

async function run(flags: Flags, banner: boolean): Promise<void> {
  const started = Date.now();
  const ingress = banner ? upIngress(flags) : undefined; // bad flags fail before anything starts
  const opts: ServerOptions = {
    home: flags.home ?? defaultHome(),
    nats: flags.nats,
    host: flags.host,
    port: flags.port !== undefined ? Number(flags.port) : undefined,
    grpcPort: flags.grpcPort !== undefined ? Number(flags.grpcPort) : undefined,
    eventsPerResource: watchCacheEvents(flags.watchCacheEvents),
    distribution: flags.distribution,
    logLevel: (flags.logLevel as ServerOptions['logLevel']) ?? 'info',
    telemetry: flags.otel ? { exporter: flags.otel as 'console' | 'otlp', endpoint: flags.otelEndpoint } : undefined,
  };
  const server = await startServer(opts);
  // `up`: this machine is the cluster's one node too (Skiff's kubelet, with containerd)
  let agent: RunningAgent | undefined;
  if (banner && flags.agent !== false) {
    if (!existsSync(CRI_SOCKET)) {
      process.stderr.write(`warning: containerd does not answer on ${CRI_SOCKET}: running the control plane only (bin/skiff up starts containerd when it can)\n`);
    } else {
      const logger = new ConsoleLogger({ level: opts.logLevel as LogLevel, fields: { component: 'agent' } });
      agent = await startAgent({ natsUrl: server.natsUrl, nodeName: hostname(), ...(ingress ? { ingress } : {}) }, logger).catch((e) => {
        process.stderr.write(`warning: the node agent did not start: ${e instanceof Error ? e.message : String(e)}\n`);
        return undefined;
      });
    }
  }
  // the host-path CSI driver and the default StorageClass (deploy/storage/hostpath.yaml)
  let storage: UpStorage | undefined;
  if (agent && flags.storage !== false) {
    try {
      await installHostpathObjects(server.kernel);
      storage = startHostpathDriverProcess({ home: opts.home, rootDir: DEFAULT_AGENT_ROOT, nodeName: agent.nodeName });
    } catch (e) {
      process.stderr.write(`warning: no host-path storage: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  if (banner) {
    process.stdout.write(
      `Skiff is up in ${Date.now() - started} ms: API ${server.url}\n` +
        (server.grpcAddress ? `  gRPC API ${server.grpcAddress} (skiff.v1; see docs/grpc.md)\n` : '') +
        (agent ? `  node ${agent.nodeName} runs pods with containerd\n` : '') +
        (storage ? `  volumes: the host-path CSI driver (default StorageClass "hostpath"; its log: ${join(opts.home, 'csi-hostpath.log')})\n` : '') +
        (agent && ingress ? `  Ingress proxy on ${ingressWhere(ingress)} (kubectl describe node says when a port cannot be bound)\n` : '') +
        `  export KUBECONFIG=${server.kubeconfigPath}\n` +
        `  kubectl get nodes           (or: bin/skiff get nodes)\n` +
        `Press Ctrl-C to stop (running pods keep running).\n`,
    );
  }
  if (!banner) process.stdout.write(`Skiff server: API ${server.url}${server.grpcAddress ? `, gRPC ${server.grpcAddress}` : ''}\n`);
  let stopping = false;
  const shutdown = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${sig}: stopping Skiff...\n`);
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await storage?.stop();
    await agent?.stop();
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

function ingressWhere(i: NonNullable<AgentOptions['ingress']>): string {
  const at = (scheme: string, p?: number) => (p === undefined || p < 0 ? [] : [`${scheme}://${i.listenAddress}:${p === 0 ? '<any>' : p}`]);
  return [...at('http', i.httpPort), ...at('https', i.httpsPort)].join(' and ') || 'no port';
}

function serverFlags(cmd: Command): Command {
  return cmd
    .option('--home <dir>', 'state directory (default $SKIFF_HOME or ~/.skiff)')
    .option('--nats <url>', 'use an external NATS server (with JetStream) instead of the embedded one')
    .option('--host <addr>', 'address the API binds to (default 127.0.0.1)')
    .option('--port <port>', 'REST API port (default 6443; 0: a free port, for the gRPC API too)')
    .option('--grpc-port <port>', 'gRPC API port (default 6444; 0: a free port)')
    .option('--watch-cache-events <n>', 'events kept per resource for watches to resume from; older resourceVersions get 410 Gone (default 10000)')
    .option('--distribution <file>', 'distribution YAML (default deploy/distros/default.yaml)')
    .option('--log-level <level>', 'debug, info, warn, error', 'info')
    .option('--otel <exporter>', 'OpenTelemetry exporter: console or otlp (default: off)')
    .option('--otel-endpoint <url>', 'OTLP/HTTP traces endpoint');
}

export function registerServerCommands(program: Command): void {
  serverFlags(program.command('up').description('start a one-node Skiff cluster in the foreground: the control plane and a node agent'))
    .option('--no-agent', 'the control plane only (no node agent on this machine)')
    .option('--no-ingress', 'no Ingress proxy on the node')
    .option('--no-storage', 'no host-path CSI driver and default StorageClass')
    .option('--ingress-address <ip>', 'where the Ingress proxy listens', '127.0.0.1')
    .option('--ingress-http-port <port>', 'its HTTP port (0: any free one, -1: none)', '80')
    .option('--ingress-https-port <port>', 'its HTTPS port (0: any free one, -1: none)', '443')
    .action((f: Flags) => run(f, true));
  serverFlags(program.command('server').description('run the Skiff control plane (kernel, bus, API)')).action((f: Flags) => run(f, false));
}
