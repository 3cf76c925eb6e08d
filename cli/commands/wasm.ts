// `skiff wasm new | build | test`: writing WebAssembly policies without a cluster.
//   new <dir>        a starter project (AssemblyScript) for a scheduler or admission policy
//   build [dir]      the project's component: <dir>/build/<name>.wasm
//   test <wasm|dir> -f cases.yaml
//                    the policy against nodes, pods or admission requests from a YAML file, in the
//                    sandbox the scheduler uses; exits 1 when an `expect` does not hold
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { runPolicyTest, type PolicyTestFile, type PolicyTestResult } from '@skiff/plugin-wasm-policies';
import { buildComponent, newProject } from '@skiff/wasm-sdk';
import { formatTable } from '../client/table.ts';

type World = 'scheduler-policy' | 'admission-policy';

interface Manifest {
  name: string;
  world: World;
  entry: string;
}

const MANIFEST = 'skiff-policy.json';

function worldOf(kind: string | undefined): World {
  const k = (kind ?? 'scheduler-policy').replace(/^skiff\.io\//, '');
  if (k === 'scheduler-policy' || k === 'scheduler') return 'scheduler-policy';
  if (k === 'admission-policy' || k === 'admission') return 'admission-policy';
  throw new Error(`unknown kind "${kind}": use scheduler-policy or admission-policy`);
}

/** The project's manifest, or one guessed from its files. */
export function readManifest(dir: string, flags: { entry?: string; world?: string } = {}): Manifest {
  const file = join(dir, MANIFEST);
  let m: Partial<Manifest> = {};
  if (existsSync(file)) {
    try {
      m = JSON.parse(readFileSync(file, 'utf8')) as Partial<Manifest>;
    } catch (e) {
      throw new Error(`${file} is not valid JSON: ${(e as Error).message}`);
    }
  }
  const entry = flags.entry ?? m.entry ?? ['assembly/index.ts', 'policy.js', 'index.js'].find((f) => existsSync(join(dir, f)));
  if (!entry) throw new Error(`no policy found in ${dir}: expected ${MANIFEST}, assembly/index.ts or policy.js (or pass --entry)`);
  return { name: m.name ?? basename(resolve(dir)), world: worldOf(flags.world ?? m.world), entry };
}

async function build(dir: string, opts: { out?: string; entry?: string; world?: string }) {
  const m = readManifest(dir, opts);
  const outFile = resolve(opts.out ?? join(dir, 'build', `${m.name}.wasm`));
  const r = await buildComponent({ entry: resolve(dir, m.entry), world: m.world, outFile });
  return { manifest: m, outFile, bytes: r.bytes, ms: r.ms };
}

function printResult(r: PolicyTestResult): void {
  for (const p of r.pods) {
    process.stdout.write(`pod ${p.pod} -> ${p.node ?? '(fits nowhere)'}\n`);
    const rows = p.verdicts.map((v) => [v.node, v.fits ? 'yes' : 'no', v.reason ?? '', v.score === undefined ? '' : String(v.score)]);
    for (const line of formatTable(['NODE', 'FITS', 'REASON', 'SCORE'], rows)) process.stdout.write(`  ${line}\n`);
    for (const f of p.failures) process.stdout.write(`  FAIL ${f}\n`);
  }
  for (const q of r.requests) {
    const what = q.allowed ? `allowed${q.patch ? `, patch ${JSON.stringify(q.patch)}` : ''}` : `denied: ${q.message ?? ''}`;
    process.stdout.write(`${q.request}: ${what}\n`);
    for (const f of q.failures) process.stdout.write(`  FAIL ${f}\n`);
  }
  const failed = [...r.pods, ...r.requests].filter((o) => o.failures.length).length;
  const total = r.pods.length + r.requests.length;
  process.stdout.write(failed ? `${failed} of ${total} failed\n` : `${total} passed\n`);
}

export function registerWasmCommands(program: Command): void {
  const wasm = program.command('wasm').description('write, build and test WebAssembly policies');

  wasm
    .command('new')
    .description('create a starter policy project')
    .argument('<dir>', 'directory to create')
    .option('--kind <kind>', 'scheduler-policy or admission-policy', 'scheduler-policy')
    .option('--name <name>', 'policy name (default: the directory name)')
    .action(async (dir: string, o: { kind: string; name?: string }) => {
      const world = worldOf(o.kind);
      const name = o.name ?? basename(resolve(dir));
      if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw new Error(`invalid name "${name}": use lower-case letters, digits and '-'`);
      if (existsSync(dir) && statSync(dir).isDirectory() && existsSync(join(dir, MANIFEST))) throw new Error(`${dir} already has a policy project`);
      await newProject(dir, world, name);
      process.stdout.write(`created ${world} "${name}" in ${dir}\nnext: edit ${join(dir, 'assembly/index.ts')}, then\n  skiff wasm build ${dir}\n  skiff wasm test ${dir} -f ${join(dir, 'test.yaml')}\n  skiff plugin install ${join(dir, 'build', `${name}.wasm`)} --type ${world === 'scheduler-policy' ? 'scheduler-policy' : 'admission'} --name ${name}\n`);
    });

  wasm
    .command('build')
    .description('build a policy project into a WebAssembly component')
    .argument('[dir]', 'project directory', '.')
    .option('-o, --out <file>', 'output file (default: <dir>/build/<name>.wasm)')
    .option('--entry <file>', 'entry source (default: from skiff-policy.json)')
    .option('--world <world>', 'scheduler-policy or admission-policy')
    .action(async (dir: string, o: { out?: string; entry?: string; world?: string }) => {
      const r = await build(dir, o);
      process.stdout.write(`built ${r.outFile} (${r.manifest.world}, ${r.bytes.length} bytes, ${Math.round(r.ms)} ms)\n`);
    });

  wasm
    .command('test')
    .description('run a policy against nodes and pods (or admission requests) from a YAML file')
    .argument('<policy>', 'a .wasm component, or a project directory (built first)')
    .requiredOption('-f, --file <cases>', 'YAML: config, nodes and pods (with optional expect), or requests')
    .option('--timeout-ms <ms>', 'per-call deadline', '1000')
    .action(async (policy: string, o: { file: string; timeoutMs: string }) => {
      let bytes: Uint8Array;
      if (existsSync(policy) && statSync(policy).isDirectory()) bytes = (await build(policy, {})).bytes;
      else if (existsSync(policy)) bytes = readFileSync(policy);
      else throw new Error(`${policy}: no such file or directory`);
      if (!existsSync(o.file)) throw new Error(`${o.file}: no such file`);
      let cases: PolicyTestFile;
      try {
        cases = (parse(readFileSync(o.file, 'utf8')) ?? {}) as PolicyTestFile;
      } catch (e) {
        throw new Error(`${o.file} is not valid YAML: ${(e as Error).message}`);
      }
      const r = await runPolicyTest(bytes, cases, { callTimeoutMs: Number(o.timeoutMs) || 1000 });
      printResult(r);
      if (!r.ok) process.exitCode = 1;
    });
}
