#!/usr/bin/env node
// `npm run bench -- <name> [flags]`: runs bench/<name>.ts with tsx, passing the flags through.
// With no name or an unknown one, lists the benchmarks and exits 2.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = join(root, 'bench');
const available = existsSync(benchDir)
  ? readdirSync(benchDir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts') && !f.startsWith('_'))
      .map((f) => f.slice(0, -3))
      .sort()
  : [];

const [name, ...flags] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  if (name) console.error(`unknown benchmark: ${name}`);
  console.error('usage: npm run bench -- <name> [flags]');
  console.error(`benchmarks: ${available.length ? available.join(', ') : '(none yet)'}`);
  process.exit(2);
}

const child = spawn(process.execPath, ['--import', 'tsx', join(benchDir, `${name}.ts`), ...flags], {
  cwd: root,
  stdio: 'inherit',
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 1)));
