// proto/deviceplugin/v1beta1/api.proto, found beside this module (source tree) or beside the bundle,
// loaded once with @grpc/proto-loader into the two services' definitions: Registration (the agent
// serves it) and DevicePlugin (each plugin serves it; the agent and the sample plugin use both
// ends). Decoded messages have the shapes of @skiff/node-api's `devices` types.
import { resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { findUp } from '@skiff/client';

/** camelCased fields (resource_name -> resourceName; `ID` stays), int64 as Number, defaults filled in. */
const LOADER_OPTIONS = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: false } as const;

/** Where api.proto is: $SKIFF_DEVICEPLUGIN_PROTO, else proto/deviceplugin/v1beta1/api.proto here or in the nearest ancestor. */
export const findDevicePluginProto = (moduleUrl: string = import.meta.url) => findUp('proto/deviceplugin/v1beta1/api.proto', moduleUrl, 'SKIFF_DEVICEPLUGIN_PROTO');

export interface DevicePluginProto {
  Registration: grpc.ServiceClientConstructor;
  DevicePlugin: grpc.ServiceClientConstructor;
}

let loaded: DevicePluginProto | undefined;

export function devicePluginProto(): DevicePluginProto {
  if (!loaded) {
    const def = loadSync(findDevicePluginProto(), LOADER_OPTIONS);
    const pkg = grpc.loadPackageDefinition(def).v1beta1 as grpc.GrpcObject;
    loaded = { Registration: pkg.Registration as grpc.ServiceClientConstructor, DevicePlugin: pkg.DevicePlugin as grpc.ServiceClientConstructor };
  }
  return loaded;
}

/** A grpc-js target for a unix socket path. */
export const unixTarget = (path: string) => `unix://${resolve(path)}`;

/** Binds `server` to the unix socket at `path` (a stale file there is replaced). */
export function bindUnix(server: grpc.Server, path: string): Promise<void> {
  return new Promise((ok, fail) =>
    server.bindAsync(unixTarget(path), grpc.ServerCredentials.createInsecure(), (err) => (err ? fail(err) : ok())),
  );
}

/** A gRPC error with a status code, as a handler's callback takes it. */
export const grpcError = (code: grpc.status, details: string): grpc.ServiceError =>
  Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() }) as grpc.ServiceError;
