// A CsiDriverClient (@skiff/node-api's csi contract) over a driver's unix socket: the Identity,
// Controller and Node services on one channel. Calls default to a 30 s deadline: node-local
// drivers answer in ms (a mkfs in seconds), and a hung one should fail the call, not hold a pod's
// start for minutes.
import { credentials, type Client } from '@grpc/grpc-js';
import { GrpcStatus, type CallOptions, type csi, type Input } from '@skiff/node-api';
import { CsiError, unary } from './grpc-call.ts';
import { csiServices, unixTarget } from './proto.ts';

export const DEFAULT_CSI_TIMEOUT_MS = 30_000;

type Identity = csi.CsiIdentity;

export class CsiDriverClientImpl implements csi.CsiDriverClient {
  readonly target: string;
  private readonly identity: Client;
  private readonly nodeClient: Client;
  private readonly controllerClient: Client;
  private controllerService: boolean;

  /** `hasController`: the driver advertised CONTROLLER_SERVICE (see `probeCapabilities`). */
  constructor(
    readonly name: string,
    readonly endpoint: string,
    private readonly timeoutMs = DEFAULT_CSI_TIMEOUT_MS,
    hasController = false,
  ) {
    const s = csiServices();
    this.target = unixTarget(endpoint);
    const creds = credentials.createInsecure();
    this.identity = new s.Identity(this.target, creds);
    // one channel for the three services: later clients share the first one's
    const channelOverride = this.identity.getChannel();
    this.nodeClient = new s.Node(this.target, creds, { channelOverride });
    this.controllerClient = new s.Controller(this.target, creds, { channelOverride });
    this.controllerService = hasController;
  }

  /** Asks the driver's plugin capabilities and sets `controller` from them. */
  async probeCapabilities(opts?: CallOptions): Promise<csi.PluginCapability[]> {
    const caps = await this.getPluginCapabilities(opts);
    this.controllerService = caps.some((c) => c.service?.type === 'CONTROLLER_SERVICE');
    return caps;
  }

  get controller(): csi.CsiController | undefined {
    return this.controllerService ? this.controllerImpl : undefined;
  }

  close(): void {
    this.identity.close();
  }

  private call<T>(client: Client, method: string, request: object, opts: CallOptions = {}): Promise<T> {
    return unary<T>(client, method, request, opts, this.timeoutMs);
  }

  // --- Identity ---------------------------------------------------------------------------------

  getPluginInfo(opts?: CallOptions): ReturnType<Identity['getPluginInfo']> {
    return this.call(this.identity, 'GetPluginInfo', {}, opts);
  }

  async getPluginCapabilities(opts?: CallOptions): Promise<csi.PluginCapability[]> {
    return (await this.call<{ capabilities: csi.PluginCapability[] }>(this.identity, 'GetPluginCapabilities', {}, opts)).capabilities;
  }

  probe(opts?: CallOptions): Promise<csi.ProbeResponse> {
    return this.call(this.identity, 'Probe', {}, opts);
  }

  // --- Node -------------------------------------------------------------------------------------

  nodeGetInfo(opts?: CallOptions): Promise<csi.NodeGetInfoResponse> {
    return this.call(this.nodeClient, 'NodeGetInfo', {}, opts);
  }

  async nodeGetCapabilities(opts?: CallOptions): Promise<csi.NodeCapability[]> {
    const r = await this.call<{ capabilities: { rpc: { type: csi.NodeCapability } | null }[] }>(this.nodeClient, 'NodeGetCapabilities', {}, opts);
    return r.capabilities.flatMap((c) => (c.rpc ? [c.rpc.type] : []));
  }

  async nodeStageVolume(request: Input<csi.NodeStageVolumeRequest>, opts?: CallOptions): Promise<void> {
    await this.call(this.nodeClient, 'NodeStageVolume', request, opts);
  }

  async nodeUnstageVolume(volumeId: string, stagingTargetPath: string, opts?: CallOptions): Promise<void> {
    await this.call(this.nodeClient, 'NodeUnstageVolume', { volumeId, stagingTargetPath }, opts);
  }

  async nodePublishVolume(request: Input<csi.NodePublishVolumeRequest>, opts?: CallOptions): Promise<void> {
    await this.call(this.nodeClient, 'NodePublishVolume', request, opts);
  }

  async nodeUnpublishVolume(volumeId: string, targetPath: string, opts?: CallOptions): Promise<void> {
    await this.call(this.nodeClient, 'NodeUnpublishVolume', { volumeId, targetPath }, opts);
  }

  async nodeExpandVolume(request: Input<csi.NodeExpandVolumeRequest>, opts?: CallOptions): Promise<number> {
    return (await this.call<{ capacityBytes: number }>(this.nodeClient, 'NodeExpandVolume', request, opts)).capacityBytes;
  }

  nodeGetVolumeStats(volumeId: string, volumePath: string, stagingTargetPath = '', opts?: CallOptions): Promise<csi.NodeGetVolumeStatsResponse> {
    return this.call(this.nodeClient, 'NodeGetVolumeStats', { volumeId, volumePath, stagingTargetPath }, opts);
  }

  // --- Controller -------------------------------------------------------------------------------

  private readonly controllerImpl: csi.CsiController = {
    controllerGetCapabilities: async (opts) => {
      const r = await this.call<{ capabilities: { rpc: { type: csi.ControllerCapability } | null }[] }>(this.controllerClient, 'ControllerGetCapabilities', {}, opts);
      return r.capabilities.flatMap((c) => (c.rpc ? [c.rpc.type] : []));
    },
    createVolume: async (request, opts) => {
      const r = await this.call<{ volume: csi.Volume | null }>(this.controllerClient, 'CreateVolume', request, opts);
      if (!r.volume) throw new CsiError('CreateVolume', GrpcStatus.INTERNAL, 'the driver answered without a volume');
      return r.volume;
    },
    deleteVolume: async (volumeId, secrets, opts) => {
      try {
        await this.call(this.controllerClient, 'DeleteVolume', { volumeId, secrets }, opts);
      } catch (e) {
        // the spec: a volume that is gone is deleted
        if ((e as CsiError).code !== GrpcStatus.NOT_FOUND) throw e;
      }
    },
    controllerPublishVolume: async (request, opts) =>
      (await this.call<{ publishContext: csi.StringMap }>(this.controllerClient, 'ControllerPublishVolume', request, opts)).publishContext,
    controllerUnpublishVolume: async (volumeId, nodeId, secrets, opts) => {
      await this.call(this.controllerClient, 'ControllerUnpublishVolume', { volumeId, nodeId, secrets }, opts);
    },
    controllerExpandVolume: (request, opts) => this.call(this.controllerClient, 'ControllerExpandVolume', request, opts),
    getCapacity: (request, opts) => this.call(this.controllerClient, 'GetCapacity', request, opts),
  };
}
