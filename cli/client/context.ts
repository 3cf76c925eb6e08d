// What every client command needs: the kubeconfig (from --kubeconfig, $KUBECONFIG or the Skiff
// home), a RestClient for it, discovery, the namespace, and where output goes.
import { join } from 'node:path';
import type { Command } from 'commander';
import { defaultHome } from '../home-dir.ts';
import { readKubeconfig } from '../kubeconfig.ts';
import { RestClient } from '@skiff/client/rest';
import { Resources } from './resources.ts';

export interface ClientFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces?: boolean;
}

export interface ClientContext {
  client: RestClient;
  resources: Resources;
  /** -n, else `default` */
  namespace: string;
  /** whether -n was given explicitly */
  namespaceExplicit: boolean;
  allNamespaces: boolean;
  out: (s: string) => void;
  err: (s: string) => void;
}

/** --kubeconfig, else the first file of $KUBECONFIG, else `$SKIFF_HOME/kubeconfig` (~/.skiff/kubeconfig). */
export function kubeconfigPath(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag;
  const fromEnv = env.KUBECONFIG?.split(':').find((p) => p.trim() !== '');
  return fromEnv ?? join(defaultHome(), 'kubeconfig');
}

/** Adds the flags every client command shares; `allNamespaces` only where -A applies. */
export function withClientFlags(cmd: Command, o: { allNamespaces?: boolean } = {}): Command {
  cmd
    .option('--kubeconfig <file>', 'kubeconfig file (default $KUBECONFIG, else $SKIFF_HOME/kubeconfig or ~/.skiff/kubeconfig)')
    .option('--context <name>', 'kubeconfig context to use (default: its current-context)')
    .option('-n, --namespace <ns>', 'namespace (default "default")');
  if (o.allNamespaces) cmd.option('-A, --all-namespaces', 'across all namespaces');
  return cmd;
}

export async function clientContext(flags: ClientFlags): Promise<ClientContext> {
  const path = kubeconfigPath(flags.kubeconfig);
  let target;
  try {
    target = await readKubeconfig(path, flags.context);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`error: no kubeconfig at ${path}: start a server (skiff up), or pass --kubeconfig / set KUBECONFIG`);
    }
    throw e;
  }
  const client = new RestClient(target);
  return {
    client,
    resources: new Resources(client),
    namespace: flags.namespace || 'default',
    namespaceExplicit: !!flags.namespace,
    allNamespaces: !!flags.allNamespaces,
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  };
}

/**
 * Runs a command body with a context; an error is printed as-is (kubectl style: no `error:`
 * prefix for server errors) and sets the exit code to 1. A number returned is the exit code.
 */
export async function runClient(flags: ClientFlags, body: (ctx: ClientContext) => Promise<number | void>): Promise<void> {
  let ctx: ClientContext | undefined;
  try {
    ctx = await clientContext(flags);
    const code = await body(ctx);
    if (code) process.exitCode = code;
  } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    process.stderr.write((/^(error:|Error from server)/.test(msg) ? msg : `error: ${msg}`) + '\n');
    process.exitCode = 1;
  } finally {
    await ctx?.client.close();
  }
}
