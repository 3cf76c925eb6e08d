// `skiff rollout status|history|undo|restart|pause|resume`: kubectl's rollout commands for
// Deployments, DaemonSets and StatefulSets (TYPE NAME, TYPE/NAME, a TYPE alone, -l, -f).
import type { Command } from 'commander';
import { runClient, withClientFlags, type ClientFlags } from '../client/context.ts';
import type { StatusFlags } from '../client/rollout-run.ts';
import type { TargetFlags } from '../client/rollout-targets.ts';

// loaded when a rollout command runs: it brings the strategic merge patch (and fast-json-patch),
// which the other client commands (`skiff get`) should not pay for at start
const run = () => import('../client/rollout-run.ts');
const collect = (v: string, prev: string[] = []) => [...prev, v];
const BOOL = /^(1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$/;

/** The flags every rollout subcommand shares (kubectl: -f, -R, -l). */
function withTargetFlags(cmd: Command): Command {
  return withClientFlags(cmd)
    .argument('[resources...]', 'TYPE NAME..., TYPE/NAME..., or a TYPE alone (all of it in the namespace)')
    .option('-f, --filename <file>', 'a file or directory naming the resources (repeatable)', collect)
    .option('-R, --recursive', 'process directories recursively')
    .option('-l, --selector <selector>', 'label selector, e.g. app=web');
}

export function registerRolloutCommands(program: Command): void {
  const rollout = program.command('rollout').description('Manage the rollout of deployments, daemonsets and statefulsets');

  withTargetFlags(rollout.command('status').description("Show the status of the rollout (by default, watch it until it's done)"))
    // an optional value so that --watch=false works; a value that is no boolean is a resource (-w deploy/x)
    .option('-w, --watch [bool]', "watch the status of the rollout until it's done (default true)")
    .option('--revision <n>', 'pin to a specific revision; 0 (default) follows the latest')
    .option('--timeout <duration>', 'how long to wait before ending the watch (e.g. 1s, 2m); 0 (default) waits forever')
    .action((resources: string[], flags: ClientFlags & StatusFlags) => {
      const args = [...resources];
      if (typeof flags.watch === 'string' && flags.watch.startsWith('=')) flags.watch = flags.watch.slice(1); // -w=false
      if (typeof flags.watch === 'string' && !BOOL.test(flags.watch)) {
        args.unshift(flags.watch);
        flags.watch = true;
      }
      return runClient(flags, async (ctx) => (await run()).rolloutStatus(ctx, args, flags));
    });

  withTargetFlags(rollout.command('history').description('View previous rollout revisions and configurations'))
    .option('--revision <n>', 'see the details, including the pod template, of the revision specified')
    .action((resources: string[], flags: ClientFlags & TargetFlags & { revision?: string }) => runClient(flags, async (ctx) => (await run()).rolloutHistory(ctx, resources, flags)));

  withTargetFlags(rollout.command('undo').description('Roll back to a previous rollout'))
    .option('--to-revision <n>', 'the revision to roll back to; 0 (default) is the previous one')
    .option('--dry-run [strategy]', 'none (default), client or server')
    .action((resources: string[], flags: ClientFlags & TargetFlags & { toRevision?: string; dryRun?: string | boolean }) => runClient(flags, async (ctx) => (await run()).rolloutUndo(ctx, resources, flags)));

  const simple = [
    ['restart', 'Restart a resource: its pods are replaced by a rolling update'],
    ['pause', 'Mark a deployment as paused: template changes do not roll out until it is resumed'],
    ['resume', 'Resume a paused deployment'],
  ] as const;
  for (const [verb, description] of simple) {
    withTargetFlags(rollout.command(verb).description(description)).action((resources: string[], flags: ClientFlags & TargetFlags) =>
      runClient(flags, async (ctx) => (await run()).rolloutPatch(ctx, verb, resources, flags)),
    );
  }
}
