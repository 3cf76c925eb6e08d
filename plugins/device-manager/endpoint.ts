// The agent's end of one registered device plugin (kube's devicemanager endpoint): a DevicePlugin
// client on the plugin's socket, its ListAndWatch stream (every message is the whole device list),
// and the unary calls the allocation makes. The stream ending — the plugin stopped, crashed or its
// socket went — is reported once through `onEnd`.
import * as grpc from '@grpc/grpc-js';
import type { devices } from '@skiff/node-api';
import { devicePluginProto, unixTarget } from './proto.ts';

export interface EndpointEvents {
  devices(list: devices.Device[]): void;
  /** the stream ended (or never opened); `error` says why */
  end(error: string): void;
}

export class PluginEndpoint {
  private readonly client: grpc.Client & Record<string, any>;
  private stream?: grpc.ClientReadableStream<devices.ListAndWatchResponse>;
  private ended = false;

  constructor(
    readonly resource: string,
    readonly socketPath: string,
    readonly options: devices.DevicePluginOptions,
    private readonly timeoutMs = 10_000,
  ) {
    const { DevicePlugin } = devicePluginProto();
    this.client = new DevicePlugin(unixTarget(socketPath), grpc.credentials.createInsecure()) as grpc.Client & Record<string, any>;
  }

  /** Dials the plugin (fails if it does not answer in time) and opens ListAndWatch. */
  async start(events: EndpointEvents): Promise<void> {
    await new Promise<void>((ok, fail) => this.client.waitForReady(Date.now() + this.timeoutMs, (e) => (e ? fail(e) : ok())));
    const stream = this.client.ListAndWatch({}) as grpc.ClientReadableStream<devices.ListAndWatchResponse>;
    this.stream = stream;
    const end = (why: string) => {
      if (this.ended) return;
      this.ended = true;
      events.end(why);
    };
    stream.on('data', (m: devices.ListAndWatchResponse) => events.devices(m.devices));
    stream.on('error', (e: grpc.ServiceError) => end(e.details || e.message));
    stream.on('end', () => end('ListAndWatch stream ended'));
  }

  private unary<Req, Res>(method: string, request: Req): Promise<Res> {
    return new Promise((ok, fail) =>
      this.client[method](request, { deadline: Date.now() + this.timeoutMs }, (e: grpc.ServiceError | null, r: Res) => (e ? fail(e) : ok(r))),
    );
  }

  getPreferredAllocation(req: devices.PreferredAllocationRequest): Promise<devices.PreferredAllocationResponse> {
    return this.unary('GetPreferredAllocation', req);
  }

  allocate(req: devices.AllocateRequest): Promise<devices.AllocateResponse> {
    return this.unary('Allocate', req);
  }

  preStartContainer(devicesIds: string[]): Promise<unknown> {
    return this.unary('PreStartContainer', { devicesIds });
  }

  /** Closes the stream and the channel (no `end` is reported for a stop we asked for). */
  stop(): void {
    this.ended = true;
    this.stream?.cancel();
    this.client.close();
  }
}
