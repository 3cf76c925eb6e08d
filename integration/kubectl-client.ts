// kubectl 1.32 against a running `skiff server`, for end-to-end tests of nodes and pods: run it,
// read objects as JSON, and wait for a condition.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface Kubectl {
  (...args: string[]): { code: number | null; out: string; err: string };
  /** `kubectl ... -o json`, parsed; throws on a non-zero exit */
  json(...args: string[]): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** `home`: where kubectl's cache goes; `kubeconfig`: the server's. */
export function kubectlFor(kubeconfig: string, home: string): Kubectl {
  const run = (...args: string[]) => {
    const r = spawnSync('/usr/bin/kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(home, 'kubectl-cache'), ...args], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  return Object.assign(run, {
    json(...args: string[]) {
      const r = run(...args, '-o', 'json');
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.err}`);
      return JSON.parse(r.out);
    },
  });
}

type Maybe<T> = T | undefined | false | null;

/** Polls `f` (sync or async) until it returns something truthy (returned), or fails after `ms`. */
export async function until<T>(f: () => Maybe<T> | Promise<Maybe<T>>, what: string, ms = 30_000, pollMs = 200): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
