// `skiff device-plugin sample`: a real device plugin, as a vendor's would be, for a resource with
// no hardware behind it. It serves DevicePlugin on its own socket in the agent's device-plugins
// directory, registers with the agent's Registration socket (kubelet.sock), lists `count` devices
// (<name>-0 ... <name>-N-1, all Healthy), answers GetPreferredAllocation (the lowest-numbered
// devices first) and, on Allocate, gives each container WIDGET_IDS (the comma-separated device
// IDs; the variable's name comes from the resource's, e.g. example.com/widget -> WIDGET_IDS).
// It registers again when the agent's kubelet.sock is recreated (an agent restart), and serves its
// own socket again if it is removed (the kubelet clears the directory when it starts).
import { existsSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@skiff/kernel/plugins';
import { devices } from '@skiff/node-api';
import { bindUnix, devicePluginProto, unixTarget } from './proto.ts';

type DeviceHealth = devices.DeviceHealth;

export interface SamplePluginOptions {
  /** the extended resource, e.g. example.com/widget */
  resource: string;
  count: number;
  /** the agent's device-plugins directory */
  dir: string;
  /** the plugin's socket file name in `dir` (default: from the resource, e.g. example.com_widget.sock) */
  endpoint?: string;
  /** registration version (tests send a wrong one) */
  version?: string;
  /** ask for PreStartContainer before each container starts (default false) */
  preStart?: boolean;
  /** offer GetPreferredAllocation (default true) */
  preferredAllocation?: boolean;
  /** how often to look whether kubelet.sock was recreated or our socket removed (ms) */
  watchMs?: number;
  logger?: Logger;
}

/** WIDGET_IDS for example.com/widget: the resource's last segment, upper-cased, non-alphanumerics as _. */
export const idsVariable = (resource: string) => `${resource.split('/').pop()!.replace(/[^A-Za-z0-9]/g, '_').toUpperCase()}_IDS`;

export class SampleDevicePlugin {
  readonly endpoint: string;
  readonly variable: string;
  private readonly health = new Map<string, DeviceHealth>();
  private readonly streams = new Set<grpc.ServerWritableStream<unknown, devices.ListAndWatchResponse>>();
  private server?: grpc.Server;
  private timer?: NodeJS.Timeout;
  private kubeletIno?: string;
  private stopped = false;
  private busy = Promise.resolve();
  /** every Allocate answered: the device IDs per container request */
  readonly allocations: string[][] = [];
  /** GetPreferredAllocation calls answered */
  preferredCalls = 0;
  /** every PreStartContainer call: the device IDs */
  readonly preStarts: string[][] = [];
  /** registrations made (a re-registration after an agent restart adds one) */
  registrations = 0;
  /** the last registration's error, if it failed */
  lastError?: Error;

  constructor(private readonly o: SamplePluginOptions) {
    this.endpoint = o.endpoint ?? `${o.resource.replace(/[^A-Za-z0-9.-]/g, '_')}.sock`;
    this.variable = idsVariable(o.resource);
    const name = o.resource.split('/').pop()!;
    for (let i = 0; i < o.count; i++) this.health.set(`${name}-${i}`, 'Healthy');
  }

  get socketPath(): string {
    return join(this.o.dir, this.endpoint);
  }

  /**
   * Serves, registers, and keeps watching for an agent restart. Throws what the registration got:
   * a refusal (INVALID_ARGUMENT) is final; an agent not there yet (UNAVAILABLE) is retried by the
   * watch once its kubelet.sock appears.
   */
  async start(): Promise<void> {
    mkdirSync(this.o.dir, { recursive: true });
    await this.serve();
    this.timer = setInterval(() => void this.serial(() => this.check()), this.o.watchMs ?? 1_000);
    await this.serial(() => this.register().catch((e) => {
      this.lastError = e as Error;
    }));
    if (this.lastError) throw this.lastError;
  }

  /** Stops serving: the agent sees the ListAndWatch stream end and the socket go. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.busy;
    await this.shutdown();
  }

  /** Marks a device Healthy or Unhealthy; the agent hears the new list on ListAndWatch. */
  setHealth(id: string, health: DeviceHealth): void {
    if (!this.health.has(id)) throw new Error(`no device ${id}`);
    this.health.set(id, health);
    for (const s of this.streams) s.write(this.list());
  }

  private options(): devices.DevicePluginOptions {
    return { preStartRequired: this.o.preStart === true, getPreferredAllocationAvailable: this.o.preferredAllocation !== false };
  }

  private list(): devices.ListAndWatchResponse {
    return { devices: [...this.health].map(([ID, health]) => ({ ID, health, topology: null })) };
  }

  private serial(f: () => Promise<void>): Promise<void> {
    this.busy = this.busy.then(() => (this.stopped ? undefined : f())).catch((e) => this.o.logger?.warn('device plugin: re-registration failed; will retry', { error: String(e) }));
    return this.busy;
  }

  private async check(): Promise<void> {
    if (!existsSync(this.socketPath)) {
      this.o.logger?.info('device plugin: our socket was removed; serving again', { socket: this.socketPath });
      await this.shutdown();
      await this.serve();
      await this.register();
      return;
    }
    const ino = inode(join(this.o.dir, devices.KUBELET_SOCKET));
    if (ino !== undefined && ino !== this.kubeletIno) {
      this.o.logger?.info('device plugin: the agent\'s kubelet.sock was recreated; registering again');
      await this.register();
    }
  }

  private async serve(): Promise<void> {
    const { DevicePlugin } = devicePluginProto();
    const server = new grpc.Server();
    server.addService(DevicePlugin.service, {
      GetDevicePluginOptions: (_call: unknown, cb: grpc.sendUnaryData<devices.DevicePluginOptions>) =>
        cb(null, this.options()),
      ListAndWatch: (call: grpc.ServerWritableStream<unknown, devices.ListAndWatchResponse>) => {
        this.streams.add(call);
        call.write(this.list());
        const gone = () => this.streams.delete(call);
        call.on('cancelled', gone);
        call.on('close', gone);
      },
      GetPreferredAllocation: (call: grpc.ServerUnaryCall<devices.PreferredAllocationRequest, unknown>, cb: grpc.sendUnaryData<devices.PreferredAllocationResponse>) => {
        this.preferredCalls++;
        const containerResponses = call.request.containerRequests.map((r) => {
          const rest = [...r.availableDeviceIDs].filter((id) => !r.mustIncludeDeviceIDs.includes(id)).sort(byNumber);
          return { deviceIDs: [...r.mustIncludeDeviceIDs, ...rest].slice(0, r.allocationSize) };
        });
        cb(null, { containerResponses });
      },
      Allocate: (call: grpc.ServerUnaryCall<devices.AllocateRequest, unknown>, cb: grpc.sendUnaryData<devices.AllocateResponse>) => {
        const containerResponses: devices.ContainerAllocateResponse[] = [];
        for (const r of call.request.containerRequests) {
          const unknown = r.devicesIds.filter((id) => !this.health.has(id));
          if (unknown.length) return cb({ code: grpc.status.INVALID_ARGUMENT, details: `unknown devices: ${unknown.join(', ')}` });
          this.allocations.push([...r.devicesIds]);
          if (this.allocations.length > 1_000) this.allocations.shift(); // a long-running sample keeps the last ones
          containerResponses.push({
            envs: { [this.variable]: r.devicesIds.join(',') },
            mounts: [],
            devices: [],
            annotations: { [`${this.o.resource.split('/')[0]}/${this.o.resource.split('/').pop()}-ids`]: r.devicesIds.join(',') },
            cdiDevices: [],
          });
        }
        cb(null, { containerResponses });
      },
      PreStartContainer: (call: grpc.ServerUnaryCall<{ devicesIds: string[] }, unknown>, cb: grpc.sendUnaryData<object>) => {
        this.preStarts.push([...call.request.devicesIds]);
        cb(null, {});
      },
    });
    if (existsSync(this.socketPath)) unlinkSync(this.socketPath);
    await bindUnix(server, this.socketPath);
    this.server = server;
  }

  private async shutdown(): Promise<void> {
    for (const s of this.streams) s.end();
    this.streams.clear();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((ok) => s.tryShutdown(() => ok()));
    s?.forceShutdown();
  }

  /** Registration.Register on the agent's kubelet.sock. */
  async register(): Promise<void> {
    const kubeletSock = join(this.o.dir, devices.KUBELET_SOCKET);
    const ino = inode(kubeletSock);
    const { Registration } = devicePluginProto();
    const client = new Registration(unixTarget(kubeletSock), grpc.credentials.createInsecure());
    try {
      await new Promise<void>((ok, fail) =>
        client.Register(
          { version: this.o.version ?? devices.DEVICE_PLUGIN_VERSION, endpoint: this.endpoint, resourceName: this.o.resource, options: this.options() },
          { deadline: Date.now() + 10_000 },
          (err: grpc.ServiceError | null) => (err ? fail(err) : ok()),
        ),
      );
      this.registrations++;
      this.lastError = undefined;
      this.kubeletIno = ino;
      this.o.logger?.info('device plugin registered', { resource: this.o.resource, devices: this.health.size, endpoint: this.endpoint });
    } catch (e) {
      this.lastError = e as Error;
      // a refusal is final for this socket (not retried until the agent restarts); unreachable: retried
      if ((e as grpc.ServiceError).code !== grpc.status.UNAVAILABLE) this.kubeletIno = ino;
      throw e;
    } finally {
      client.close();
    }
  }
}

const byNumber = (a: string, b: string) => Number(/\d+$/.exec(a)?.[0] ?? 0) - Number(/\d+$/.exec(b)?.[0] ?? 0) || (a < b ? -1 : a > b ? 1 : 0);

/** The socket file's identity (inode and change time: an inode number alone may be reused by a new file). */
function inode(path: string): string | undefined {
  try {
    const st = statSync(path, { bigint: true });
    return `${st.ino}:${st.ctimeNs}`;
  } catch {
    return undefined;
  }
}
