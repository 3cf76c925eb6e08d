// One short-lived command (nft, ip, ...): its input written to stdin, its output collected, killed
// after a timeout. The node plugins that program the kernel through its command-line tools share it.
import { spawn } from 'node:child_process';

export interface ProcessResult {
  stdout: string;
  stderr: string;
  /** the exit code; null when killed by a signal */
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Runs `cmd argv`; rejects only when it cannot be started (a non-zero exit is in the result). */
export function runProcess(cmd: string, argv: readonly string[], o: { input?: string; timeoutMs: number }): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), code, signal });
    });
    child.stdin.on('error', () => {}); // the command may exit before reading all of its input
    child.stdin.end(o.input ?? '');
  });
}
