// Runs a CNI plugin chain per the CNI spec (1.0.0, "Execution of Network Configurations"), as
// libcni does for containerd:
//  - each plugin is the binary named by its `type`, found in the CNI_PATH directories, run with
//    CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS, CNI_PATH in its environment and
//    its network configuration on stdin: its conflist entry plus the list's `name` and
//    `cniVersion`, `prevResult`, and `runtimeConfig` with those capability arguments (portMappings,
//    ...) that the entry's `capabilities` asks for;
//  - ADD runs the plugins in order, each getting the previous one's result as prevResult; the last
//    result is the chain's;
//  - DEL runs them in reverse order, each getting the ADD result (when known) as prevResult; every
//    plugin is run even when one fails (a DEL is a cleanup), the failures are thrown together;
//  - CHECK runs them in order with the ADD result as prevResult;
//  - VERSION asks one plugin which spec versions it speaks.
// A plugin fails by exiting non-zero with an error object ({code, msg, details}) on stdout; that
// becomes a CniError with those fields (stderr, exit code and what could not be parsed included).
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CniError,
  type CniCommand, type CniConflist, type CniPlugins, type CniPluginConf, type CniResult, type CniRuntimeConf, type CniVersionInfo,
} from '@skiff/node-api';
import { parseErrorObject, parseResult, parseVersionInfo } from './cni-result.ts';

export interface CniExecOptions {
  /** directories searched for plugin binaries (CNI_PATH) */
  binDir: string | readonly string[];
  /**
   * Run the plugin binaries inside this network namespace (a path such as /run/netns/x, entered
   * with nsenter) instead of the caller's: where the bridge, veth host ends and iptables rules go.
   * For tests and simulated nodes; unset on a real node.
   */
  hostNetns?: string;
  /** per plugin invocation (default 60 s) */
  timeoutMs?: number;
  /** extra environment for the plugins */
  env?: Record<string, string>;
}

/**
 * CNI_ARGS: K=V pairs joined by ";". The standard plugins refuse arguments they do not know
 * (K8S_POD_NAME, ...) unless IgnoreUnknown=1 is among them, so it is put first whenever there are
 * arguments and the caller did not set it — as containerd (go-cni) does.
 */
export function encodeCniArgs(args: Record<string, string> | undefined): string {
  const all = Object.entries(args ?? {});
  if (all.length && !all.some(([k]) => k === 'IgnoreUnknown')) all.unshift(['IgnoreUnknown', '1']);
  return all.map(([k, v]) => `${k}=${v}`).join(';');
}

/**
 * The configuration plugin `index` of `list` gets on stdin: its entry, the list's name and
 * cniVersion, prevResult (when given) and runtimeConfig for the capabilities it declares.
 */
export function pluginConfig(list: CniConflist, index: number, prevResult: CniResult | undefined, rt: Pick<CniRuntimeConf, 'capabilityArgs'>): Record<string, unknown> {
  const entry: CniPluginConf = list.plugins[index];
  const conf: Record<string, unknown> = { ...entry, name: list.name, cniVersion: list.cniVersion };
  if (prevResult) conf.prevResult = prevResult;
  const runtimeConfig: Record<string, unknown> = {};
  for (const [cap, on] of Object.entries(entry.capabilities ?? {})) {
    const arg = rt.capabilityArgs?.[cap];
    if (on && arg !== undefined) runtimeConfig[cap] = arg;
  }
  if (Object.keys(runtimeConfig).length) conf.runtimeConfig = runtimeConfig;
  return conf;
}

function checkList(list: CniConflist): void {
  const bad = (why: string) => new Error(`invalid CNI network configuration list${list?.name ? ` "${list.name}"` : ''}: ${why}`);
  if (!list || typeof list.name !== 'string' || !list.name) throw bad('"name" is required');
  if (typeof list.cniVersion !== 'string' || !list.cniVersion) throw bad('"cniVersion" is required');
  if (!Array.isArray(list.plugins) || list.plugins.length === 0) throw bad('"plugins" must be a non-empty list');
  list.plugins.forEach((p, i) => {
    if (!p || typeof p.type !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(p.type)) throw bad(`plugins[${i}].type must be a plugin binary name`);
  });
}

interface Invocation {
  command: CniCommand;
  type: string;
  stdin: Record<string, unknown>;
  rt?: CniRuntimeConf;
  network?: string;
}

export class CniExec implements CniPlugins {
  private readonly dirs: readonly string[];

  constructor(private readonly opts: CniExecOptions) {
    this.dirs = typeof opts.binDir === 'string' ? [opts.binDir] : opts.binDir;
  }

  /** The path of plugin `type`'s binary: the first executable in the CNI_PATH directories. */
  async findPlugin(type: string): Promise<string> {
    for (const dir of this.dirs) {
      const p = join(dir, type);
      try {
        await access(p, constants.X_OK);
        return p;
      } catch {
        // next directory
      }
    }
    throw new Error(`failed to find CNI plugin "${type}" in path [${this.dirs.join(' ')}]`);
  }

  /** ADD the chain: returns the result of its last plugin. */
  async add(list: CniConflist, rt: CniRuntimeConf): Promise<CniResult> {
    checkList(list);
    let prev: CniResult | undefined;
    for (let i = 0; i < list.plugins.length; i++) {
      prev = (await this.run({ command: 'ADD', type: list.plugins[i].type, stdin: pluginConfig(list, i, prev, rt), rt, network: list.name })) as CniResult;
    }
    return prev!;
  }

  /** DEL the chain in reverse order; `prevResult` is the ADD result when known. */
  async del(list: CniConflist, rt: CniRuntimeConf, prevResult?: CniResult): Promise<void> {
    checkList(list);
    const failures: Error[] = [];
    for (let i = list.plugins.length - 1; i >= 0; i--) {
      try {
        await this.run({ command: 'DEL', type: list.plugins[i].type, stdin: pluginConfig(list, i, prevResult, rt), rt, network: list.name });
      } catch (e) {
        failures.push(e as Error);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, `CNI DEL of network ${list.name}, container ${rt.containerId}: ${failures.length} plugins failed: ${failures.map((f) => f.message).join('; ')}`);
  }

  /** CHECK the chain against the ADD result (spec 0.4.0 and later; not when the list disables it). */
  async check(list: CniConflist, rt: CniRuntimeConf, prevResult: CniResult): Promise<void> {
    checkList(list);
    if (list.disableCheck) return;
    for (let i = 0; i < list.plugins.length; i++) {
      await this.run({ command: 'CHECK', type: list.plugins[i].type, stdin: pluginConfig(list, i, prevResult, rt), rt, network: list.name });
    }
  }

  /** Which spec versions plugin `type` supports. */
  async version(type: string, cniVersion = '1.0.0'): Promise<CniVersionInfo> {
    return (await this.run({ command: 'VERSION', type, stdin: { cniVersion } })) as CniVersionInfo;
  }

  private async run(inv: Invocation): Promise<CniResult | CniVersionInfo | undefined> {
    const fail = (f: { code?: number; msg: string; details?: string; exitCode?: number | null; stderr?: string }) =>
      new CniError({ plugin: inv.type, command: inv.command, containerId: inv.rt?.containerId, network: inv.network, ...f });
    let bin: string;
    try {
      bin = await this.findPlugin(inv.type);
    } catch (e) {
      throw fail({ msg: (e as Error).message });
    }
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...this.opts.env,
      CNI_COMMAND: inv.command,
      CNI_PATH: this.dirs.join(':'),
    };
    if (inv.rt) {
      env.CNI_CONTAINERID = inv.rt.containerId;
      env.CNI_NETNS = inv.rt.netns;
      env.CNI_IFNAME = inv.rt.ifName ?? 'eth0';
      env.CNI_ARGS = encodeCniArgs(inv.rt.args);
    }
    const [cmd, args] = this.opts.hostNetns ? ['nsenter', [`--net=${this.opts.hostNetns}`, '--', bin]] : [bin, []];
    const out = await execWithInput(cmd, args, env, JSON.stringify(inv.stdin), this.opts.timeoutMs ?? 60_000);
    if (out.error) throw fail({ msg: `could not run ${cmd}: ${out.error.message}` });
    if (out.timedOut) throw fail({ msg: `timed out after ${this.opts.timeoutMs ?? 60_000} ms`, stderr: out.stderr });
    if (out.exitCode !== 0) {
      const e = parseErrorObject(out.stdout);
      if (e) throw fail({ ...e, exitCode: out.exitCode, stderr: out.stderr });
      const text = (out.stderr || out.stdout).trim();
      throw fail({ msg: `exited with ${out.signal ? `signal ${out.signal}` : `code ${out.exitCode}`}${text ? `: ${text.slice(0, 2000)}` : ''}`, exitCode: out.exitCode, stderr: out.stderr });
    }
    if (inv.command === 'DEL' || inv.command === 'CHECK') return undefined;
    const parsed = inv.command === 'VERSION' ? parseVersionInfo(out.stdout) : parseResult(out.stdout);
    if (typeof parsed === 'string') throw fail({ msg: `printed an invalid ${inv.command === 'VERSION' ? 'version answer' : 'result'}: ${parsed}`, stderr: out.stderr });
    return parsed;
  }
}

interface ExecOutput {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  error?: Error;
}

function execWithInput(cmd: string, args: string[], env: Record<string, string>, input: string, timeoutMs: number): Promise<ExecOutput> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let settled = false;
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), exitCode, signal, timedOut, error });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {}); // a plugin that exits without reading stdin
    child.on('error', (e) => finish(null, null, e)); // could not be spawned
    child.on('close', (exitCode, signal) => finish(exitCode, signal));
    child.stdin.end(input);
  });
}
