// `skiff server` / `skiff up`: the control plane in one process — NATS (embedded, or --nats),
// the kernel, the kernel bus, and the plugins of a distribution (the REST API among them).
import { ComponentCache, wasmArtifactLoaders } from '@skiff/plugin-wasm-policies';
import { existsSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { SkiffKernel, startNatsServer, setupTelemetry, type EmbeddedNats, type TelemetryConfig } from '@skiff/kernel';
import {
  PluginHost, ConsoleLogger, loadDistributionFile, PluginObjectController, ArtifactStore, type ArtifactLoaders, type LogLevel,
  NatsToken,
} from '@skiff/kernel/plugins';
import { serveKernelBus, type BusServer } from '@skiff/kernel/bus';
import restApi from '@skiff/plugin-rest-api';
import grpcApi from '@skiff/plugin-grpc-api';
import namespaceController from '@skiff/plugin-namespace-controller';
import serviceAccountController from '@skiff/plugin-serviceaccount-controller';
import nodeLifecycleController from '@skiff/plugin-node-lifecycle-controller';
import deploymentController from '@skiff/plugin-deployment-controller';
import replicaSetController, { replicationControllerController } from '@skiff/plugin-replicaset-controller';
import statefulSetController from '@skiff/plugin-statefulset-controller';
import daemonSetController from '@skiff/plugin-daemonset-controller';
import jobController from '@skiff/plugin-job-controller';
import cronJobController from '@skiff/plugin-cronjob-controller';
import disruptionController from '@skiff/plugin-disruption-controller';
import metricsServer from '@skiff/plugin-metrics-server/plugin';
import hpaController from '@skiff/plugin-hpa-controller';
import priorityAdmission from '@skiff/plugin-priority-admission';
import storageAdmission from '@skiff/plugin-storage-admission';
import persistentVolumeController from '@skiff/plugin-persistentvolume-controller';
import ephemeralVolumeController from '@skiff/plugin-ephemeral-volume-controller';
import defaultTolerationSeconds from '@skiff/plugin-default-toleration-seconds';
import garbageCollector from '@skiff/plugin-garbage-collector';
import schedulerPlugin from '@skiff/plugin-scheduler';
import { defaultPolicyPlugins } from '@skiff/scheduler-policies';
import nodeIpam from '@skiff/plugin-node-ipam/plugin';
import endpointSliceController from '@skiff/plugin-endpointslice-controller';
import serviceIpam from '@skiff/plugin-service-ipam';
import { ApiServingToken } from '@skiff/client/api-frontend';
import { ensureHome } from './home.ts';
import { writeKubeconfig } from './kubeconfig.ts';

export const builtinPlugins = {
  'rest-api': restApi,
  'grpc-api': grpcApi,
  'namespace-controller': namespaceController,
  'serviceaccount-controller': serviceAccountController,
  'node-lifecycle-controller': nodeLifecycleController,
  'deployment-controller': deploymentController,
  'replicaset-controller': replicaSetController,
  'replicationcontroller-controller': replicationControllerController,
  'statefulset-controller': statefulSetController,
  'daemonset-controller': daemonSetController,
  'job-controller': jobController,
  'cronjob-controller': cronJobController,
  'disruption-controller': disruptionController,
  'metrics-server': metricsServer,
  'hpa-controller': hpaController,
  'priority-admission': priorityAdmission,
  'storage-admission': storageAdmission,
  'persistentvolume-controller': persistentVolumeController,
  'ephemeral-volume-controller': ephemeralVolumeController,
  'default-toleration-seconds': defaultTolerationSeconds,
  'garbage-collector': garbageCollector,
  'node-ipam': nodeIpam,
  'endpointslice-controller': endpointSliceController,
  'service-ipam': serviceIpam,
  scheduler: schedulerPlugin,
  ...defaultPolicyPlugins,
};

/**
 * Artifact loaders by plugin type: how `Plugin` objects with `spec.source.artifact` (bytes in the
 * `skiff-artifacts` object store, e.g. from `skiff plugin install`) become plugin descriptors.
 * A type without a loader fails such Plugin objects with "no artifact loader for plugin type".
 */
export function defaultArtifactLoaders(home: string): ArtifactLoaders {
  // WebAssembly scheduler and admission policies; their transpiled glue is cached under the home
  return wasmArtifactLoaders(new ComponentCache(join(home, 'wasm-cache')));
}

export interface ServerOptions {
  home: string;
  /** external NATS URL(s); default: an embedded nats-server under the home's data dir */
  nats?: string;
  host?: string;
  /** REST API port (default 6443; 0 picks a free one) */
  port?: number;
  /** gRPC API port (default: the distribution's, 6444; 0 picks a free one, as does `port: 0` when this is unset) */
  grpcPort?: number;
  /** Distribution YAML (default deploy/distros/default.yaml) */
  distribution?: string;
  logLevel?: LogLevel;
  telemetry?: TelemetryConfig;
  /** events kept per resource for watch resumption */
  eventsPerResource?: number;
  /** artifact loaders by plugin type (default: `defaultArtifactLoaders`) */
  artifactLoaders?: ArtifactLoaders;
}

export interface RunningServer {
  url: string;
  /** the gRPC API's host:port (also in $SKIFF_HOME/grpc-address); undefined when the distribution has none */
  grpcAddress?: string;
  kubeconfigPath: string;
  natsUrl: string;
  kernel: SkiffKernel;
  host: PluginHost;
  /** the plugin artifacts (JetStream object store bucket `skiff-artifacts`) */
  artifacts: ArtifactStore;
  stop(): Promise<void>;
}

/** The repository (or install) root: where deploy/ lives, from the source file or the bundle. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'deploy', 'distros'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** An embedded nats-server that keeps failing to restart for a minute will not come back by itself. */
const NATS_DEAD_AFTER_MS = 60_000;

function embeddedLiveness(n: EmbeddedNats): { name: string; ok: boolean; message?: string } {
  const down = n.downForMs();
  if (down < NATS_DEAD_AFTER_MS) return { name: 'nats-server', ok: true };
  return { name: 'nats-server', ok: false, message: `the embedded nats-server has been down for ${Math.round(down / 1000)} s and does not restart` };
}

async function ensureNamespaces(kernel: SkiffKernel): Promise<void> {
  const ref = { group: '', version: 'v1', resource: 'namespaces' };
  for (const name of SYSTEM_NAMESPACES) {
    try {
      await kernel.create(ref, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    } catch (e) {
      if ((e as { code?: number }).code !== 409) throw e;
    }
  }
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const logger = new ConsoleLogger({ level: opts.logLevel ?? 'info', fields: { component: 'server' } });
  const telemetry = await setupTelemetry(opts.telemetry);
  const home = await ensureHome(resolve(opts.home));
  let embedded: EmbeddedNats | undefined;
  let natsUrl = opts.nats;
  if (!natsUrl) {
    const natsLog = logger.child({ component: 'nats-server' });
    embedded = await startNatsServer({
      dataDir: join(home.dataDir, 'nats'),
      onEvent: (e) => {
        if (e.type === 'exited') natsLog.error('nats-server exited; restarting it', { pid: e.pid, code: e.code, signal: e.signal });
        else if (e.type === 'restarted') natsLog.warn('nats-server restarted', { pid: e.pid, downMs: e.afterMs, attempt: e.attempt });
        else natsLog.error('nats-server failed to restart', { attempt: e.attempt, error: e.error });
      },
    });
    natsUrl = embedded.url;
  }
  const cleanups: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
    await telemetry.shutdown();
  };
  try {
    if (embedded) cleanups.push(() => embedded!.stop());
    // reconnect at once and forever; a server that stops answering is noticed by the store's probe,
    // and a connect attempt to one that accepts but never speaks gives up after 2 s
    let reconnectAttempts = 0;
    const nc: NatsConnection = await connect({
      servers: natsUrl,
      name: 'skiff-server',
      maxReconnectAttempts: -1,
      // back-off: 250 ms doubling to 5 s, from the first attempt again after each reconnect
      reconnectDelayHandler: () => Math.min(5000, 250 * 2 ** Math.min(5, reconnectAttempts++)) + Math.random() * 100,
      timeout: 2000,
      pingInterval: 5000,
      maxPingOut: 2,
      noAsyncTraces: true,
    });
    cleanups.push(() => nc.drain());
    void (async () => {
      for await (const st of nc.status()) if (st.type === 'reconnect') reconnectAttempts = 0;
    })().catch(() => {});
    const kernel = await SkiffKernel.start({ nc, secretKey: home.secretKey, eventsPerResource: opts.eventsPerResource });
    cleanups.push(() => kernel.stop());
    await ensureNamespaces(kernel);
    const bus: BusServer = await serveKernelBus(nc, kernel);
    cleanups.push(() => bus.stop());

    const host = new PluginHost({ kernel, logger });
    cleanups.push(() => host.stopAll());
    let url = '';
    let grpcAddress: string | undefined;
    host.root.register(NatsToken, { useValue: nc });
    host.root.register(ApiServingToken, {
      useValue: {
        tls: { cert: home.serverCertPem, key: home.serverKeyPem },
        tokens: [home.adminToken],
        onListening: (address: string, frontEnd: string) => {
          if (frontEnd === 'grpc') grpcAddress = address;
          else url = address;
        },
        readiness: () => kernel.readiness(),
        liveness: async () => (embedded ? [embeddedLiveness(embedded)] : []),
      },
    });
    const distFile = opts.distribution ?? join(repoRoot(), 'deploy', 'distros', 'default.yaml');
    const { distribution, requests } = await loadDistributionFile(distFile, { builtins: builtinPlugins });
    // --host applies to every API front end; --port to the REST API, --grpc-port to gRPC (which
    // also takes a free port when the REST API is told to: two servers on one machine never clash)
    const isGrpc = (r: (typeof requests)[number]) => r.descriptor.name === 'grpc-api';
    for (const r of requests) {
      if (r.descriptor.type !== 'skiff.io/api') continue;
      const port = isGrpc(r) ? (opts.grpcPort ?? (opts.port === 0 ? 0 : undefined)) : opts.port;
      if (port === undefined && opts.host === undefined) continue;
      const cfg = { ...((r.config as object) ?? {}) } as Record<string, unknown>;
      if (port !== undefined) cfg.port = port;
      if (opts.host !== undefined) cfg.host = opts.host;
      r.config = cfg;
    }
    // the `kubernetes` Service's targetPort: the port the REST API is given (0, a free one, is not known yet)
    const apiPort = requests.find((r) => r.descriptor.type === 'skiff.io/api' && !isGrpc(r))?.config as { port?: number } | undefined;
    for (const r of requests) {
      if (r.descriptor.name === 'service-ipam' && apiPort?.port) r.config = { apiServerPort: apiPort.port, ...((r.config as object) ?? {}) };
    }
    await host.load(requests);
    // from here on, `Plugin` objects in the store say what runs (kubectl get plugins; edit to hot-reload);
    // `source.artifact` ones come from the object store, through the artifact loader of their type
    const artifacts = new ArtifactStore(nc);
    const pluginObjects = new PluginObjectController({
      kernel,
      host,
      builtins: builtinPlugins,
      logger: logger.child({ component: 'plugin-objects' }),
      baseDir: dirname(resolve(distFile)),
      distribution,
      requests,
      artifacts,
      artifactLoaders: opts.artifactLoaders ?? defaultArtifactLoaders(opts.home),
    });
    cleanups.push(() => pluginObjects.stop());
    await pluginObjects.start();
    if (!url) throw new Error('the distribution has no REST API plugin (type skiff.io/api)');
    // gRPC clients find the API here (host:port; the CA is pki/ca.crt, the token `token`); before the
    // kubeconfig, whose appearance tells scripts and tests the server is up
    const grpcFile = join(home.home, 'grpc-address');
    if (grpcAddress) {
      await writeFile(`${grpcFile}.tmp`, grpcAddress + '\n', { mode: 0o600 });
      await rename(`${grpcFile}.tmp`, grpcFile);
    } else {
      await rm(grpcFile, { force: true });
    }
    await writeKubeconfig(home.kubeconfigPath, { server: url, caCertPem: home.caCertPem, token: home.adminToken });
    // node agents and `skiff sim` join over the kernel bus: tell them where NATS is
    const natsUrlFile = join(home.home, 'nats-url');
    await writeFile(`${natsUrlFile}.tmp`, natsUrl + '\n', { mode: 0o600 });
    await rename(`${natsUrlFile}.tmp`, natsUrlFile);
    return { url, grpcAddress, kubeconfigPath: home.kubeconfigPath, natsUrl, kernel, host, artifacts, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
