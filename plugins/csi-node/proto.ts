// proto/csi/csi.proto and proto/pluginregistration/v1/api.proto, found beside this module (source
// tree) or beside the bundle, loaded once with @grpc/proto-loader into gRPC service definitions:
// the same definitions make the clients (the agent's side) and the servers (a driver's side).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

export const CSI_PROTO = join('csi', 'csi.proto');
export const REGISTRATION_PROTO = join('pluginregistration', 'v1', 'api.proto');

/**
 * How messages decode: camelCased names, int64 as Number (byte counts, far below 2^53), enums by
 * name, defaults filled in (proto3 cannot tell zero from unset; an absent sub-message is null), as
 * @skiff/node-api's conventions say. `oneofs: false`: the set member of a oneof is the non-null one.
 */
export const LOADER_OPTIONS = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: false } as const;

/**
 * The proto/ directory: $SKIFF_PROTO_DIR, else `proto/` in this module's directory or the nearest
 * ancestor that has proto/csi/csi.proto (the repository's from the source tree; from the bundle,
 * dist/proto if the build copied it there, else the checkout's proto/ above dist/).
 */
export function findCsiProtoDir(moduleUrl: string = import.meta.url): string {
  const fromEnv = process.env.SKIFF_PROTO_DIR;
  if (fromEnv) return resolve(fromEnv);
  const start = dirname(fileURLToPath(moduleUrl));
  for (let dir = start, i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'proto', CSI_PROTO))) return join(dir, 'proto');
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find the CSI protobuf definitions (proto/${CSI_PROTO}) in ${start} or above; set SKIFF_PROTO_DIR`);
}

export interface CsiServices {
  Identity: ServiceClientConstructor;
  Controller: ServiceClientConstructor;
  Node: ServiceClientConstructor;
  Registration: ServiceClientConstructor;
}

let loaded: CsiServices | undefined;

/** The four services (each has `.service`, its ServiceDefinition, for a server). */
export function csiServices(dir: string = findCsiProtoDir()): CsiServices {
  if (loaded) return loaded;
  const def = loadSync([CSI_PROTO, REGISTRATION_PROTO], { ...LOADER_OPTIONS, includeDirs: [dir] });
  const pkg = loadPackageDefinition(def);
  const csi = (pkg.csi as GrpcObject).v1 as GrpcObject;
  const reg = pkg.pluginregistration as GrpcObject;
  loaded = {
    Identity: csi.Identity as ServiceClientConstructor,
    Controller: csi.Controller as ServiceClientConstructor,
    Node: csi.Node as ServiceClientConstructor,
    Registration: reg.Registration as ServiceClientConstructor,
  };
  return loaded;
}

export type { ServiceDefinition };

/** A gRPC target for a socket path: plain paths become `unix://` URLs; anything with a scheme is kept. */
export function unixTarget(socket: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(socket)) return socket;
  return socket.startsWith('/') ? `unix://${socket}` : `unix:${socket}`;
}

/** The path of a `unix://` endpoint (what a driver registered), or the string itself. */
export function socketPath(endpoint: string): string {
  return endpoint.replace(/^unix:\/\//, '').replace(/^unix:/, '');
}
