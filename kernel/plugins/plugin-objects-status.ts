// Plugin status: what a Plugin object's status says (computed from the host's view of the
// plugin and the controller's last attempt), and writing it through the status subresource
// (coalesced, one writer per name, retried on 409).

import type { Kernel, KObject } from '../types.ts';
import type { PluginInfo } from './host-types.ts';
import type { Logger } from './tokens.ts';
import {
  codeOf, msgOf, PluginsResource, specOf, stableJSON,
  type PluginObjectSpec, type PluginObjectState, type PluginObjectStatus, type Tracked,
} from './plugin-objects-spec.ts';

/** The status of a plugin as the host (`info`) and the last attempt (`t`) say. */
export function computeStatus(
  t: Tracked | undefined,
  info: PluginInfo | undefined,
  spec: Partial<PluginObjectSpec> = {},
  runtime?: Record<string, unknown>,
): PluginObjectStatus {
  const running = info && info.state !== 'Failed' ? info : undefined;
  const error = t?.error ?? info?.error;
  let state: PluginObjectState;
  let message = t?.message;
  if (running) {
    state = running.draining ? 'Draining' : running.state === 'Stopped' ? 'Stopped' : 'Running';
    if (running.draining) message ??= `version ${running.version} serving; draining version ${running.draining.version}`;
  } else {
    state = error ? 'Failed' : 'Stopped';
  }
  const s: PluginObjectStatus = {
    state,
    phase: state,
    version: running?.version ?? (spec.version || info?.version),
    observedGeneration: t?.attempted,
    reloads: running?.reloads ?? 0,
    startedAt: running?.startedAt?.toISOString(),
    message,
    error,
    runtime: running ? runtime : undefined,
  };
  for (const k of Object.keys(s) as (keyof PluginObjectStatus)[]) if (s[k] === undefined) delete s[k];
  return s;
}

/** What the status writer needs from the controller. */
export interface StatusWriterContext {
  kernel: Kernel;
  logger: Logger;
  isStopped(): boolean;
  /** whether the controller still tracks `name` (an untracked name's status is not written) */
  isTracked(name: string): boolean;
  statusOf(name: string, spec: Partial<PluginObjectSpec>): PluginObjectStatus;
}

/** Writes Plugin statuses: coalesced, one writer per name. */
export class PluginStatusWriter {
  private readonly writers = new Map<string, { dirty: boolean; done: Promise<void> }>();

  constructor(private readonly ctx: StatusWriterContext) {}

  /** Wait for the writes under way. */
  async drain(): Promise<void> {
    await Promise.all([...this.writers.values()].map((w) => w.done));
  }

  /** Write `name`'s status soon (coalesced; one writer per name). */
  schedule(name: string, seen?: KObject): void {
    if (this.ctx.isStopped()) return;
    const busy = this.writers.get(name);
    if (busy) {
      busy.dirty = true;
      return;
    }
    if (seen && stableJSON(seen.status ?? null) === stableJSON(this.ctx.statusOf(name, specOf(seen)))) return;
    const w = { dirty: true, done: Promise.resolve() };
    this.writers.set(name, w);
    w.done = (async () => {
      try {
        while (w.dirty && !this.ctx.isStopped()) {
          w.dirty = false;
          await this.writeStatus(name).catch((err) => {
            this.ctx.logger.warn('cannot write Plugin status', { plugin: name, error: msgOf(err) });
          });
        }
      } finally {
        this.writers.delete(name);
      }
    })();
  }

  private async writeStatus(name: string): Promise<void> {
    for (let attempt = 0; attempt < 10 && !this.ctx.isStopped(); attempt++) {
      if (!this.ctx.isTracked(name)) return;
      let obj: KObject;
      try {
        obj = await this.ctx.kernel.get(PluginsResource, undefined, name);
      } catch (err) {
        if (codeOf(err) === 404) return;
        throw err;
      }
      const status = this.ctx.statusOf(name, specOf(obj));
      if (stableJSON(obj.status ?? null) === stableJSON(status)) return;
      try {
        await this.ctx.kernel.update(PluginsResource, { ...obj, status: status as unknown as Record<string, unknown> }, { subresource: 'status' });
        return;
      } catch (err) {
        if (codeOf(err) === 404) return;
        if (codeOf(err) !== 409) throw err;
      }
    }
  }
}
