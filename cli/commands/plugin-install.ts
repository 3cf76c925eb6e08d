// `skiff plugin install <file>`: put the file into the object store, then create or update the
// Plugin object naming it (type, version, source.artifact + digest, config, failurePolicy). The
// server's PluginObjectController loads it, or hot-reloads it when the spec changed.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { artifactNameErrors, PluginObjectAPIVersion, PluginsResource, type PluginObjectStatus } from '@skiff/kernel/plugins';
import type { KObject } from '@skiff/kernel';
import type { PluginCliContext } from './plugin.ts';

export interface InstallFlags {
  type: string;
  name: string;
  config?: string;
  weight?: string;
  version?: string;
  failurePolicy?: string;
  artifact?: string;
  wait?: boolean;
  timeout?: string;
}

/** What the flags ask for, checked before anything is uploaded. */
export interface InstallRequest {
  file: string;
  bytes: Uint8Array;
  name: string;
  artifact: string;
  type: string;
  version?: string;
  /** undefined: keep the current config (or none) */
  config?: Record<string, unknown>;
  weight?: number;
  failurePolicy?: 'Fail' | 'Ignore';
  waitSeconds?: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const code = (e: unknown) => (e as { code?: number } | null)?.code;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** `scheduler-policy` -> `skiff.io/scheduler-policy`; a type with a `/` is taken as it is. */
export function pluginType(t: string): string {
  const type = t.includes('/') ? t : `skiff.io/${t}`;
  if (!QUALIFIED.test(type) || type.length > 316) {
    throw new Error(`--type "${t}" is not a plugin type: use scheduler-policy, admission, or a full type like skiff.io/scheduler-policy`);
  }
  return type;
}

async function parseConfig(v: string): Promise<Record<string, unknown>> {
  let text = v;
  let where = '--config';
  if (v.startsWith('@')) {
    where = v.slice(1);
    text = await readFile(where, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new Error(`--config ${v}: cannot read ${where}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    });
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text); // JSON is YAML
  } catch (e) {
    throw new Error(`${where}: not valid JSON or YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isObj(parsed)) throw new Error(`${where}: the config must be a JSON object, like '{"weight": 2}'`);
  return parsed;
}

export async function checkInstall(file: string, f: InstallFlags): Promise<InstallRequest> {
  const type = pluginType(f.type);
  const name = f.name;
  if (!name || name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    throw new Error(`--name "${name}" is not a valid name: lower-case alphanumeric characters, '-' or '.', starting and ending alphanumeric`);
  }
  const artifact = f.artifact ?? name;
  const problems = artifactNameErrors(artifact);
  if (problems.length) throw new Error(`--artifact "${artifact}": ${problems.join('; ')}`);
  let weight: number | undefined;
  if (f.weight !== undefined) {
    weight = Number(f.weight);
    if (f.weight.trim() === '' || !Number.isInteger(weight) || weight < 0) throw new Error(`--weight must be a non-negative integer, got "${f.weight}"`);
  }
  let failurePolicy: InstallRequest['failurePolicy'];
  if (f.failurePolicy !== undefined) {
    if (f.failurePolicy !== 'Fail' && f.failurePolicy !== 'Ignore') throw new Error(`--failure-policy must be Fail or Ignore, got "${f.failurePolicy}"`);
    failurePolicy = f.failurePolicy;
  }
  if (f.version !== undefined && f.version.trim() === '') throw new Error('--version must not be empty');
  let waitSeconds: number | undefined;
  if (f.wait) {
    waitSeconds = Number(f.timeout ?? '60');
    if (!(waitSeconds > 0)) throw new Error(`--timeout must be a positive number of seconds, got "${f.timeout}"`);
  }
  const config = f.config !== undefined ? await parseConfig(f.config) : undefined;
  const bytes = await readFile(file).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a directory' : e.message}`);
  });
  return { file, bytes, name, artifact, type, version: f.version, config, weight, failurePolicy, waitSeconds };
}

/** The spec the Plugin object should have, from the request and the current spec (if any). */
export function desiredSpec(req: InstallRequest, digest: string, current?: Obj): Obj {
  const spec: Obj = isObj(current) ? { ...current } : {};
  spec.type = req.type;
  spec.version = req.version ?? digest.slice('sha256:'.length, 'sha256:'.length + 12);
  spec.source = { artifact: req.artifact, digest };
  let config = req.config ?? (isObj(spec.config) ? spec.config : undefined);
  if (req.weight !== undefined) config = { ...(config ?? {}), weight: req.weight };
  if (config !== undefined) spec.config = config;
  if (req.failurePolicy) spec.failurePolicy = req.failurePolicy;
  return spec;
}

/** JSON with sorted keys, to compare specs. */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (isObj(v)) return `{${Object.keys(v).filter((k) => v[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${stable(v[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** Create or update the Plugin object; returns what happened and the object. */
async function applyPlugin(ctx: PluginCliContext, req: InstallRequest, digest: string): Promise<{ action: 'created' | 'updated' | 'unchanged'; obj: KObject }> {
  for (let attempt = 0; ; attempt++) {
    let cur: KObject | undefined;
    try {
      cur = await ctx.kernel.get(PluginsResource, undefined, req.name);
    } catch (e) {
      if (code(e) !== 404) throw e;
    }
    try {
      if (!cur) {
        const obj: KObject = { apiVersion: PluginObjectAPIVersion, kind: 'Plugin', metadata: { name: req.name }, spec: desiredSpec(req, digest) };
        return { action: 'created', obj: await ctx.kernel.create(PluginsResource, obj) };
      }
      if (cur.metadata.deletionTimestamp) throw new Error(`plugin "${req.name}" is being deleted; try again when it is gone`);
      const spec = desiredSpec(req, digest, isObj(cur.spec) ? cur.spec : undefined);
      // the server defaults failurePolicy; compare with that applied
      const defaulted = (s: unknown) => ({ failurePolicy: 'Fail', ...(isObj(s) ? s : {}) });
      if (stable(defaulted(spec)) === stable(defaulted(cur.spec))) return { action: 'unchanged', obj: cur };
      return { action: 'updated', obj: await ctx.kernel.update(PluginsResource, { ...cur, spec }) };
    } catch (e) {
      // created or changed by someone else meanwhile: start over
      if (code(e) !== 409 || attempt >= 4) throw e;
    }
  }
}

/** Wait until the server has acted on `generation`; prints the outcome, returns the exit code. */
async function waitApplied(ctx: PluginCliContext, name: string, generation: number, seconds: number): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const obj = await ctx.kernel.get(PluginsResource, undefined, name);
    const st = (isObj(obj.status) ? obj.status : {}) as Partial<PluginObjectStatus>;
    if ((st.observedGeneration ?? 0) >= generation && st.state !== undefined) {
      if (st.error) {
        ctx.err(`plugin/${name} ${st.state}: ${st.error}${st.message ? ` (${st.message})` : ''}\n`);
        return 1;
      }
      ctx.out(`plugin/${name} ${st.state} (version ${st.version ?? '-'})\n`);
      return 0;
    }
    if (Date.now() > deadline) {
      ctx.err(`plugin/${name}: the server has not applied generation ${generation} after ${seconds} s\n`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function runInstall(ctx: PluginCliContext, req: InstallRequest): Promise<number> {
  const put = await ctx.artifacts.put(req.artifact, req.bytes);
  ctx.out(`artifact ${put.name} ${put.unchanged ? 'unchanged' : 'stored'}: ${put.digest}, ${put.size} bytes\n`);
  const { action, obj } = await applyPlugin(ctx, req, put.digest);
  const spec = (isObj(obj.spec) ? obj.spec : {}) as Obj;
  ctx.out(`plugin/${req.name} ${action} (type ${String(spec.type)}, version ${String(spec.version)})\n`);
  if (req.waitSeconds === undefined) return 0;
  return waitApplied(ctx, req.name, obj.metadata.generation ?? 1, req.waitSeconds);
}
