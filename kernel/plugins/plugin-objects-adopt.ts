// Adoption of running plugins: when the PluginObjectController starts, every plugin the host
// already runs (from the distribution file) gets a Plugin object built from its distribution
// entry / load request, unless one exists. An existing object is adopted: if its spec still
// equals what was last written (the `plugins.skiff.io/distribution-spec` annotation) and the
// distribution has changed since, it is brought up to date; if a user changed it, it wins.

import type { Kernel, KObject } from '../types.ts';
import type { PluginHost } from './host.ts';
import type { PluginInfo } from './host-types.ts';
import type { Logger } from './tokens.ts';
import {
  codeOf, DistributionSpecAnnotation, isObj, msgOf, PluginObjectAPIVersion, PluginsResource, specKey, specOf,
  type PluginObjectControllerOptions, type PluginObjectSource, type PluginObjectSpec, type Tracked,
} from './plugin-objects-spec.ts';

/** What adoption needs from the controller. */
export interface AdoptionContext {
  kernel: Kernel;
  host: PluginHost;
  logger: Logger;
  opts: PluginObjectControllerOptions;
  tracked: Map<string, Tracked>;
  scheduleStatus(name: string): void;
}

/** Create or adopt the Plugin object of every plugin the host runs. */
export async function adoptRunning(ctx: AdoptionContext): Promise<void> {
  for (const info of ctx.host.list()) {
    if (info.state === 'Failed') continue; // not running
    try {
      await adopt(ctx, info);
    } catch (err) {
      ctx.logger.warn('cannot create the Plugin object of a running plugin', { plugin: info.name, error: msgOf(err) });
    }
  }
}

/** The spec describing what the host runs under `info.name`, if its source is known. */
export function specFromHost(opts: PluginObjectControllerOptions, info: PluginInfo): PluginObjectSpec | undefined {
  const entry = opts.distribution?.spec.plugins.find((p) => p.name === info.name);
  const req = opts.requests?.find((r) => (r.name ?? r.descriptor.name) === info.name);
  let source: PluginObjectSource | undefined;
  if (entry) source = entry.source.builtin !== undefined ? { builtin: entry.source.builtin } : { path: entry.source.path! };
  else if (req) {
    const key = Object.keys(opts.builtins).find((k) => opts.builtins[k] === req.descriptor);
    if (key !== undefined) source = { builtin: key };
  }
  if (!source) {
    const b = Object.hasOwn(opts.builtins, info.name) ? opts.builtins[info.name] : undefined;
    if (b && b.type === info.type && b.version === info.version) source = { builtin: info.name };
  }
  if (!source) return undefined;
  const cfg = req ? req.config : entry?.config;
  return { type: info.type, version: info.version, source, config: isObj(cfg) ? structuredClone(cfg) : {} };
}

async function adopt(ctx: AdoptionContext, info: PluginInfo): Promise<void> {
  const name = info.name;
  if (ctx.opts.node !== undefined) return; // a node's controller: the distribution is the control plane's
  const desired = specFromHost(ctx.opts, info);
  if (!desired) {
    ctx.logger.warn('running plugin has no known source; no Plugin object created', { plugin: name });
    return;
  }
  const key = specKey(desired);
  const fresh: KObject = {
    apiVersion: PluginObjectAPIVersion,
    kind: 'Plugin',
    metadata: { name, annotations: { [DistributionSpecAnnotation]: key } },
    spec: desired as unknown as Record<string, unknown>,
  };
  let obj: KObject;
  try {
    obj = await ctx.kernel.create(PluginsResource, fresh);
    ctx.tracked.set(name, { uid: obj.metadata.uid, attempted: obj.metadata.generation ?? 1, specKey: key });
    ctx.logger.info('created Plugin object for running plugin', { plugin: name });
  } catch (err) {
    if (codeOf(err) !== 409) throw err;
    obj = await ctx.kernel.get(PluginsResource, undefined, name);
    const cur = specKey(specOf(obj));
    const last = obj.metadata.annotations?.[DistributionSpecAnnotation];
    if (cur === key) {
      ctx.tracked.set(name, { uid: obj.metadata.uid, attempted: obj.metadata.generation ?? 1, specKey: key });
    } else if (last !== undefined && cur === last && !obj.metadata.deletionTimestamp) {
      // nobody changed the object since we wrote it; the distribution changed: follow it
      const spec = { ...specOf(obj), ...desired };
      const annotations = { ...obj.metadata.annotations, [DistributionSpecAnnotation]: key };
      try {
        obj = await ctx.kernel.update(PluginsResource, { ...obj, metadata: { ...obj.metadata, annotations }, spec });
        ctx.tracked.set(name, { uid: obj.metadata.uid, attempted: obj.metadata.generation ?? 1, specKey: key });
        ctx.logger.info('updated Plugin object to the distribution', { plugin: name });
      } catch (e) {
        if (codeOf(e) !== 409) throw e;
        ctx.tracked.set(name, { uid: obj.metadata.uid, specKey: key }); // changed meanwhile: reconcile
      }
    } else {
      // the object says something else: it wins (reconcile will reload to it)
      ctx.tracked.set(name, { uid: obj.metadata.uid, specKey: key });
      ctx.logger.info('adopting Plugin object whose spec differs from the distribution; the object wins', { plugin: name });
    }
  }
  ctx.scheduleStatus(name);
}
