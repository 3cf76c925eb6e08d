// proto/skiff/v1/*.proto (and google/rpc/status.proto), found beside this module (source tree) or
// beside the bundle, loaded once: as a @grpc/proto-loader package definition (the services, and the
// descriptors server reflection answers with) and as a protobufjs Root (to encode answers once).
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PackageDefinition } from '@grpc/proto-loader';
import protobuf from 'protobufjs';

export const SKIFF_PROTO_FILES = ['skiff/v1/objects.proto', 'skiff/v1/discovery.proto', 'skiff/v1/status.proto', 'google/rpc/status.proto'];

/**
 * The proto/ directory: $SKIFF_PROTO_DIR, else `proto/` in this module's directory or the nearest
 * ancestor that has proto/skiff/v1 (the repository's from the source tree; from the bundle,
 * dist/proto if the build copied it there, else the checkout's proto/ above dist/).
 */
export function findProtoDir(moduleUrl: string = import.meta.url): string {
  const fromEnv = process.env.SKIFF_PROTO_DIR;
  if (fromEnv) return resolve(fromEnv);
  const start = dirname(fileURLToPath(moduleUrl));
  for (let dir = start, i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'proto', 'skiff', 'v1', 'objects.proto'))) return join(dir, 'proto');
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find Skiff's gRPC definitions (proto/skiff/v1/objects.proto) in ${start} or above; set SKIFF_PROTO_DIR`);
}

/**
 * How requests decode: field names camelCased (label_selector -> labelSelector); int64 as Number
 * (limits, seconds: far below 2^53); defaults filled in, so an unset string is "" and an unset
 * message (ref, object, a wrapper) is null, which is how presence is told.
 */
export const LOADER_OPTIONS = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: false } as const;

export interface SkiffProto {
  dir: string;
  packageDefinition: PackageDefinition;
  root: protobuf.Root;
}

const loaded = new Map<string, SkiffProto>();

/**
 * The definitions, loaded once per directory. @grpc/proto-loader is imported here, when a server
 * starts, not when the CLI loads (every `skiff get` would pay for it).
 */
export async function skiffProto(dir: string = findProtoDir()): Promise<SkiffProto> {
  let p = loaded.get(dir);
  if (!p) {
    const { loadSync } = await import('@grpc/proto-loader');
    const packageDefinition = loadSync(SKIFF_PROTO_FILES, { ...LOADER_OPTIONS, includeDirs: [dir] });
    const root = new protobuf.Root();
    // imports are relative to proto/; google/protobuf/* are protobufjs' own copies
    root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') || isAbsolute(target) ? target : join(dir, target));
    root.loadSync(SKIFF_PROTO_FILES, { keepCase: false });
    root.resolveAll();
    p = { dir, packageDefinition, root };
    loaded.set(dir, p);
  }
  return p;
}
