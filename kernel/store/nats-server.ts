// The embedded NATS server the store runs on: a `nats-server` child process with JetStream under a
// data dir, bound to 127.0.0.1. It is started under `setpriv --pdeathsig TERM`, so when the parent
// dies (even by SIGKILL) the server still gets SIGTERM and flushes JetStream cleanly.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface NatsServerOptions {
  /** JetStream store lives in `<dataDir>/jetstream`; pid file and log beside it */
  dataDir: string;
  /** 0 or omitted: a free port */
  port?: number;
  host?: string;
  binary?: string;
  /** how long to wait for the server to accept connections */
  startTimeoutMs?: number;
}

export interface EmbeddedNats {
  url: string;
  port: number;
  pid: number;
  /** SIGTERM and wait for exit (JetStream flushes on the way out). */
  stop(): Promise<void>;
  /** SIGKILL, for crash tests. */
  kill(): Promise<void>;
}

const candidates = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

export function findNatsServer(): string | undefined {
  for (const c of candidates) if (existsSync(c)) return c;
  try {
    return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitExit(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !alive(pid);
}

/** A server left running by a parent that died before it (its pid file says so): stop it cleanly. */
async function stopOrphan(pidFile: string, binary: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!pid || !alive(pid)) return;
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmd.includes('nats-server') && !cmd.includes(binary)) return; // pid reused by something else
  } catch {
    return;
  }
  process.kill(pid, 'SIGTERM');
  if (!(await waitExit(pid, 10_000))) process.kill(pid, 'SIGKILL');
}

export async function startNatsServer(opts: NatsServerOptions): Promise<EmbeddedNats> {
  const binary = opts.binary ?? findNatsServer();
  if (!binary) {
    throw new Error(
      'nats-server is not installed. Install it with `apt-get install -y nats-server` (Debian package), or pass --nats <url> to use an external NATS server with JetStream.',
    );
  }
  const host = opts.host ?? '127.0.0.1';
  mkdirSync(opts.dataDir, { recursive: true });
  const pidFile = join(opts.dataDir, 'nats-server.pid');
  await stopOrphan(pidFile, binary);
  const port = opts.port || (await freePort(host));
  const args = ['-a', host, '-p', String(port), '-js', '-sd', join(opts.dataDir, 'jetstream'), '-P', pidFile];
  const hasSetpriv = existsSync('/usr/bin/setpriv');
  const [cmd, argv] = hasSetpriv ? ['/usr/bin/setpriv', ['--pdeathsig', 'TERM', binary, ...args]] : [binary, args];
  const child: ChildProcess = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (log.length < 64_000) log += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (log.includes('Server is ready')) {
        child.stderr!.off('data', onData);
        resolve();
      }
    };
    child.stderr!.on('data', onData);
    child.once('error', reject);
    void exited.then((code) => reject(new Error(`nats-server exited with code ${code}:\n${log.slice(-2000)}`)));
    setTimeout(() => reject(new Error(`nats-server did not become ready in time:\n${log.slice(-2000)}`)), opts.startTimeoutMs ?? 15_000).unref();
  });
  await ready;
  child.stderr!.resume();
  const pid = child.pid!;
  writeFileSync(pidFile, String(pid));
  let done = false;
  const finish = async (sig: NodeJS.Signals) => {
    if (done) return;
    done = true;
    if (child.exitCode === null) child.kill(sig);
    await exited;
    rmSync(pidFile, { force: true });
  };
  return {
    url: `nats://${host}:${port}`,
    port,
    pid,
    stop: () => finish('SIGTERM'),
    kill: () => finish('SIGKILL'),
  };
}
