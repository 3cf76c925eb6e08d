// `skiff server` and `skiff up`: run the control plane in the foreground; Ctrl-C stops it cleanly.
import type { Command } from 'commander';
import { defaultHome } from '../home.ts';
import { startServer, type ServerOptions } from '../server.ts';

interface Flags {
  home?: string;
  nats?: string;
  host?: string;
  port?: string;
  distribution?: string;
  logLevel?: string;
  otel?: string;
  otelEndpoint?: string;
}

async function run(flags: Flags, banner: boolean): Promise<void> {
  const started = Date.now();
  const opts: ServerOptions = {
    home: flags.home ?? defaultHome(),
    nats: flags.nats,
    host: flags.host,
    port: flags.port !== undefined ? Number(flags.port) : undefined,
    distribution: flags.distribution,
    logLevel: (flags.logLevel as ServerOptions['logLevel']) ?? 'info',
    telemetry: flags.otel ? { exporter: flags.otel as 'console' | 'otlp', endpoint: flags.otelEndpoint } : undefined,
  };
  const server = await startServer(opts);
  if (banner) {
    process.stdout.write(
      `Skiff is up in ${Date.now() - started} ms: API ${server.url}\n` +
        `  export KUBECONFIG=${server.kubeconfigPath}\n` +
        `  kubectl get namespaces      (or: bin/skiff get namespaces)\n` +
        `Press Ctrl-C to stop.\n`,
    );
  }
  let stopping = false;
  const shutdown = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${sig}: stopping Skiff...\n`);
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

function serverFlags(cmd: Command): Command {
  return cmd
    .option('--home <dir>', 'state directory (default $SKIFF_HOME or ~/.skiff)')
    .option('--nats <url>', 'use an external NATS server (with JetStream) instead of the embedded one')
    .option('--host <addr>', 'address the API binds to (default 127.0.0.1)')
    .option('--port <port>', 'API port (default 6443)')
    .option('--distribution <file>', 'distribution YAML (default deploy/distros/default.yaml)')
    .option('--log-level <level>', 'debug, info, warn, error', 'info')
    .option('--otel <exporter>', 'OpenTelemetry exporter: console or otlp (default: off)')
    .option('--otel-endpoint <url>', 'OTLP/HTTP traces endpoint');
}

export function registerServerCommands(program: Command): void {
  serverFlags(program.command('up').description('start a one-node Skiff cluster in the foreground')).action((f: Flags) => run(f, true));
  serverFlags(program.command('server').description('run the Skiff control plane (kernel, bus, API)')).action((f: Flags) => run(f, false));
}
