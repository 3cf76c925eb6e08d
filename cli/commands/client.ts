// Client commands (get, apply, create, delete, describe, api-resources) against the REST API.
import type { Command } from 'commander';
import { apiResources } from '../client/api-resources.ts';
import { applyAll } from '../client/apply.ts';
import { runClient, withClientFlags, type ClientFlags } from '../client/context.ts';
import { deleteAll, targetsByType, targetsOf, type DeleteFlags } from '../client/delete.ts';
import { describe } from '../client/describe.ts';
import { get, type GetFlags } from '../client/get.ts';
import { readManifests } from '../client/manifests.ts';
import { registerRolloutCommands } from './rollout.ts';
import { registerScaleCommand } from './scale.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];

const parseBool = (v: string | undefined): boolean => v === undefined || !/^(false|0|no)$/i.test(v);

export function registerClientCommands(program: Command): void {
  withClientFlags(
    program
      .command('get')
      .description('Display one or many resources (a table, or -o json|yaml|name|wide)')
      .argument('<type>', 'resource type(s): pods, po, pod, deploy, deployments.apps, po,cm, or type/name')
      .argument('[names...]', 'names (default: all)')
      .option('-o, --output <format>', 'json, yaml, wide or name')
      .option('-l, --selector <selector>', 'label selector, e.g. app=web,tier!=db')
      .option('--field-selector <selector>', 'field selector, e.g. metadata.name=x')
      .option('-w, --watch', 'after listing, watch for changes'),
    { allNamespaces: true },
  ).action((type: string, names: string[], flags: GetFlags & ClientFlags) => runClient(flags, (ctx) => get(ctx, [type, ...names], flags)));

  for (const mode of ['apply', 'create'] as const) {
    withClientFlags(
      program
        .command(mode)
        .description(mode === 'apply' ? 'Create or update resources from files (client-side apply)' : 'Create resources from files')
        .requiredOption('-f, --filename <file>', 'a file, a directory, or - for stdin (repeatable)', collect)
        .option('-R, --recursive', 'process directories recursively'),
    ).action((flags: ClientFlags & { filename: string[]; recursive?: boolean }) =>
      runClient(flags, async (ctx) => applyAll(ctx, await readManifests(flags.filename, { recursive: flags.recursive }), mode)),
    );
  }

  withClientFlags(
    program
      .command('delete')
      .description('Delete resources by type and names, by --all / -l, or from files')
      .argument('[type]', 'resource type')
      .argument('[names...]', 'names')
      .option('-f, --filename <file>', 'a file, a directory, or - for stdin (repeatable)', collect)
      .option('-R, --recursive', 'process directories recursively')
      .option('--all', 'delete all resources of the type in the namespace')
      .option('-l, --selector <selector>', 'delete the resources matching a label selector')
      .option('--cascade <policy>', 'background, foreground or orphan', 'background')
      .option('--grace-period <seconds>', 'seconds given to the resource to terminate (-1: its default)')
      .option('--wait [bool]', 'wait until the resources are gone (default true; --wait=false to return at once)', true)
      .option('--ignore-not-found', 'treat "not found" as a successful delete'),
  ).action((type: string | undefined, names: string[], flags: ClientFlags & DeleteFlags & { filename?: string[]; recursive?: boolean; wait?: boolean | string }) =>
    runClient(flags, async (ctx) => {
      const dflags: DeleteFlags = { ...flags, wait: parseBool(flags.wait === true ? undefined : String(flags.wait)) };
      if (flags.filename?.length) {
        if (type) throw new Error('error: when -f is given, no resource type or names may be');
        return deleteAll(ctx, await targetsOf(ctx, await readManifests(flags.filename, { recursive: flags.recursive })), dflags);
      }
      if (!type) throw new Error('error: you must provide one or more resources by argument or filename');
      return deleteAll(ctx, await targetsByType(ctx, type, names, dflags), dflags);
    }),
  );

  withClientFlags(
    program
      .command('describe')
      .description('Show details of a resource, with its events')
      .argument('<type>', 'resource type')
      .argument('[names...]', 'names (default: all of the type)'),
  ).action((type: string, names: string[], flags: ClientFlags) => runClient(flags, (ctx) => describe(ctx, type, names)));

  withClientFlags(
    program
      .command('api-resources')
      .description('List the resource types the server serves')
      .option('--namespaced <bool>', 'only namespaced (true) or cluster-scoped (false) resources')
      .option('-o, --output <format>', 'wide or name'),
  ).action((flags: ClientFlags & { namespaced?: string; output?: string }) => runClient(flags, (ctx) => apiResources(ctx, flags)));

  registerRolloutCommands(program);
  registerScaleCommand(program);
}
