// `skiff csi-hostpath`'s process: the driver's CSI services on <root>/plugins/<driver>/csi.sock, and,
// as node-driver-registrar does beside a real driver, the pluginregistration.v1 Registration service
// on <root>/plugins_registry/<driver>-reg.sock, which the agent's plugin watcher finds and calls.
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Server, ServerCredentials, status as grpcStatus, type sendUnaryData, type ServerUnaryCall, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from '@skiff/kernel/plugins';
import { csiServices, unixTarget } from '../proto.ts';
import { DriverError, HOSTPATH_DRIVER_NAME, HostpathDriver, type HostpathDriverOptions } from './driver.ts';

/** The CSI spec versions the driver registers with. */
export const CSI_SUPPORTED_VERSIONS = ['1.0.0'];

export const registrationSocketPath = (rootDir: string, driver = HOSTPATH_DRIVER_NAME) => join(rootDir, 'plugins_registry', `${driver}-reg.sock`);
export const csiSocketPath = (rootDir: string, driver = HOSTPATH_DRIVER_NAME) => join(rootDir, 'plugins', driver, 'csi.sock');

export interface HostpathServerOptions extends HostpathDriverOptions {
  /** the agent's --root-dir */
  rootDir: string;
  logger: Logger;
  /** what GetInfo answers, for tests of refused registrations (default: the driver's own) */
  registration?: { name?: string; supportedVersions?: string[]; type?: string };
}

export interface RunningHostpathDriver {
  driver: HostpathDriver;
  csiSocket: string;
  registrationSocket: string;
  /** NotifyRegistrationStatus answers received */
  registrations: { pluginRegistered: boolean; error: string }[];
  stop(): Promise<void>;
}

type Handler = (req: Record<string, unknown>) => unknown;

/** gRPC unary handlers for `methods`: the answer, or the DriverError's code (INTERNAL for anything else). */
function handlers(methods: Record<string, Handler>, logger: Logger): UntypedServiceImplementation {
  const out: UntypedServiceImplementation = {};
  for (const [name, fn] of Object.entries(methods)) {
    out[name] = (call: ServerUnaryCall<Record<string, unknown>, unknown>, callback: sendUnaryData<unknown>) => {
      Promise.resolve()
        .then(() => fn(call.request))
        .then(
          (answer) => callback(null, answer),
          (e: unknown) => {
            const code = e instanceof DriverError ? e.code : grpcStatus.INTERNAL;
            if (code === grpcStatus.INTERNAL) logger.warn('CSI call failed', { method: name, error: String((e as Error)?.message ?? e) });
            callback({ code, details: String((e as Error)?.message ?? e) });
          },
        );
    };
  }
  return out;
}

const unimplemented = (what: string): Handler => () => {
  throw new DriverError(grpcStatus.UNIMPLEMENTED, `${what} is not supported by ${HOSTPATH_DRIVER_NAME}`);
};

async function listen(server: Server, socket: string): Promise<void> {
  await mkdir(dirname(socket), { recursive: true });
  await rm(socket, { force: true }); // a stale socket of an earlier run
  await new Promise<void>((resolve, reject) => server.bindAsync(unixTarget(socket), ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())));
}

export async function startHostpathDriver(o: HostpathServerOptions): Promise<RunningHostpathDriver> {
  const driver = await HostpathDriver.open(o);
  const s = csiServices();
  const csiSocket = csiSocketPath(o.rootDir);
  const registrationSocket = registrationSocketPath(o.rootDir);
  const registrations: RunningHostpathDriver['registrations'] = [];

  const csi = new Server();
  csi.addService(s.Identity.service, handlers({
    GetPluginInfo: () => driver.getPluginInfo(),
    GetPluginCapabilities: () => driver.getPluginCapabilities(),
    Probe: () => driver.probe(),
  }, o.logger));
  csi.addService(s.Controller.service, handlers({
    CreateVolume: (r) => driver.createVolume(r),
    DeleteVolume: (r) => driver.deleteVolume(r),
    ControllerPublishVolume: unimplemented('ControllerPublishVolume'),
    ControllerUnpublishVolume: unimplemented('ControllerUnpublishVolume'),
    GetCapacity: (r) => driver.getCapacity(r),
    ControllerGetCapabilities: () => driver.controllerGetCapabilities(),
    ControllerExpandVolume: (r) => driver.controllerExpandVolume(r),
  }, o.logger));
  csi.addService(s.Node.service, handlers({
    NodeStageVolume: unimplemented('NodeStageVolume'),
    NodeUnstageVolume: unimplemented('NodeUnstageVolume'),
    NodePublishVolume: (r) => driver.nodePublishVolume(r),
    NodeUnpublishVolume: (r) => driver.nodeUnpublishVolume(r),
    NodeGetVolumeStats: (r) => driver.nodeGetVolumeStats(r),
    NodeExpandVolume: (r) => driver.nodeExpandVolume(r),
    NodeGetCapabilities: () => driver.nodeGetCapabilities(),
    NodeGetInfo: () => driver.nodeGetInfo(),
  }, o.logger));

  const reg = new Server();
  reg.addService(s.Registration.service, handlers({
    GetInfo: () => ({
      type: o.registration?.type ?? 'CSIPlugin',
      name: o.registration?.name ?? HOSTPATH_DRIVER_NAME,
      endpoint: csiSocket,
      supportedVersions: o.registration?.supportedVersions ?? CSI_SUPPORTED_VERSIONS,
    }),
    NotifyRegistrationStatus: (r) => {
      const st = { pluginRegistered: Boolean(r.pluginRegistered), error: String(r.error ?? '') };
      registrations.push(st);
      if (st.pluginRegistered) o.logger.info('registered with the node agent', { driver: HOSTPATH_DRIVER_NAME });
      else o.logger.error('the node agent refused the registration', { driver: HOSTPATH_DRIVER_NAME, error: st.error });
      return {};
    },
  }, o.logger));

  // the CSI socket first: once the registration socket appears, the agent dials the CSI one
  await listen(csi, csiSocket);
  try {
    await listen(reg, registrationSocket);
  } catch (e) {
    csi.forceShutdown();
    throw e;
  }
  o.logger.info('host-path CSI driver serving', { csiSocket, registrationSocket, nodeId: o.nodeId, capacityBytes: o.capacityBytes, volumes: driver.volumes().length });

  let stopped = false;
  return {
    driver,
    csiSocket,
    registrationSocket,
    registrations,
    async stop() {
      if (stopped) return;
      stopped = true;
      // the registration socket goes first: the watcher deregisters the driver when it disappears
      await new Promise<void>((r) => reg.tryShutdown(() => r()));
      await rm(registrationSocket, { force: true });
      await new Promise<void>((r) => csi.tryShutdown(() => r()));
      await rm(csiSocket, { force: true });
    },
  };
}
