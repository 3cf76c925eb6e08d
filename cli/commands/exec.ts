// `skiff exec <pod> -- <command...>`: runs a command in a container through the API server
// (pods/exec over WebSocket, v5.channel.k8s.io: channel 0 stdin, 1 stdout, 2 stderr, 3 the final
// status, 4 terminal size, 255 close of stdin), and exits with the command's exit code.
import type { Command } from 'commander';
import WebSocket from 'ws';
import { kubeconfigPath, runClient, withClientFlags, type ClientContext, type ClientFlags } from '../client/context.ts';
import { statusErrorOfResponse, type Status } from '@skiff/client/rest';
import { readKubeconfig } from '../kubeconfig.ts';
import { podContainer } from './logs.ts';

export interface ExecFlags extends ClientFlags {
  container?: string;
  stdin?: boolean;
  tty?: boolean;
}

const CH = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 };

/** The exit code a final status stands for (undefined: a failure that is not an exit code). */
function exitCodeOf(s: Status & { status?: string }): number | undefined {
  if (s.status === 'Success') return 0;
  if (s.reason !== 'NonZeroExitCode') return undefined;
  const n = Number(s.details?.causes?.find((c) => c.reason === 'ExitCode')?.message);
  return Number.isInteger(n) ? n : undefined;
}

export async function exec(ctx: ClientContext, pod: string, command: string[], f: ExecFlags): Promise<number> {
  if (command.length === 0) throw new Error('you must specify at least one command for the container');
  const { container, phase } = await podContainer(ctx, pod, f.container);
  if (phase === 'Succeeded' || phase === 'Failed') throw new Error(`cannot exec into a container in a completed pod; current phase is ${phase}`);
  const target = await readKubeconfig(kubeconfigPath(f.kubeconfig), f.context);
  const tty = !!f.tty && !!f.stdin && process.stdin.isTTY === true;
  if (f.tty && !tty) ctx.err('Unable to use a TTY - input is not a terminal or the right kind of file\n');
  const q = new URLSearchParams();
  for (const c of command) q.append('command', c);
  q.set('container', container);
  q.set('stdin', String(!!f.stdin));
  q.set('stdout', 'true');
  q.set('stderr', String(!tty));
  q.set('tty', String(tty));
  const url = `${ctx.client.server.replace(/^http/, 'ws')}/api/v1/namespaces/${encodeURIComponent(ctx.namespace)}/pods/${encodeURIComponent(pod)}/exec?${q}`;
  const ws = new WebSocket(url, ['v5.channel.k8s.io'], {
    ca: target.caCertPem,
    rejectUnauthorized: !target.insecureSkipTLSVerify,
    headers: target.token ? { authorization: `Bearer ${target.token}` } : {},
    perMessageDeflate: false,
  });
  const stdin = process.stdin;
  let raw = false;
  const restore = () => {
    if (raw) stdin.setRawMode(false);
    raw = false;
  };
  const sendResize = () => {
    if (ws.readyState === ws.OPEN) ws.send(Buffer.concat([Buffer.from([CH.resize]), Buffer.from(JSON.stringify({ Width: process.stdout.columns ?? 80, Height: process.stdout.rows ?? 24 }))]));
  };
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', (e) => reject(new Error(`Unable to connect to the server at ${ctx.client.server}: ${e.message}`)));
      ws.once('unexpected-response', (_req, res) => void statusErrorOfResponse(res).then(reject));
    });
    let errorText = '';
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    ws.on('message', (data: Buffer) => {
      const ch = data[0];
      const payload = data.subarray(1);
      if (ch === CH.stdout) process.stdout.write(payload);
      else if (ch === CH.stderr) process.stderr.write(payload);
      else if (ch === CH.error) errorText += payload.toString('utf8');
    });
    if (tty) {
      stdin.setRawMode(true);
      raw = true;
      sendResize();
      process.stdout.on('resize', sendResize);
    }
    if (f.stdin) {
      stdin.on('data', (d: Buffer) => {
        if (ws.readyState !== ws.OPEN) return;
        ws.send(Buffer.concat([Buffer.from([CH.stdin]), d]));
        // back-pressure: stop reading while the socket's buffer is full
        if (ws.bufferedAmount > 1024 * 1024) {
          stdin.pause();
          const t = setInterval(() => {
            if (ws.bufferedAmount < 256 * 1024 || ws.readyState !== ws.OPEN) {
              clearInterval(t);
              stdin.resume();
            }
          }, 10);
        }
      });
      stdin.once('end', () => {
        if (ws.readyState === ws.OPEN) ws.send(Buffer.from([CH.close, CH.stdin]));
      });
      stdin.resume();
    }
    await closed;
    restore();
    stdin.pause();
    if (errorText.trim() === '') return 0;
    let status: Status & { status?: string };
    try {
      status = JSON.parse(errorText);
    } catch {
      throw new Error(errorText.trim());
    }
    const code = exitCodeOf(status);
    if (code === undefined) throw new Error(status.message || 'the command failed');
    if (code !== 0) ctx.err(`command terminated with exit code ${code}\n`);
    return code;
  } finally {
    restore();
    process.stdout.off('resize', sendResize);
    if (f.stdin) stdin.destroy();
    ws.terminate();
  }
}

export function registerExecCommand(program: Command): void {
  withClientFlags(
    program
      .command('exec')
      .description('Run a command in a container (kubectl exec); exits with its exit code')
      .argument('<pod>', 'the pod')
      .argument('<command...>', 'the command and its arguments (after --)')
      .option('-c, --container <name>', 'the container (default: the only one, or the first)')
      .option('-i, --stdin', 'pass stdin to the command')
      .option('-t, --tty', 'stdin is a terminal'),
  ).action((pod: string, command: string[], flags: ExecFlags) => runClient(flags, (ctx) => exec(ctx, pod, command, flags)));
}
