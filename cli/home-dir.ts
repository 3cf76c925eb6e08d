// Where Skiff's home is. Its own module: client commands need the path alone, not the PKI code
// that creates the home (cli/home.ts).
import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$SKIFF_HOME`, else `~/.skiff`. */
export function defaultHome(): string {
  return process.env.SKIFF_HOME || join(homedir(), '.skiff');
}

/** The agent's root directory when `skiff agent` / `skiff up` are not given --root-dir (the kubelet's default). */
export const DEFAULT_AGENT_ROOT = '/var/lib/skiff';
