// Public types of the plugin host (re-exported by host.ts).

import type { Tracer } from '@opentelemetry/api';
import type { DependencyContainer } from 'tsyringe';
import type { Kernel } from '../types.ts';
import type { PluginDescriptor, PluginEvent } from './descriptor.ts';
import type { Logger } from './tokens.ts';

export type PluginState = 'Starting' | 'Running' | 'Draining' | 'Stopped' | 'Failed';

export interface LoadRequest {
  descriptor: PluginDescriptor;
  config?: unknown;
  /** instance name; defaults to descriptor.name */
  name?: string;
}

export interface PluginInfo {
  name: string;
  version: string;
  type: string;
  requires: string[];
  state: PluginState;
  /** the last start/reload/stop error, if any */
  error?: string;
  startedAt?: Date;
  reloads: number;
  /** the previous version while it drains during a reload */
  draining?: { version: string };
}

export interface PluginStateEvent {
  name: string;
  version: string;
  type: string;
  state: PluginState;
  error?: string;
  reloads: number;
  at: Date;
}

/** A plugin's `ctx.reportRuntime(stats)` (host.on('runtime')): only from the serving (or starting) instance. */
export interface PluginRuntimeReport {
  name: string;
  version: string;
  type: string;
  /** as the plugin passed it (read it before the next report; do not keep it) */
  stats: Record<string, unknown>;
}

/** A plugin's `ctx.recordEvent(event)` (host.on('event')). */
export interface PluginEventRecord {
  name: string;
  version: string;
  type: string;
  event: PluginEvent;
  at: Date;
}

export interface PluginHostOptions {
  kernel: Kernel;
  logger?: Logger;
  /** one tracer for every plugin; default: trace.getTracer('skiff.plugin.<name>', version) */
  tracer?: Tracer;
  /** root DI container; default: a child of tsyringe's global container */
  container?: DependencyContainer;
  /** give up waiting for drain()/stop() after this long (default 30 s) */
  drainTimeoutMs?: number;
  stopTimeoutMs?: number;
}
