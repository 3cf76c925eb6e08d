// @skiff/kernel/plugins: the plugin host and what plugins are written against.
export {
  definePlugin, assertDescriptor, PluginTypes,
  type PluginDescriptor, type PluginContext, type PluginEvent, type PluginHandle, type PluginType, type KnownPluginType, type JSONSchema,
} from './descriptor.ts';
export {
  createServiceToken, tokenId, ConsoleLogger, createConsoleLogger, silentLogger,
  KernelToken, LoggerToken, TracerToken, ConfigToken, NatsToken, NodeNameToken,
  type ServiceToken, type ServiceOf, type Logger, type LogLevel, type LogFields, type ConsoleLoggerOptions,
} from './tokens.ts';
export { PluginHost } from './host.ts';
export type {
  LoadRequest, PluginHostOptions, PluginInfo, PluginState, PluginStateEvent, PluginRuntimeReport, PluginEventRecord,
} from './host-types.ts';
export { validateConfig, PluginConfigError } from './config.ts';
export { orderPlugins, PluginDependencyError, type OrderNode } from './order.ts';
export { loadPluginFile, bundlePluginFile, clearBundleCache, type LoadPluginOptions, type SharedModule } from './loader.ts';
export {
  parseDistribution, checkDistribution, resolveDistribution, loadDistributionFile, DistributionAPIVersion,
  type Distribution, type DistributionPlugin, type DistributionPluginSource, type BuiltinRegistry, type ResolveOptions,
} from './distribution.ts';
export {
  PluginObjectController, PluginsResource, PluginObjectAPIVersion, DistributionSpecAnnotation,
  type PluginObjectControllerOptions, type PluginObjectSpec, type PluginObjectSource, type PluginObjectStatus, type PluginObjectState,
  type ArtifactLoader, type ArtifactLoaders, type ArtifactLoaderInput, type ArtifactLoaderSpec, type PluginEventOptions,
} from './plugin-objects.ts';
export {
  ArtifactStore, ArtifactBucket, ArtifactNotFoundError, ArtifactDigestMismatchError, sha256Digest, isArtifactDigest, artifactNameErrors,
  type Artifact, type ArtifactInfo, type ArtifactPutResult, type ArtifactReader, type ArtifactStoreOptions,
} from '../store/artifact-store.ts';
