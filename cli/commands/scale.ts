// `skiff scale`: kubectl's scale through the scale subresource (deployments, replicasets,
// statefulsets, replicationcontrollers).
import type { Command } from 'commander';
import { runClient, withClientFlags, type ClientFlags } from '../client/context.ts';
import { scale, type ScaleFlags } from '../client/scale.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerScaleCommand(program: Command): void {
  withClientFlags(
    program
      .command('scale')
      .description('Set a new size for a deployment, replica set, replication controller or stateful set')
      .argument('[resources...]', 'TYPE NAME... or TYPE/NAME... (a TYPE alone with --all or -l)')
      .option('--replicas <count>', 'the new desired number of replicas (required)')
      .option('--current-replicas <count>', 'precondition: scale only if the current size is this (-1, the default: no condition)')
      .option('--resource-version <version>', 'precondition: scale only if the resource version is this')
      .option('--timeout <duration>', 'how long to wait for the new size (e.g. 1s, 2m); 0 (default) does not wait')
      .option('--all', 'all resources of the types given in the namespace')
      .option('-l, --selector <selector>', 'label selector, e.g. app=web')
      .option('-f, --filename <file>', 'a file or directory naming the resources (repeatable)', collect)
      .option('-R, --recursive', 'process directories recursively')
      .option('--dry-run [strategy]', 'none (default), client or server'),
  ).action((resources: string[], flags: ClientFlags & ScaleFlags) => runClient(flags, (ctx) => scale(ctx, resources, flags)));
}
