// The `skiff` CLI: one binary for the server, the node agent and the client commands.
import 'reflect-metadata';
import { Command } from 'commander';
import { registerServerCommands } from './commands/server.ts';
import { registerClientCommands } from './commands/client.ts';
import { registerSimCommand } from './commands/sim.ts';
import { registerPluginCommand } from './commands/plugin.ts';
import { registerWasmCommands } from './commands/wasm.ts';
import { registerLogsCommand } from './commands/logs.ts';
import { registerExecCommand } from './commands/exec.ts';
import { registerAgentCommand } from './commands/agent.ts';
import { registerImageCommand } from './commands/image.ts';
import { registerDrainCommands } from './commands/drain.ts';

const program = new Command();
program.name('skiff').description('Skiff: a small, fast, pluggable container orchestrator').version('0.1.0');
// root options (--version) only before the command: `skiff plugin install --version V` is the plugin's
program.enablePositionalOptions();
registerServerCommands(program);
registerClientCommands(program);
registerSimCommand(program);
registerAgentCommand(program);
registerImageCommand(program);
registerPluginCommand(program);
registerWasmCommands(program);
registerLogsCommand(program);
registerExecCommand(program);
registerDrainCommands(program);
program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`error: ${(e as Error)?.message ?? e}\n`);
  process.exit(1);
});
