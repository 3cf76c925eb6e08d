// Typed service tokens (Backstage-style) over tsyringe, used without decorators:
// services are registered with `useValue`/`useFactory` and resolved by token.

import type { NatsConnection } from '@nats-io/nats-core';
import type { Tracer } from '@opentelemetry/api';
import type { InjectionToken } from 'tsyringe';
import type { Kernel } from '../types.ts';

declare const serviceType: unique symbol;

/**
 * A tsyringe injection token that carries the service's type `T` (phantom, compile time only).
 * Tokens are `Symbol.for('skiff.service:' + id)`, so two copies of this module (e.g. one bundled
 * into a hot-loaded plugin) produce the same token for the same id.
 */
export type ServiceToken<T> = symbol & { readonly [serviceType]?: T };

/** The service type a token stands for. */
export type ServiceOf<K> = K extends ServiceToken<infer T> ? T : never;

const PREFIX = 'skiff.service:';

export function createServiceToken<T>(id: string): ServiceToken<T> {
  if (!id) throw new Error('createServiceToken: id must be a non-empty string');
  return Symbol.for(PREFIX + id) as ServiceToken<T>;
}

/** The id a token was created with (for messages). */
export function tokenId(token: InjectionToken<unknown> | ServiceToken<unknown>): string {
  if (typeof token === 'symbol') {
    const d = token.description ?? '';
    return d.startsWith(PREFIX) ? d.slice(PREFIX.length) : d;
  }
  if (typeof token === 'function') return token.name;
  return String(token);
}

// ---------------------------------------------------------------------------------------------
// Logger

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface ConsoleLoggerOptions {
  level?: LogLevel;
  fields?: LogFields;
  /** where lines go; default process.stderr */
  write?: (line: string) => void;
  now?: () => Date;
}

/** JSON-lines logger: `{"time":...,"level":"info","msg":...,...fields}` per line. */
export class ConsoleLogger implements Logger {
  readonly level: LogLevel;
  private readonly min: number;
  private readonly fields: LogFields;
  private readonly write: (line: string) => void;
  private readonly now: () => Date;

  constructor(opts: ConsoleLoggerOptions = {}) {
    this.level = opts.level ?? 'info';
    this.min = LEVELS[this.level];
    this.fields = opts.fields ?? {};
    this.write = opts.write ?? ((line) => process.stderr.write(line + '\n'));
    this.now = opts.now ?? (() => new Date());
  }

  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }

  child(fields: LogFields): Logger {
    return new ConsoleLogger({ level: this.level, fields: { ...this.fields, ...fields }, write: this.write, now: this.now });
  }

  private log(level: Exclude<LogLevel, 'silent'>, msg: string, fields?: LogFields): void {
    if (LEVELS[level] < this.min) return;
    const rec: LogFields = { time: this.now().toISOString(), level, msg, ...this.fields, ...fields };
    this.write(JSON.stringify(rec, replacer));
  }
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export function createConsoleLogger(opts?: ConsoleLoggerOptions): Logger {
  return new ConsoleLogger(opts);
}

/** A logger that drops everything. */
export const silentLogger: Logger = /* @__PURE__ */ new ConsoleLogger({ level: 'silent', write: () => {} });

// ---------------------------------------------------------------------------------------------
// Core tokens, registered by the host in every plugin's scope.

export const KernelToken = createServiceToken<Kernel>('skiff.kernel');
export const LoggerToken = createServiceToken<Logger>('skiff.logger');
export const TracerToken = createServiceToken<Tracer>('skiff.tracer');
/** The plugin's own validated config (cast to the plugin's config type when resolving). */
export const ConfigToken = createServiceToken<Record<string, unknown>>('skiff.plugin-config');

// Registered by the process that runs the host (skiff server, skiff agent) in the root container,
// when it has them: resolve with ctx.tryResolve.

/** The process's NATS connection (the kernel bus's), for plugins that talk to other processes. */
export const NatsToken = createServiceToken<NatsConnection>('skiff.nats');
/** The name of the node this process is the agent of (skiff agent only). */
export const NodeNameToken = createServiceToken<string>('skiff.node-name');
