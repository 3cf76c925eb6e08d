// `skiff logs <pod>`: a container's log through the API server (pods/log), as `kubectl logs` shows
// it; with -f, streamed until the container stops or Ctrl-C.
import { once } from 'node:events';
import type { Command } from 'commander';
import { Agent, request, type Dispatcher } from 'undici';
import { kubeconfigPath, runClient, withClientFlags, type ClientContext, type ClientFlags } from '../client/context.ts';
import { withQuery } from '@skiff/client/rest';
import { statusErrorFrom } from '@skiff/client/rest';
import { readKubeconfig, type KubeconfigTarget } from '../kubeconfig.ts';

export interface LogsFlags extends ClientFlags {
  container?: string;
  follow?: boolean;
  previous?: boolean;
  tail?: string;
  since?: string;
  sinceTime?: string;
  timestamps?: boolean;
  limitBytes?: string;
}

/** What a streaming command needs beyond the RestClient: the server, its CA and the token. */
export async function connectionOf(flags: ClientFlags): Promise<{ target: KubeconfigTarget; agent: Agent; headers: Record<string, string> }> {
  const target = await readKubeconfig(kubeconfigPath(flags.kubeconfig), flags.context);
  const agent = new Agent({ connect: { ca: target.caCertPem, rejectUnauthorized: !target.insecureSkipTLSVerify } });
  const headers: Record<string, string> = { 'user-agent': 'skiff-cli/0.1.0' };
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  return { target, agent, headers };
}

/**
 * The container to use, as kubectl picks it: the one named, else the pod's
 * `kubectl.kubernetes.io/default-container`, else the first (saying so when there are several).
 */
export async function podContainer(ctx: ClientContext, pod: string, container: string | undefined): Promise<{ container: string; phase?: string }> {
  const p = await ctx.client.get(`/api/v1/namespaces/${encodeURIComponent(ctx.namespace)}/pods/${encodeURIComponent(pod)}`);
  const phase = p?.status?.phase as string | undefined;
  if (container) return { container, phase };
  const names: string[] = (p?.spec?.containers ?? []).map((c: { name: string }) => c.name);
  const annotated = p?.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
  if (annotated && names.includes(annotated)) return { container: annotated, phase };
  if (names.length > 1) ctx.err(`Defaulted container "${names[0]}" out of: ${names.join(', ')}\n`);
  return { container: names[0] ?? '', phase };
}

/** A Go duration ("5m", "1h30m", "90s", "1.5h") in whole seconds, rounded up as kubectl does. */
export function durationSeconds(s: string): number {
  const units: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * units[m[2]!]!;
    matched = re.lastIndex;
  }
  if (s === '' || matched !== s.length) throw new Error(`invalid duration "${s}": use e.g. 30s, 5m, 1h`);
  return Math.ceil(total);
}

const intFlag = (v: string | undefined, name: string): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new Error(`invalid argument "${v}" for --${name}: not an integer`);
  return Number(v);
};

export async function logs(ctx: ClientContext, pod: string, f: LogsFlags): Promise<void> {
  const tail = intFlag(f.tail, 'tail');
  const limitBytes = intFlag(f.limitBytes, 'limit-bytes');
  if (f.since && f.sinceTime) throw new Error('at most one of --since-time / --since may be specified');
  const sinceSeconds = f.since ? durationSeconds(f.since) : undefined;
  if (sinceSeconds !== undefined && sinceSeconds <= 0) throw new Error('--since must be greater than 0');
  const { container } = await podContainer(ctx, pod, f.container);
  const { agent, headers } = await connectionOf(f);
  const path = withQuery(`/api/v1/namespaces/${encodeURIComponent(ctx.namespace)}/pods/${encodeURIComponent(pod)}/log`, {
    container,
    follow: f.follow ? true : undefined,
    previous: f.previous ? true : undefined,
    timestamps: f.timestamps ? true : undefined,
    // kubectl's --tail=-1 is "all"
    tailLines: tail !== undefined && tail >= 0 ? tail : undefined,
    limitBytes,
    sinceSeconds,
    sinceTime: f.sinceTime,
  });
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  let res: Dispatcher.ResponseData;
  try {
    try {
      res = await request(ctx.client.server + path, { method: 'GET', dispatcher: agent, headers: { ...headers, accept: 'text/plain, */*' }, signal: ac.signal, headersTimeout: 30_000, bodyTimeout: 0 });
    } catch (e) {
      throw new Error(`Unable to connect to the server at ${ctx.client.server}: ${(e as Error).message}`);
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const text = await res.body.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not a Status
      }
      throw statusErrorFrom(res.statusCode, body);
    }
    try {
      for await (const chunk of res.body) {
        if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
      }
    } catch (e) {
      if (!ac.signal.aborted) throw e;
    }
  } finally {
    process.off('SIGINT', stop);
    await agent.destroy().catch(() => {});
  }
}

export function registerLogsCommand(program: Command): void {
  withClientFlags(
    program
      .command('logs')
      .description("Print a container's log (kubectl logs)")
      .argument('<pod>', 'the pod')
      .option('-c, --container <name>', 'the container (default: the only one, or the first)')
      .option('-f, --follow', 'stream the log as it grows, until the container stops')
      .option('-p, --previous', "the previous (terminated) instance's log")
      .option('--tail <lines>', 'only the last lines (-1: all)')
      .option('--since <duration>', 'only lines newer than this, e.g. 5s, 2m, 3h')
      .option('--since-time <time>', 'only lines after this RFC 3339 time')
      .option('--timestamps', 'prefix each line with its time')
      .option('--limit-bytes <bytes>', 'at most this many bytes'),
  ).action((pod: string, flags: LogsFlags) => runClient(flags, (ctx) => logs(ctx, pod, flags)));
}
