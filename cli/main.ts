// The `skiff` CLI: one binary for the server, the node agent and the client commands.
//
// Each group of commands is loaded only when it runs: a client command (`skiff get pods`) must not
// pay for loading the server, the kernel and every plugin (the build splits the bundle at these
// dynamic imports). The first argument picks the group; anything else (`--help`, no command, a
// command not in the table) loads them all, so commander's help and errors stay whole.
import { Command } from 'commander';

type Registrar = (program: Command) => void;
const GROUPS: { commands: string[]; load: () => Promise<Registrar[]> }[] = [
  { commands: ['up', 'server'], load: async () => [(await import('./commands/server.ts')).registerServerCommands] },
  { commands: ['get', 'delete', 'describe', 'api-resources', 'apply', 'create', 'rollout', 'scale'], load: async () => [(await import('./commands/client.ts')).registerClientCommands] },
  { commands: ['sim'], load: async () => [(await import('./commands/sim.ts')).registerSimCommand] },
  { commands: ['agent'], load: async () => [(await import('./commands/agent.ts')).registerAgentCommand] },
  { commands: ['image'], load: async () => [(await import('./commands/image.ts')).registerImageCommand] },
  { commands: ['plugin'], load: async () => [(await import('./commands/plugin.ts')).registerPluginCommand] },
  { commands: ['wasm'], load: async () => [(await import('./commands/wasm.ts')).registerWasmCommands] },
  { commands: ['logs'], load: async () => [(await import('./commands/logs.ts')).registerLogsCommand] },
  { commands: ['exec'], load: async () => [(await import('./commands/exec.ts')).registerExecCommand] },
  { commands: ['csi-hostpath'], load: async () => [(await import('./commands/csi-hostpath.ts')).registerCsiHostpathCommand] },
  { commands: ['port-forward'], load: async () => [(await import('./commands/port-forward.ts')).registerPortForwardCommand] },
  { commands: ['cordon', 'uncordon', 'drain'], load: async () => [(await import('./commands/drain.ts')).registerDrainCommands] },
  { commands: ['device-plugin'], load: async () => [(await import('./commands/device-plugin.ts')).registerDevicePluginCommand] },
];

async function main(): Promise<void> {
  const program = new Command();
  program.name('skiff').description('Skiff: a small, fast, pluggable container orchestrator').version('0.1.0');
  // root options (--version) only before the command: `skiff plugin install --version V` is the plugin's
  program.enablePositionalOptions();
  const first = process.argv[2];
  const group = GROUPS.find((g) => first !== undefined && g.commands.includes(first));
  const registrars = group ? await group.load() : (await Promise.all(GROUPS.map((g) => g.load()))).flat();
  for (const register of registrars) register(program);
  await program.parseAsync(process.argv);
}

main().catch((e: unknown) => {
  process.stderr.write(`error: ${(e as Error)?.message ?? e}\n`);
  process.exit(1);
});
