// `skiff port-forward [pod/]<name> [local:]remote...`: listens on local ports and forwards each
// connection to a port of the pod, through the API server's pods/portforward (SPDY/3.1,
// portforward.k8s.io: per connection an error stream and a data stream with the headers
// streamType, port and requestID), as kubectl port-forward does. Runs until interrupted.
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Command } from 'commander';
import { SpdyConnection, type SpdyStream } from '@skiff/client/api-frontend';
import { kubeconfigPath, runClient, withClientFlags, type ClientContext, type ClientFlags } from '../client/context.ts';
import { statusErrorOfResponse } from '@skiff/client/rest';
import { readKubeconfig } from '../kubeconfig.ts';

export interface PortForwardFlags extends ClientFlags {
  address?: string;
}

export interface PortPair {
  /** 0: any free port */
  local: number;
  remote: number;
}

/** kubectl's port specs: "8080" (same both sides), "8080:80", ":80" (any local port). */
export function parsePorts(specs: string[]): PortPair[] {
  if (specs.length === 0) throw new Error('TYPE/NAME and list of ports are required for port-forward');
  const port = (s: string, what: string, zeroOk: boolean) => {
    const n = Number(s);
    if (!/^\d+$/.test(s) || n > 65535 || (n === 0 && !zeroOk)) throw new Error(`error parsing ${what} port '${s}': must be a number between ${zeroOk ? 0 : 1} and 65535`);
    return n;
  };
  return specs.map((spec) => {
    const parts = spec.split(':');
    if (parts.length > 2) throw new Error(`invalid port format '${spec}'`);
    if (parts.length === 1) return { local: port(parts[0]!, 'local', false), remote: port(parts[0]!, 'remote', false) };
    return { local: parts[0] === '' ? 0 : port(parts[0]!, 'local', true), remote: port(parts[1]!, 'remote', false) };
  });
}

/** "pod/name", "pods/name" or "name"; other kinds are not forwarded to (yet). */
export function podName(arg: string): string {
  const slash = arg.indexOf('/');
  if (slash < 0) return arg;
  const kind = arg.slice(0, slash).toLowerCase();
  if (!['pod', 'pods', 'po'].includes(kind)) throw new Error(`port-forward to ${kind} is not supported: name a pod (pod/<name>)`);
  return arg.slice(slash + 1);
}

async function dial(ctx: ClientContext, pod: string, f: PortForwardFlags): Promise<SpdyConnection> {
  const target = await readKubeconfig(kubeconfigPath(f.kubeconfig), f.context);
  const url = new URL(`${ctx.client.server}/api/v1/namespaces/${encodeURIComponent(ctx.namespace)}/pods/${encodeURIComponent(pod)}/portforward`);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const { socket, head } = await new Promise<{ socket: Duplex; head: Buffer }>((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      ca: target.caCertPem,
      rejectUnauthorized: !target.insecureSkipTLSVerify,
      headers: {
        ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
        connection: 'Upgrade',
        upgrade: 'SPDY/3.1',
        'x-stream-protocol-version': 'portforward.k8s.io',
        'content-length': '0',
      },
    });
    req.on('upgrade', (_res: IncomingMessage, s: Duplex, h: Buffer) => resolve({ socket: s, head: h }));
    req.on('response', (res: IncomingMessage) => void statusErrorOfResponse(res).then(reject));
    req.on('error', (e) => reject(new Error(`Unable to connect to the server at ${ctx.client.server}: ${e.message}`)));
    req.end();
  });
  (socket as Socket).setNoDelay?.(true);
  const conn = new SpdyConnection(socket, 'client', head);
  conn.on('error', () => conn.destroy());
  return conn;
}

/** One local connection through a new stream pair. */
function forwardConnection(ctx: ClientContext, conn: SpdyConnection, local: Socket, pair: PortPair, localPort: number, requestId: number): void {
  const headers = { port: String(pair.remote), requestid: String(requestId) };
  const error = conn.createStream({ streamtype: 'error', ...headers });
  error.end(); // nothing to say on it
  const data: SpdyStream = conn.createStream({ streamtype: 'data', ...headers });
  let errorText = '';
  error.on('data', (d: Buffer) => (errorText += d.toString('utf8')));
  error.once('end', () => {
    if (errorText.trim()) ctx.err(`error: an error occurred forwarding ${localPort} -> ${pair.remote}: ${errorText.trim()}\n`);
  });
  data.on('data', (d: Buffer) => {
    if (!local.write(d)) {
      conn.socket.pause();
      local.once('drain', () => conn.socket.resume());
    }
  });
  data.once('end', () => local.end());
  local.on('data', (d: Buffer) => {
    if (!data.write(d)) {
      local.pause();
      conn.once('drain', () => local.resume());
    }
  });
  local.once('end', () => data.end());
  local.on('error', () => data.reset());
  local.once('close', () => {
    if (!data.remoteEnded) data.reset();
  });
}

export async function portForward(ctx: ClientContext, target: string, specs: string[], f: PortForwardFlags): Promise<number> {
  const pairs = parsePorts(specs);
  const pod = podName(target);
  const p = await ctx.client.get(`/api/v1/namespaces/${encodeURIComponent(ctx.namespace)}/pods/${encodeURIComponent(pod)}`);
  const phase = p?.status?.phase;
  if (phase !== 'Running') throw new Error(`unable to forward port because pod is not running. Current status=${phase ?? 'Unknown'}`);
  const conn = await dial(ctx, pod, f);
  const address = f.address ?? '127.0.0.1';
  const servers: Server[] = [];
  let requestId = 0;
  try {
    for (const pair of pairs) {
      const server = createServer((local) => {
        local.setNoDelay(true);
        const localPort = (server.address() as { port: number }).port;
        ctx.out(`Handling connection for ${localPort}\n`);
        forwardConnection(ctx, conn, local, pair, localPort, requestId++);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', (e) => reject(new Error(`unable to listen on port ${pair.local}: ${e.message}`)));
        server.listen(pair.local, address, () => resolve());
      });
      servers.push(server);
      ctx.out(`Forwarding from ${address}:${(server.address() as { port: number }).port} -> ${pair.remote}\n`);
    }
    return await new Promise<number>((resolve) => {
      const stop = () => resolve(0);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      conn.once('close', () => {
        ctx.err('error: lost connection to pod\n');
        resolve(1);
      });
    });
  } finally {
    for (const s of servers) s.close();
    conn.destroy();
  }
}

export function registerPortForwardCommand(program: Command): void {
  withClientFlags(
    program
      .command('port-forward')
      .description('Forward local ports to a pod (kubectl port-forward); runs until interrupted')
      .argument('<pod>', 'the pod: name or pod/name')
      .argument('<ports...>', '[local:]remote: 8080 (both), 8080:80, :80 (any free local port)')
      .option('--address <ip>', 'the local address to listen on', '127.0.0.1'),
  ).action((pod: string, ports: string[], flags: PortForwardFlags) => runClient(flags, (ctx) => portForward(ctx, pod, ports, flags)));
}
