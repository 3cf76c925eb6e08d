// The shape of `plugins.skiff.io/v1alpha1` `Plugin` objects (spec, status, controller options),
// the per-name bookkeeping the PluginObjectController keeps, and the small spec helpers it and
// its parts share (stable JSON, the spec key that decides what runs, reading an object's spec).

import type { Kernel, KObject, ResourceRef } from '../types.ts';
import type { ArtifactReader } from '../store/artifact-store.ts';
import type { PluginDescriptor, PluginType } from './descriptor.ts';
import type { BuiltinRegistry, Distribution, DistributionPluginSource } from './distribution.ts';
import type { PluginHost } from './host.ts';
import type { LoadRequest } from './host-types.ts';
import type { Logger } from './tokens.ts';

export const PluginsResource: ResourceRef = { group: 'plugins.skiff.io', version: 'v1alpha1', resource: 'plugins' };
export const PluginObjectAPIVersion = 'plugins.skiff.io/v1alpha1';
/** On objects the controller created: the spec it wrote (stable JSON), to tell user edits apart. */
export const DistributionSpecAnnotation = 'plugins.skiff.io/distribution-spec';

export interface PluginObjectSource extends DistributionPluginSource {
  /** a plugin artifact in the JetStream object store (bucket `skiff-artifacts`), turned into a descriptor by the artifact loader of spec.type */
  artifact?: string;
  /** with `artifact`: the digest it must have (`sha256:<hex>`); a different one fails the load */
  digest?: string;
}

export interface PluginObjectSpec {
  type: string;
  version?: string;
  source: PluginObjectSource;
  config?: Record<string, unknown>;
  /** the node the plugin runs on; unset = the control plane */
  node?: string;
  failurePolicy?: 'Fail' | 'Ignore';
}

export type PluginObjectState = 'Running' | 'Failed' | 'Draining' | 'Stopped';

export interface PluginObjectStatus {
  state: PluginObjectState;
  /** same as state (the kind's selectable field is `status.phase`) */
  phase: PluginObjectState;
  /** the version running (or, when nothing runs, the version wanted) */
  version?: string;
  /** the generation last acted on (applied, or tried and failed) */
  observedGeneration?: number;
  reloads: number;
  startedAt?: string;
  message?: string;
  error?: string;
  /** the running plugin's latest ctx.reportRuntime() (written at most every ~2 s) */
  runtime?: Record<string, unknown>;
}

/** An artifact from the object store, for an ArtifactLoader. */
export interface ArtifactLoaderInput {
  name: string;
  /** `sha256:<hex>` of `bytes` (checked against spec.source.digest when the spec has one) */
  digest: string;
  bytes: Uint8Array;
}

/** The Plugin object an ArtifactLoader loads for. */
export interface ArtifactLoaderSpec {
  /** the Plugin object's name (the instance name the host runs it under) */
  name: string;
  type: PluginType;
  version?: string;
  config?: Record<string, unknown>;
  failurePolicy?: 'Fail' | 'Ignore';
}

/**
 * Turns an artifact's bytes into a plugin descriptor (e.g. a WASM component into a scheduler
 * policy). The descriptor must have spec.type as its type and, when the spec names a version,
 * that version (use `spec.version ?? <something derived from artifact.digest>`). Called again on
 * every change of the Plugin object's spec (new digest, version, config, failurePolicy).
 */
export type ArtifactLoader = (artifact: ArtifactLoaderInput, spec: ArtifactLoaderSpec) => Promise<PluginDescriptor> | PluginDescriptor;

/** Artifact loaders by plugin type (`skiff.io/scheduler-policy`, `skiff.io/admission`, ...). */
export type ArtifactLoaders = Partial<Record<PluginType, ArtifactLoader>>;

export interface PluginObjectControllerOptions {
  kernel: Kernel;
  host: PluginHost;
  /** plugins compiled into the binary, for `source.builtin` */
  builtins: BuiltinRegistry;
  logger?: Logger;
  /** base for relative `source.path`s (the distribution file's directory; default cwd) */
  baseDir?: string;
  /** the Distribution the host was loaded from: the source of each running plugin */
  distribution?: Distribution;
  /** the requests given to host.load: the config each plugin runs with (after any overrides) */
  requests?: ReadonlyArray<LoadRequest>;
  /** how `source.path` plugins are loaded (default loadPluginFile) */
  loadFile?: (file: string) => Promise<PluginDescriptor>;
  /** only objects whose spec.node equals this are handled (default: those without spec.node) */
  node?: string;
  /** where `source.artifact`s are fetched from (an ArtifactStore); without it, artifact sources fail */
  artifacts?: ArtifactReader;
  /** artifact loaders by plugin type; read at each load, so entries may be added later */
  artifactLoaders?: ArtifactLoaders;
  /** least time between two writes of a plugin's status.runtime (default 2000 ms) */
  runtimeStatusIntervalMs?: number;
  /** tuning of the Event recorder for ctx.recordEvent() */
  events?: PluginEventOptions;
}

/** How plugin Events are written (see plugin-events.ts). */
export interface PluginEventOptions {
  /** namespace of the Events (Plugin objects are cluster-scoped; default `default`, as kube does) */
  namespace?: string;
  /** least time between two writes of the same event's count (default 2000 ms) */
  aggregateIntervalMs?: number;
  /** new (not repeated) events a plugin may create at once (default 25) ... */
  burst?: number;
  /** ... and one more per this many ms (default 10 000) */
  refillMs?: number;
  /** event series remembered for de-duplication (default 4096, least recently used dropped) */
  maxSeries?: number;
}

/** What the controller remembers per plugin name. */
export interface Tracked {
  uid?: string;
  /** the generation last acted on */
  attempted?: number;
  /** stable key of the spec the host runs for this name (undefined: unknown / nothing) */
  specKey?: string;
  /** the error of the last attempt (load/reload/resolve), cleared by a success */
  error?: string;
  message?: string;
  /** the last load failed; retried after another plugin loads */
  loadFailed?: boolean;
}

export const msgOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
export const codeOf = (err: unknown): number | undefined => (err as { code?: number } | null)?.code;
export const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** JSON with sorted object keys (undefined members dropped). */
export function stableJSON(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : stableJSON(x))).join(',')}]`;
  if (isObj(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJSON(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * The part of a Plugin spec that decides what runs: type, version, source and config (and, for
 * artifacts, the digest and failurePolicy, which artifact loaders may use).
 */
export function specKey(spec: Partial<PluginObjectSpec>): string {
  const src = isObj(spec.source) ? spec.source : {};
  const artifact = src.artifact || undefined;
  return stableJSON({
    type: spec.type,
    version: spec.version || undefined,
    source: { builtin: src.builtin || undefined, path: src.path || undefined, artifact, digest: (artifact && src.digest) || undefined },
    config: isObj(spec.config) ? spec.config : {},
    failurePolicy: (artifact && spec.failurePolicy) || undefined,
  });
}

export function specOf(obj: KObject): Partial<PluginObjectSpec> {
  return isObj(obj.spec) ? (obj.spec as Partial<PluginObjectSpec>) : {};
}

