// End-to-end tests drive the real binary: `skiff server` as a child process, as a user runs it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface SkiffProcess {
  pid: number;
  kubeconfig: string;
  url: string;
  token: string;
  ca: string;
  /** ms from spawn to the kubeconfig being written (the API serving) */
  readyMs: number;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): Promise<void>;
  /** what it wrote to stdout and stderr so far (with `capture`; else '') */
  output(): string;
}

export interface StartOptions {
  /** `server` (the default) or `up` (the control plane and a node agent on this machine) */
  command?: 'server' | 'up';
  /** keep its output for output() (it still goes to this process's stdout and stderr) */
  capture?: boolean;
}

export function skiffBin(): string {
  const bin = process.env.SKIFF_BIN;
  if (!bin || !existsSync(bin)) throw new Error('SKIFF_BIN is not set: the test global setup could not build dist/skiff.mjs (see its output)');
  return bin;
}

export async function startSkiff(home: string, args: string[] = [], o: StartOptions = {}): Promise<SkiffProcess> {
  const kubeconfig = join(home, 'kubeconfig');
  rmSync(kubeconfig, { force: true });
  const t0 = Date.now();
  const child: ChildProcess = spawn(process.execPath, [skiffBin(), o.command ?? 'server', '--home', home, '--port', '0', '--log-level', 'warn', ...args], {
    stdio: ['ignore', o.capture ? 'pipe' : 'inherit', o.capture ? 'pipe' : 'inherit'],
  });
  let output = '';
  if (o.capture) {
    // the last MiB is plenty for a test to look in
    const keep = (d: Buffer) => (output = (output + d.toString()).slice(-1 << 20));
    child.stdout!.on('data', (d: Buffer) => (keep(d), process.stdout.write(d)));
    child.stderr!.on('data', (d: Buffer) => (keep(d), process.stderr.write(d)));
  }
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    while (!existsSync(kubeconfig)) {
      if (child.exitCode !== null) throw new Error(`skiff ${o.command ?? 'server'} exited with ${child.exitCode}`);
      if (Date.now() - t0 > 30_000) throw new Error(`skiff ${o.command ?? 'server'} did not start in 30 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  } catch (e) {
    child.kill('SIGKILL'); // never leave a server behind a failed start
    throw e;
  }
  const readyMs = Date.now() - t0;
  const kc = parseYaml(readFileSync(kubeconfig, 'utf8'));
  return {
    pid: child.pid!,
    kubeconfig,
    url: kc.clusters[0].cluster.server,
    token: kc.users[0].user.token,
    ca: Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString(),
    readyMs,
    exited,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
    output: () => output,
  };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** standard input (closed after it) */
  input?: string;
  /** what node runs (default: the built CLI, SKIFF_BIN) */
  entry?: string[];
  /** killed after this long */
  timeoutMs?: number;
}

/** `skiff <args>` as a child process, run to its end: exit code and output. */
export function runSkiff(args: string[], o: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(o.entry ?? [skiffBin()]), ...args], { cwd: o.cwd, env: o.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(o.input ?? '');
  });
}
