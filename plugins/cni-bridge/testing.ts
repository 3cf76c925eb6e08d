// Test support for the real CNI tests: network namespaces the tests create (and delete), commands
// run inside them, and a TCP probe (node's net module run inside a namespace: there is no `ping`
// on these machines) that reports the peer address a server saw.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Run a command; reject (with its stderr) on a non-zero exit. */
export function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: opts.timeoutMs ?? 20_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}${stderr ? `\n${stderr}` : ''}`));
      else resolve({ stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Why the real CNI tests cannot run here, or undefined when they can. */
export function realCniSkipReason(binDir: string, plugins: readonly string[]): string | undefined {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, bridges, iptables)';
  const missing = plugins.filter((p) => !executable(join(binDir, p)));
  if (missing.length) return `CNI plugins missing in ${binDir}: ${missing.join(', ')} (apt-get install containernetworking-plugins)`;
  const tools = ['/usr/sbin/ip', '/usr/bin/nsenter', '/usr/sbin/iptables-save'].filter((t) => !executable(t));
  if (tools.length) return `tools missing: ${tools.join(', ')}`;
  return undefined;
}

/** A short random tag for names that must be unique (interface names are at most 15 characters). */
export const randomTag = (bytes = 3) => randomBytes(bytes).toString('hex');

/** A network namespace created by a test (`ip netns add`), deleted with everything in it by `delete()`. */
export class TestNetns {
  private constructor(readonly name: string) {}

  static async create(name: string): Promise<TestNetns> {
    await run('ip', ['netns', 'add', name]);
    const ns = new TestNetns(name);
    await ns.exec('ip', ['link', 'set', 'lo', 'up']);
    return ns;
  }

  /** The path plugins get as CNI_NETNS. */
  get path(): string {
    return `/run/netns/${this.name}`;
  }

  exec(cmd: string, args: string[], opts?: { input?: string; timeoutMs?: number }): Promise<RunResult> {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  /** `ip -j …` inside the namespace, parsed. */
  async ipJson<T = unknown>(...args: string[]): Promise<T> {
    return JSON.parse((await this.exec('ip', ['-j', ...args])).stdout) as T;
  }

  async delete(): Promise<void> {
    await run('ip', ['netns', 'delete', this.name]).catch(() => {});
  }
}

const SERVER = `
const net = require('node:net');
const srv = net.createServer((s) => s.end(JSON.stringify({ from: s.remoteAddress }) + '\\n'));
srv.listen(Number(process.argv[1]), process.argv[2] || '0.0.0.0', () => console.log('listening'));
`;

const CLIENT = `
const net = require('node:net');
const [host, port, timeout] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port) });
const t = setTimeout(() => { console.log(JSON.stringify({ error: 'TIMEOUT' })); process.exit(0); }, Number(timeout));
let d = '';
s.on('data', (c) => (d += c));
s.on('end', () => { clearTimeout(t); console.log(d.trim()); process.exit(0); });
s.on('error', (e) => { clearTimeout(t); console.log(JSON.stringify({ error: e.code || String(e) })); process.exit(0); });
`;

/** A TCP server inside `ns` that answers every connection with the peer address it saw. */
export class ProbeServer {
  private constructor(private readonly child: ChildProcess) {}

  static start(ns: TestNetns, port: number, host = '0.0.0.0'): Promise<ProbeServer> {
    const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '-e', SERVER, String(port), host], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new Promise((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`probe server in ${ns.name} did not start: ${err}`)), 10_000);
      child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
      child.stdout!.on('data', (b: Buffer) => {
        if (b.toString().includes('listening')) {
          clearTimeout(timer);
          resolve(new ProbeServer(child));
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`probe server in ${ns.name} exited (${code}): ${err}`));
      });
    });
  }

  /** Stop it (by the PID of the process this test started). */
  stop(): void {
    if (this.child.exitCode === null && this.child.pid) this.child.kill('SIGKILL');
  }
}

/** Connect from inside `ns`: the peer address the server saw, or `{error}` (TIMEOUT, ECONNREFUSED, ...). */
export async function probe(ns: TestNetns, host: string, port: number, timeoutMs = 3000): Promise<{ from?: string; error?: string }> {
  const { stdout } = await ns.exec(process.execPath, ['-e', CLIENT, host, String(port), String(timeoutMs)], { timeoutMs: timeoutMs + 10_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { from?: string; error?: string };
}
