// `skiff cordon` / `skiff uncordon` / `skiff drain`, as kubectl's: cordon marks the node
// unschedulable (a patch of spec.unschedulable); drain cordons it, then evicts every pod on it
// (pods/eviction, which honours PodDisruptionBudgets: a 429 is retried every 5 s until --timeout)
// except mirror pods and, with --ignore-daemonsets, DaemonSet pods, and waits for them to be gone.
import type { Command } from 'commander';
import { runClient, withClientFlags, type ClientContext, type ClientFlags } from '../client/context.ts';
import { StatusError, isNotFound } from '@skiff/client/rest';
import { podsForDeletion, deletedLongAgo, type DrainPod, type FilterOptions } from './drain-filters.ts';
import { durationSeconds } from './logs.ts';

/** How long a drain waits before retrying an eviction a budget refused (kubectl's 5 s). */
export const EVICTION_RETRY_MS = 5000;
const POLL_MS = 1000;

type DryRun = 'none' | 'client' | 'server';

interface NodeFlags extends ClientFlags {
  selector?: string;
  dryRun?: string;
}

export interface DrainFlags extends NodeFlags {
  force?: boolean;
  ignoreDaemonsets?: boolean;
  deleteEmptydirData?: boolean;
  gracePeriod?: string;
  timeout?: string;
  podSelector?: string;
  disableEviction?: boolean;
  skipWaitForDeleteTimeout?: string;
  chunkSize?: string;
}

interface Node {
  metadata: { name: string };
  spec?: { unschedulable?: boolean };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const enc = encodeURIComponent;
const messageOf = (e: unknown) => (e instanceof StatusError ? e.status.message || e.message : (e as Error)?.message ?? String(e));

function dryRunOf(v: string | undefined): DryRun {
  if (v === undefined) return 'none';
  if (v === 'none' || v === 'client' || v === 'server') return v;
  throw new Error(`Invalid dry-run value (${v}). Must be "none", "server", or "client".`);
}
const dryRunSuffix = (d: DryRun) => (d === 'client' ? ' (dry run)' : d === 'server' ? ' (server dry run)' : '');

/** Go's time.Duration.String() for whole seconds ("20s", "1m30s", "1h0m0s"). */
export function goDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h ? `${h}h${m}m${s}s` : m ? `${m}m${s}s` : `${s}s`;
}

/** The nodes named, or selected by -l (kubectl: one name or a selector, not both). */
async function nodesOf(ctx: ClientContext, name: string | undefined, f: NodeFlags, verb: string): Promise<Node[]> {
  if (name && f.selector) throw new Error('error: cannot specify both a node name and a --selector option');
  if (!name && !f.selector) throw new Error(`error: USAGE: ${verb} NODE [flags]`);
  if (name) return [await ctx.client.get<Node>(`/api/v1/nodes/${enc(name)}`)];
  return (await ctx.client.get<{ items: Node[] }>('/api/v1/nodes', { query: { labelSelector: f.selector } })).items;
}

/** Cordon (desired true) or uncordon one node; prints what kubectl prints. */
async function cordonNode(ctx: ClientContext, node: Node, desired: boolean, dryRun: DryRun): Promise<void> {
  const name = node.metadata.name;
  const verb = desired ? 'cordoned' : 'uncordoned';
  if (!!node.spec?.unschedulable === desired) {
    ctx.out(`node/${name} already ${verb}${dryRunSuffix(dryRun)}\n`);
    return;
  }
  if (dryRun !== 'client') {
    // false is left out of a Node (omitempty), so uncordon removes the field, as kubectl's patch does
    await ctx.client.request('PATCH', `/api/v1/nodes/${enc(name)}`, {
      body: { spec: { unschedulable: desired ? true : null } },
      contentType: 'application/merge-patch+json',
      query: { dryRun: dryRun === 'server' ? 'All' : undefined },
    });
  }
  ctx.out(`node/${name} ${verb}${dryRunSuffix(dryRun)}\n`);
}

async function cordonAll(ctx: ClientContext, name: string | undefined, f: NodeFlags, desired: boolean): Promise<void> {
  const dryRun = dryRunOf(f.dryRun);
  for (const node of await nodesOf(ctx, name, f, desired ? 'cordon' : 'uncordon')) await cordonNode(ctx, node, desired, dryRun);
}

/** The group-version of pods/eviction the server serves, if any (kubectl's CheckEvictionSupport). */
async function evictionVersion(ctx: ClientContext): Promise<string | undefined> {
  const list = await ctx.client.get<{ resources?: { name: string; kind: string; group?: string; version?: string }[] }>('/api/v1');
  const r = list.resources?.find((x) => x.name === 'pods/eviction' && x.kind === 'Eviction' && x.group && x.version);
  return r ? `${r.group}/${r.version}` : undefined;
}

interface DrainOptions extends FilterOptions {
  gracePeriodSeconds: number;
  timeoutSeconds: number;
  podSelector?: string;
  disableEviction: boolean;
  chunkSize: number;
  dryRun: DryRun;
}

class Drainer {
  private readonly deadline: number;

  constructor(
    private readonly ctx: ClientContext,
    private readonly o: DrainOptions,
  ) {
    this.deadline = o.timeoutSeconds > 0 ? Date.now() + o.timeoutSeconds * 1000 : Infinity;
  }

  private get timedOut(): boolean {
    return Date.now() >= this.deadline;
  }

  private timeoutText(): string {
    return this.o.timeoutSeconds > 0 ? goDuration(this.o.timeoutSeconds) : '2562047h47m16.854775807s';
  }

  /** Every pod bound to the node (field selector spec.nodeName), in chunks. */
  async listPods(node: string): Promise<DrainPod[]> {
    const out: DrainPod[] = [];
    let cont: string | undefined;
    do {
      const page = await this.ctx.client.get<{ items: DrainPod[]; metadata?: { continue?: string } }>('/api/v1/pods', {
        query: { fieldSelector: `spec.nodeName=${node}`, labelSelector: this.o.podSelector, limit: this.o.chunkSize > 0 ? this.o.chunkSize : undefined, continue: cont },
      });
      out.push(...page.items);
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return out;
  }

  async podsForDeletion(node: string) {
    return podsForDeletion(await this.listPods(node), this.o, async (ns, name) => {
      try {
        await this.ctx.client.get(`/apis/apps/v1/namespaces/${enc(ns)}/daemonsets/${enc(name)}`);
        return 'found';
      } catch (e) {
        if (isNotFound(e)) return 'notFound';
        throw new Error(messageOf(e));
      }
    });
  }

  private deleteOptions(): Record<string, unknown> {
    return {
      ...(this.o.gracePeriodSeconds >= 0 ? { gracePeriodSeconds: this.o.gracePeriodSeconds } : {}),
      ...(this.o.dryRun === 'server' ? { dryRun: ['All'] } : {}),
    };
  }

  private getPod(p: DrainPod): Promise<DrainPod> {
    return this.ctx.client.get<DrainPod>(`/api/v1/namespaces/${enc(p.metadata.namespace)}/pods/${enc(p.metadata.name)}`);
  }

  /** Polls until the pod is gone (or replaced by one with another uid), or the global timeout. */
  private async waitForDelete(p: DrainPod): Promise<void> {
    for (;;) {
      let cur: DrainPod | undefined;
      try {
        cur = await this.getPod(p);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      if (!cur || cur.metadata.uid !== p.metadata.uid) return;
      if (deletedLongAgo(cur, this.o.skipWaitForDeleteTimeoutSeconds)) {
        this.ctx.out(`pod "${p.metadata.name}" has DeletionTimestamp older than ${this.o.skipWaitForDeleteTimeoutSeconds} seconds, skipping\n`);
        return;
      }
      if (this.timedOut) throw new Error(`global timeout reached: ${this.timeoutText()}`);
      await sleep(Math.min(POLL_MS, Math.max(0, this.deadline - Date.now())));
    }
  }

  /** Evict one pod, retrying while a disruption budget says 429, then wait for it to go. */
  private async evictOne(p: DrainPod, version: string): Promise<void> {
    const { name, namespace } = p.metadata;
    const path = `/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}/eviction`;
    let gone = false;
    for (;;) {
      this.ctx.out(`evicting pod ${namespace}/${name}${this.o.dryRun === 'server' ? ' (server dry run)' : ''}\n`);
      if (this.timedOut) throw new Error(`error when evicting pods/"${name}" -n "${namespace}": global timeout reached: ${this.timeoutText()}`);
      try {
        await this.ctx.client.request('POST', path, { body: { apiVersion: version, kind: 'Eviction', metadata: { name, namespace }, deleteOptions: this.deleteOptions() } });
        break;
      } catch (e) {
        if (isNotFound(e)) {
          gone = true;
          break;
        }
        if (e instanceof StatusError && e.code === 429) {
          this.ctx.err(`error when evicting pods/"${name}" -n "${namespace}" (will retry after 5s): ${messageOf(e)}\n`);
          await sleep(EVICTION_RETRY_MS);
          continue;
        }
        throw new Error(`error when evicting pods/"${name}" -n "${namespace}": ${messageOf(e)}`);
      }
    }
    // already gone: nothing to wait for, nothing to say (as kubectl)
    if (gone || this.o.dryRun === 'server') return;
    try {
      await this.waitForDelete(p);
    } catch (e) {
      throw new Error(`error when waiting for pod "${name}" in namespace "${namespace}" to terminate: ${messageOf(e)}`);
    }
    this.ctx.out(`pod/${name} evicted\n`);
  }

  /** --disable-eviction: plain deletes, then wait for them all. */
  private async deleteOne(p: DrainPod): Promise<void> {
    const { name, namespace } = p.metadata;
    try {
      await this.ctx.client.request('DELETE', `/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}`, { body: { apiVersion: 'v1', kind: 'DeleteOptions', ...this.deleteOptions() } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (this.o.dryRun === 'server') return;
    await this.waitForDelete(p);
    this.ctx.out(`pod/${name} deleted\n`);
  }

  /** Every pod at once (a budget lets them through one by one); the errors of those that failed. */
  async evictOrDelete(pods: DrainPod[]): Promise<string[]> {
    const version = this.o.disableEviction ? undefined : await evictionVersion(this.ctx);
    const results = await Promise.allSettled(pods.map((p) => (version ? this.evictOne(p, version) : this.deleteOne(p))));
    return results.flatMap((r) => (r.status === 'rejected' ? [messageOf(r.reason)] : []));
  }

  /** deleteOrEvictPodsSimple: the node's pods, their warnings, the evictions. Returns errors. */
  async drainPods(node: string): Promise<string[]> {
    const list = await this.podsForDeletion(node);
    if (list.errors.length) return list.errors;
    if (list.warnings) this.ctx.err(`Warning: ${list.warnings}\n`);
    if (this.o.dryRun === 'client') {
      for (const p of list.pods) this.ctx.out(`evicting pod ${p.metadata.namespace}/${p.metadata.name} (dry run)\n`);
      return [];
    }
    const errors = await this.evictOrDelete(list.pods);
    if (errors.length) {
      const pending = await this.podsForDeletion(node).catch(() => undefined);
      if (pending?.pods.length) {
        this.ctx.err(`There are pending pods in node "${node}" when an error occurred: ${errors.join(', ')}\n`);
        for (const p of pending.pods) this.ctx.err(`pod/${p.metadata.name}\n`);
      }
    }
    return errors;
  }
}

const intFlag = (v: string | undefined, name: string, dflt: number): number => {
  if (v === undefined) return dflt;
  if (!/^-?\d+$/.test(v)) throw new Error(`invalid argument "${v}" for "--${name}" flag: not an integer`);
  return Number(v);
};

export async function drain(ctx: ClientContext, name: string | undefined, f: DrainFlags): Promise<number> {
  const dryRun = dryRunOf(f.dryRun);
  const o: DrainOptions = {
    force: !!f.force,
    ignoreAllDaemonSets: !!f.ignoreDaemonsets,
    deleteEmptyDirData: !!f.deleteEmptydirData,
    skipWaitForDeleteTimeoutSeconds: intFlag(f.skipWaitForDeleteTimeout, 'skip-wait-for-delete-timeout', 0),
    gracePeriodSeconds: intFlag(f.gracePeriod, 'grace-period', -1),
    timeoutSeconds: f.timeout === undefined || f.timeout === '0' ? 0 : durationSeconds(f.timeout),
    podSelector: f.podSelector,
    disableEviction: !!f.disableEviction,
    chunkSize: intFlag(f.chunkSize, 'chunk-size', 500),
    dryRun,
  };
  const drainer = new Drainer(ctx, o);
  const pending: string[] = [];
  let fatal: string[] | undefined;
  for (const node of await nodesOf(ctx, name, f, 'drain')) {
    const nodeName = node.metadata.name;
    let errors: string[];
    try {
      await cordonNode(ctx, node, true, dryRun);
      errors = await drainer.drainPods(nodeName);
    } catch (e) {
      errors = [messageOf(e)];
    }
    if (errors.length === 0) {
      ctx.out(`node/${nodeName} drained${dryRunSuffix(dryRun)}\n`);
      continue;
    }
    const text = errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
    ctx.err(`error: unable to drain node "${nodeName}" due to error: ${text}, continuing command...\n`);
    if (!pending.includes(nodeName)) {
      fatal ??= errors;
      pending.push(nodeName);
    }
  }
  if (pending.length === 0) return 0;
  ctx.err('There are pending nodes to be drained:\n');
  for (const n of [...pending].sort()) ctx.err(` ${n}\n`);
  // kubectl prints one error with "error: ", several one per line
  ctx.err(fatal!.length === 1 ? `error: ${fatal![0]}\n` : fatal!.map((m) => `${m}\n`).join(''));
  return 1;
}

export function registerDrainCommands(program: Command): void {
  for (const desired of [true, false]) {
    const verb = desired ? 'cordon' : 'uncordon';
    withClientFlags(
      program
        .command(verb)
        .description(desired ? 'Mark a node unschedulable' : 'Mark a node schedulable again')
        .argument('[node]', 'the node')
        .option('-l, --selector <selector>', 'the nodes with these labels')
        .option('--dry-run <strategy>', 'none, client or server'),
    ).action((node: string | undefined, flags: NodeFlags) => runClient(flags, (ctx) => cordonAll(ctx, node, flags, desired)));
  }
  withClientFlags(
    program
      .command('drain')
      .description('Cordon a node and evict its pods, honouring PodDisruptionBudgets (kubectl drain)')
      .argument('[node]', 'the node')
      .option('-l, --selector <selector>', 'the nodes with these labels')
      .option('--force', 'also delete pods no controller manages (nothing recreates them)')
      .option('--ignore-daemonsets', 'leave DaemonSet-managed pods alone')
      .option('--delete-emptydir-data', 'also evict pods with emptyDir volumes (their data is lost)')
      .option('--grace-period <seconds>', "seconds each pod gets to terminate (-1: the pod's own)", '-1')
      .option('--timeout <duration>', 'give up after this long, e.g. 90s, 5m (0: never)', '0s')
      .option('--pod-selector <selector>', 'only the pods with these labels')
      .option('--disable-eviction', 'delete pods instead of evicting them (bypasses PodDisruptionBudgets)')
      .option('--skip-wait-for-delete-timeout <seconds>', 'skip pods deleted more than this many seconds ago', '0')
      .option('--chunk-size <n>', 'list pods in pages of this size (0: all at once)', '500')
      .option('--dry-run <strategy>', 'none, client or server'),
  ).action((node: string | undefined, flags: DrainFlags) => runClient(flags, (ctx) => drain(ctx, node, flags)));
}
