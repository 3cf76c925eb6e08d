// The plugin watcher (kubelet's pluginwatcher + CSI handler): watches the agent's plugins_registry
// directory; a socket that appears is asked GetInfo, its answer checked (type, name, version), its
// CSI endpoint dialled (GetPluginInfo, plugin capabilities, NodeGetInfo), and the outcome told back
// with NotifyRegistrationStatus. A socket removed, or one that stops accepting connections (its
// process died), deregisters its driver. A refused socket (its answers are wrong: name, versions,
// a driver registered already) is tried again only when it is made anew: a registrar restarts by
// rebinding. One that could not be asked (not accepting yet, a call that failed or timed out) is
// tried again with back-off, as kubelet's plugin manager does. "Anew" is the inode with its birth
// time: Linux hands a freed inode number straight to the next file, so a rebound socket often has
// the old one.
import { watch, type FSWatcher, type Stats } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { credentials, type Client } from '@grpc/grpc-js';
import type { Logger } from '@skiff/kernel/plugins';
import type { csi } from '@skiff/node-api';
import { CsiDriverClientImpl } from './csi-client.ts';
import { unary } from './grpc-call.ts';
import { csiServices, socketPath, unixTarget } from './proto.ts';
import type { CsiDriverRegistry } from './registry.ts';
import { highestSupportedVersion, registrationProblem } from './validation.ts';

export interface PluginWatcherOptions {
  dir: string;
  registry: CsiDriverRegistry;
  logger: Logger;
  /** a refused or failed registration (for a Warning Event on the Node) */
  onRefused(socket: string, reason: string): void;
  /** how often the directory is rescanned and registered sockets checked (ms) */
  resyncMs?: number;
  /** deadline of each call made while registering (ms) */
  callTimeoutMs?: number;
  /** the deadline of the driver client's later calls (ms) */
  driverTimeoutMs?: number;
}

/** true when something accepts connections on the unix socket `path` */
export function socketAlive(path: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const timer = setTimeout(() => done(false), timeoutMs);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** what tells one socket file from another made later at the same path (inode numbers are reused) */
function fileIdentity(st: Stats): string {
  return `${st.ino}@${st.birthtimeMs || st.ctimeMs}`;
}

export class PluginWatcher {
  /** socket path → the file (fileIdentity) last tried */
  private readonly tried = new Map<string, string>();
  private readonly inFlight = new Map<string, Promise<void>>();
  /** socket path → failed attempts in a row (its back-off) */
  private readonly failures = new Map<string, number>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private fsWatcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private scanning?: Promise<void>;
  private rescan = false;

  constructor(private readonly o: PluginWatcherOptions) {}

  async start(): Promise<void> {
    await mkdir(this.o.dir, { recursive: true });
    this.fsWatcher = watch(this.o.dir, () => this.kick());
    this.fsWatcher.on('error', (e) => this.o.logger.warn('plugin directory watch failed', { dir: this.o.dir, error: String(e) }));
    this.timer = setInterval(() => this.kick(), this.o.resyncMs ?? 5000);
    this.timer.unref();
    await this.scan();
  }

  /** Rescans soon (coalesced). */
  kick(): void {
    if (this.stopped) return;
    if (this.scanning) {
      this.rescan = true;
      return;
    }
    this.scanning = this.scan().finally(() => {
      this.scanning = undefined;
      if (this.rescan) {
        this.rescan = false;
        this.kick();
      }
    });
  }

  /** Resolves when the current scan and registrations have finished (tests). */
  async settle(): Promise<void> {
    while (this.scanning || this.inFlight.size) {
      await this.scanning;
      await Promise.all(this.inFlight.values());
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.fsWatcher?.close();
    clearInterval(this.timer);
    for (const r of this.retries) clearTimeout(r);
    this.retries.clear();
    await this.scanning?.catch(() => {});
    await Promise.all(this.inFlight.values());
  }

  private async scan(): Promise<void> {
    const present = new Map<string, string>();
    for (const name of await readdir(this.o.dir).catch((): string[] => [])) {
      if (name.startsWith('.')) continue; // kubelet ignores hidden files
      const path = join(this.o.dir, name);
      const st = await stat(path).catch(() => undefined);
      if (st?.isSocket()) present.set(path, fileIdentity(st));
    }
    // gone or dead: deregister
    for (const d of this.o.registry.list()) {
      const socket = this.socketOf(d);
      if (!socket || this.inFlight.has(socket)) continue;
      const gone = !present.has(socket) || present.get(socket) !== this.tried.get(socket);
      if (gone || !(await socketAlive(socket))) {
        this.o.logger.info('CSI driver gone: deregistered', { driver: d.name, socket, reason: gone ? 'socket removed' : 'socket does not accept connections' });
        this.o.registry.remove(d.name);
      }
    }
    for (const path of this.tried.keys()) if (!present.has(path)) this.tried.delete(path);
    for (const path of this.failures.keys()) if (!present.has(path)) this.failures.delete(path);
    // new (or made anew): register
    for (const [path, file] of present) {
      if (this.stopped || this.tried.get(path) === file || this.inFlight.has(path)) continue;
      this.tried.set(path, file);
      const p = this.register(path)
        .then((outcome) => this.after(path, file, outcome))
        .finally(() => this.inFlight.delete(path));
      this.inFlight.set(path, p);
    }
  }

  /** A failed attempt is forgotten after a back-off (0.5 s doubling to 30 s), so a scan tries it again. */
  private after(path: string, file: string, outcome: 'registered' | 'refused' | 'failed'): void {
    if (outcome !== 'failed') {
      this.failures.delete(path);
      return;
    }
    const n = (this.failures.get(path) ?? 0) + 1;
    this.failures.set(path, n);
    if (this.stopped) return;
    const retry = setTimeout(() => {
      this.retries.delete(retry);
      if (this.tried.get(path) === file) this.tried.delete(path);
      this.kick();
    }, Math.min(30_000, 500 * 2 ** (n - 1)));
    retry.unref();
    this.retries.add(retry);
  }

  private socketOf(d: csi.RegisteredCsiDriver): string | undefined {
    return this.o.registry.socketOf(d.name);
  }

  private async register(socket: string): Promise<'registered' | 'refused' | 'failed'> {
    const timeoutMs = this.o.callTimeoutMs ?? 10_000;
    const Registration = csiServices().Registration;
    const reg: Client = new Registration(unixTarget(socket), credentials.createInsecure());
    const notify = (pluginRegistered: boolean, error = '') =>
      unary(reg, 'NotifyRegistrationStatus', { pluginRegistered, error }, { timeoutMs }, timeoutMs).catch((e: unknown) =>
        this.o.logger.warn('NotifyRegistrationStatus failed', { socket, error: String((e as Error)?.message ?? e) }),
      );
    let client: CsiDriverClientImpl | undefined;
    try {
      let info: csi.PluginInfo;
      try {
        info = await unary<csi.PluginInfo>(reg, 'GetInfo', {}, { timeoutMs }, timeoutMs);
      } catch (e) {
        // no answer: nothing to notify (like kubelet, which just logs it)
        this.refuse(socket, `GetInfo failed: ${(e as Error).message}`);
        return 'failed';
      }
      const problem = registrationProblem(info);
      if (problem) {
        this.refuse(socket, problem);
        await notify(false, problem);
        return 'refused';
      }
      const existingSocket = this.o.registry.socketOf(info.name);
      if (existingSocket && existingSocket !== socket && (await socketAlive(existingSocket))) {
        const reason = `CSI driver ${info.name} is registered already, through ${existingSocket}`;
        this.refuse(socket, reason);
        await notify(false, reason);
        return 'refused';
      }
      const endpoint = info.endpoint ? socketPath(info.endpoint) : socket;
      client = new CsiDriverClientImpl(info.name, endpoint, this.o.driverTimeoutMs);
      const pluginInfo = await client.getPluginInfo({ timeoutMs });
      if (pluginInfo.name !== info.name) throw new Error(`the driver at ${endpoint} calls itself ${pluginInfo.name}, not ${info.name}`);
      await client.probeCapabilities({ timeoutMs });
      const nodeInfo = await client.nodeGetInfo({ timeoutMs });
      if (!nodeInfo.nodeId) throw new Error('NodeGetInfo answered no node_id');
      const driver: csi.RegisteredCsiDriver = {
        name: info.name,
        endpoint,
        versions: info.supportedVersions,
        nodeId: nodeInfo.nodeId,
        maxVolumesPerNode: nodeInfo.maxVolumesPerNode,
        topologyKeys: Object.keys(nodeInfo.accessibleTopology?.segments ?? {}).sort(),
      };
      this.o.registry.add(driver, client, socket, { ...nodeInfo.accessibleTopology?.segments });
      client = undefined;
      this.o.logger.info('CSI driver registered', { driver: driver.name, endpoint, csiVersion: highestSupportedVersion(info.supportedVersions), nodeId: driver.nodeId });
      await notify(true);
      return 'registered';
    } catch (e) {
      const reason = `registration of ${socket} failed: ${(e as Error).message}`;
      this.refuse(socket, reason);
      await notify(false, reason);
      return 'failed';
    } finally {
      client?.close();
      reg.close();
    }
  }

  private refuse(socket: string, reason: string): void {
    this.o.logger.warn('plugin registration refused', { socket, reason });
    this.o.onRefused(socket, reason);
  }
}
