// The plugin descriptor: what a plugin's `plugin.ts` default-exports.
//
//   export default definePlugin({
//     name: 'my-policy', version: '1.2.0', type: 'skiff.io/scheduler-policy',
//     requires: ['skiff.io/api'],
//     provides: [MyPolicyToken],
//     configSchema: { type: 'object', properties: { weight: { type: 'integer', default: 1 } } },
//     start(ctx) { ctx.provide(MyPolicyToken, impl); return { stop() {} }; },
//   });
//
// Plugins loaded from files (see loader.ts) may also default-export a plain object of this
// shape without importing anything: `definePlugin` is an identity function for type inference.

import type { Tracer } from '@opentelemetry/api';
import type { DependencyContainer } from 'tsyringe';
import type { Kernel } from '../types.ts';
import type { Logger, ServiceToken } from './tokens.ts';

/** Well-known plugin types. Any string is accepted; these are the ones the core knows about. */
export const PluginTypes = {
  SchedulerPolicy: 'skiff.io/scheduler-policy',
  Controller: 'skiff.io/controller',
  Admission: 'skiff.io/admission',
  CRI: 'skiff.io/cri',
  CNI: 'skiff.io/cni',
  CSI: 'skiff.io/csi',
  Device: 'skiff.io/device',
  API: 'skiff.io/api',
  /** the node agent's own work: registering its Node, running the pods bound to it (plugins/kubelet) */
  Node: 'skiff.io/node',
} as const;

export type KnownPluginType = (typeof PluginTypes)[keyof typeof PluginTypes];
/** A plugin type: one of the known ones, or any other string (autocompletion keeps working). */
export type PluginType = KnownPluginType | (string & {});

/** A JSON Schema (draft-07 / 2019 subset as understood by ajv), with `default`s. */
export type JSONSchema = Record<string, unknown>;

/** What `start` returns: the running instance. */
export interface PluginHandle {
  /** Release everything (timers, sockets, watches). Called once. */
  stop(): Promise<void> | void;
  /**
   * Optional: stop taking new work and resolve when in-flight work has finished. Called during
   * hot reload after the new version is serving, before `stop()`.
   */
  drain?(): Promise<void> | void;
}

/** What a plugin gets when it starts. */
export interface PluginContext<C = Record<string, unknown>> {
  /** Instance name (normally the descriptor's name). */
  readonly name: string;
  readonly version: string;
  readonly type: PluginType;
  readonly kernel: Kernel;
  /** Structured logger with `plugin` and `version` fields set. */
  readonly logger: Logger;
  readonly tracer: Tracer;
  /** Validated config with schema defaults applied. */
  readonly config: C;
  /** This plugin's own DI scope (a tsyringe child container of the host's root container). */
  readonly container: DependencyContainer;
  /** Aborted when this instance is being stopped. */
  readonly signal: AbortSignal;
  /** Resolve a service: own registrations first, then services provided by other plugins. */
  resolve<T>(token: ServiceToken<T>): T;
  /** Resolve a service if anybody provides it, else undefined. */
  tryResolve<T>(token: ServiceToken<T>): T | undefined;
  /** Register a private service in this plugin's own scope (invisible to other plugins). */
  register<T>(token: ServiceToken<T>, value: T): void;
  /**
   * Provide a service to other plugins. The token must be listed in the descriptor's `provides`.
   * It becomes visible to other plugins once `start` has returned (on reload: at the swap).
   */
  provide<T>(token: ServiceToken<T>, value: T): void;
  /**
   * Report runtime figures (calls, latencies, errors, ...): the latest report wins. Under a
   * PluginObjectController they appear in the Plugin object's `status.runtime` (written at most
   * every ~2 s); the host alone keeps the latest in memory (`host.runtime(name)`). Cheap: call it as
   * often as you like. Well-known keys `skiff plugin ls` shows: `calls`, `callP50Us`, `callP99Us`,
   * `errors` (numbers). Values must be JSON.
   */
  reportRuntime(stats: Record<string, unknown>): void;
  /**
   * Record a Kubernetes-style Event about this plugin (a core/v1 Event whose involvedObject is its
   * Plugin object, under a PluginObjectController). Repeats of the same event bump its `count` and
   * `lastTimestamp` instead of creating new Events; writes are rate-limited. Without a controller
   * it goes to the host's `event` listeners only. Throws on an invalid `type` or empty `reason`.
   */
  recordEvent(event: PluginEvent): void;
}

/** An event a plugin records about itself (see PluginContext.recordEvent). */
export interface PluginEvent {
  type: 'Normal' | 'Warning';
  /** short, CamelCase, machine-readable (at most 128 characters) */
  reason: string;
  /** human-readable */
  message: string;
}

export interface PluginDescriptor<C = any> {
  name: string;
  version: string;
  type: PluginType;
  /** Plugin types this plugin needs; it starts after every plugin of each of those types. */
  requires?: string[];
  /** Service tokens this plugin provides (via `ctx.provide`) to the plugins that start after it. */
  provides?: ServiceToken<unknown>[];
  /** JSON Schema for the config; `default`s are applied before `start`. */
  configSchema?: JSONSchema;
  start(ctx: PluginContext<C>): Promise<PluginHandle> | PluginHandle;
}

/** Identity function that types a descriptor. */
export function definePlugin<C = Record<string, unknown>>(descriptor: PluginDescriptor<C>): PluginDescriptor<C> {
  return descriptor;
}

/** Throws a clear error when `value` does not look like a plugin descriptor. */
export function assertDescriptor(value: unknown, where: string): asserts value is PluginDescriptor {
  const problems: string[] = [];
  if (value === null || typeof value !== 'object') {
    throw new Error(`${where}: expected a plugin descriptor object, got ${value === null ? 'null' : typeof value}`);
  }
  const d = value as Record<string, unknown>;
  for (const field of ['name', 'version', 'type'] as const) {
    if (typeof d[field] !== 'string' || d[field] === '') problems.push(`"${field}" must be a non-empty string`);
  }
  if (typeof d.start !== 'function') problems.push('"start" must be a function');
  if (d.requires !== undefined && !(Array.isArray(d.requires) && d.requires.every((r) => typeof r === 'string'))) {
    problems.push('"requires" must be an array of strings');
  }
  if (d.provides !== undefined && !Array.isArray(d.provides)) problems.push('"provides" must be an array of tokens');
  if (d.configSchema !== undefined && (d.configSchema === null || typeof d.configSchema !== 'object')) {
    problems.push('"configSchema" must be an object');
  }
  if (problems.length) {
    const name = typeof d.name === 'string' ? ` "${d.name}"` : '';
    throw new Error(`${where}: invalid plugin descriptor${name}: ${problems.join('; ')}`);
  }
}
