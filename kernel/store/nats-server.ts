// The embedded NATS server the store runs on: a `nats-server` child process with JetStream under a
// data dir, bound to 127.0.0.1, supervised: when it dies it is started again on the same port and
// data dir, with back-off. It runs under `setpriv --pdeathsig TERM`, so when the parent dies (even
// by SIGKILL) the server still gets SIGTERM and flushes JetStream cleanly.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface NatsServerOptions {
  /** JetStream store lives in `<dataDir>/jetstream`; pid file, config and log beside it */
  dataDir: string;
  /** 0 or omitted: a free port */
  port?: number;
  host?: string;
  binary?: string;
  /** how long to wait for the server to accept connections */
  startTimeoutMs?: number;
  /** restart the server when it dies (default true) */
  supervise?: boolean;
  /** called with what happened to the server (died, restarted, failed to restart) */
  onEvent?: (event: NatsServerEvent) => void;
}

export type NatsServerEvent =
  | { type: 'exited'; pid: number; code: number | null; signal: NodeJS.Signals | null }
  | { type: 'restarted'; pid: number; afterMs: number; attempt: number }
  | { type: 'restart-failed'; attempt: number; error: string };

export interface EmbeddedNats {
  url: string;
  port: number;
  /** pid of the running server (changes when the supervisor restarts it) */
  readonly pid: number;
  /** times the supervisor restarted the server */
  readonly restarts: number;
  /** true while a server process runs and accepts connections */
  readonly running: boolean;
  /** ms the server has been down while restarts keep failing (0 when running) */
  downForMs(): number;
  /** SIGTERM and wait for exit (JetStream flushes on the way out); no restart after it. */
  stop(): Promise<void>;
  /** SIGKILL without restart, for crash tests. */
  kill(): Promise<void>;
}

/**
 * Largest message NATS accepts. The default (1 MiB) is below the object size limit (1.5 MiB, as
 * kube-apiserver's) plus the envelope, so the embedded server allows more.
 */
export const EMBEDDED_MAX_PAYLOAD = 8 * 1024 * 1024;

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

interface Running {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** One nats-server process, resolved once it says it is ready. */
async function spawnServer(binary: string, configFile: string, startTimeoutMs: number): Promise<Running> {
  const args = ['-c', configFile];
  const hasSetpriv = existsSync('/usr/bin/setpriv');
  const [cmd, argv] = hasSetpriv ? ['/usr/bin/setpriv', ['--pdeathsig', 'TERM', binary, ...args]] : [binary, args];
  const child: ChildProcess = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const collect = (d: Buffer) => {
    if (log.length < 64_000) log += d.toString();
  };
  child.stderr!.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (log.includes('Server is ready')) {
        child.stderr!.off('data', onData);
        resolve();
      }
    };
    child.stderr!.on('data', onData);
    child.once('error', reject);
    void exited.then(({ code }) => reject(new Error(`nats-server exited with code ${code}:\n${log.slice(-2000)}`)));
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nats-server did not become ready in time:\n${log.slice(-2000)}`));
    }, startTimeoutMs);
    timer.unref();
  }).finally(() => clearTimeout(timer));
  child.stderr!.off('data', collect);
  child.stderr!.resume();
  return { child, exited };
}

/** Back-off between restarts: 50 ms doubling to 5 s. */
export function restartDelayMs(attempt: number): number {
  return Math.min(5000, 50 * 2 ** Math.max(0, attempt - 1));
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
  const configFile = join(opts.dataDir, 'nats-server.conf');
  // JSON is valid NATS config syntax
  const config = { listen: `${host}:${port}`, max_payload: EMBEDDED_MAX_PAYLOAD, pid_file: pidFile, jetstream: { store_dir: join(opts.dataDir, 'jetstream') } };
  writeFileSync(configFile, JSON.stringify(config, null, 2) + '\n');
  const startTimeoutMs = opts.startTimeoutMs ?? 15_000;
  let current = await spawnServer(binary, configFile, startTimeoutMs);
  writeFileSync(pidFile, String(current.child.pid));

  let stopping = false;
  let restarts = 0;
  let running = true;
  let downSince = 0;
  const supervise = opts.supervise !== false;
  const watch = (r: Running) => {
    void r.exited.then(async ({ code, signal }) => {
      if (stopping || r !== current) return;
      running = false;
      downSince = Date.now();
      opts.onEvent?.({ type: 'exited', pid: r.child.pid!, code, signal });
      if (!supervise) return;
      for (let attempt = 1; !stopping; attempt++) {
        await new Promise((res) => setTimeout(res, restartDelayMs(attempt)));
        if (stopping) return;
        try {
          const next = await spawnServer(binary, configFile, startTimeoutMs);
          if (stopping) {
            next.child.kill('SIGTERM');
            return;
          }
          current = next;
          restarts++;
          running = true;
          writeFileSync(pidFile, String(next.child.pid));
          opts.onEvent?.({ type: 'restarted', pid: next.child.pid!, afterMs: Date.now() - downSince, attempt });
          downSince = 0;
          watch(next);
          return;
        } catch (e) {
          opts.onEvent?.({ type: 'restart-failed', attempt, error: (e as Error).message.split('\n')[0]! });
        }
      }
    });
  };
  watch(current);

  const finish = async (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const r = current;
    if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill(sig);
    await r.exited;
    running = false;
    rmSync(pidFile, { force: true });
  };
  return {
    url: `nats://${host}:${port}`,
    port,
    get pid() {
      return current.child.pid!;
    },
    get restarts() {
      return restarts;
    },
    get running() {
      return running;
    },
    downForMs: () => (downSince ? Date.now() - downSince : 0),
    stop: () => finish('SIGTERM'),
    kill: () => finish('SIGKILL'),
  };
}
