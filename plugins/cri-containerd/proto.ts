// proto/cri/api.proto, found beside this module (source tree) or beside the bundle, parsed once with
// protobufjs, and turned into per-method encode/decode functions for @grpc/grpc-js.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

export const CRI_PACKAGE = 'runtime.v1';
const RELATIVE = join('proto', 'cri', 'api.proto');

/**
 * How decoded messages become plain objects:
 *  - longs: Number. int64/uint64 are sizes, limits, counts and nanosecond timestamps. All but the
 *    timestamps are far below 2^53; timestamps (~1.8e18 ns) round to ~256 ns, which nothing in a
 *    kubelet cares about, and numbers compare, sort and JSON-serialize (String would make every
 *    caller parse, BigInt breaks JSON.stringify).
 *  - enums: String. States read as 'CONTAINER_RUNNING' in code, logs and tests; encoding accepts
 *    the same names. Enum values unknown to this file (a newer runtime) come through as numbers.
 *  - defaults: true. proto3 does not send zero values, so without it CONTAINER_CREATED (= 0),
 *    exit code 0, empty lists and maps would all be `undefined`. Absent sub-messages become null.
 *  - bytes stay Buffers (ExecSync output may be binary).
 */
export const DECODE_OPTIONS: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: true };

/**
 * Where api.proto is: $SKIFF_CRI_PROTO, else `proto/cri/api.proto` in this module's directory or
 * the nearest ancestor that has one. From the source tree that is the repository's proto/; from
 * the bundle (dist/skiff.mjs) it is dist/proto/cri/api.proto, which the build must copy there,
 * falling back to the checkout's proto/ when dist/ sits inside one.
 */
export function findCriProto(moduleUrl: string = import.meta.url): string {
  const fromEnv = process.env.SKIFF_CRI_PROTO;
  if (fromEnv) return resolve(fromEnv);
  const start = dirname(fileURLToPath(moduleUrl));
  for (let dir = start, i = 0; i < 8; i++) {
    const candidate = join(dir, RELATIVE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find the CRI protobuf definitions (${RELATIVE}) in ${start} or above; set SKIFF_CRI_PROTO`);
}

const roots = new Map<string, protobuf.Root>();

/** The parsed file; field names camelCased (protobufjs' default), as the TS types have them. */
export function criProtoRoot(path: string = findCriProto()): protobuf.Root {
  let root = roots.get(path);
  if (!root) {
    root = new protobuf.Root();
    protobuf.parse(readFileSync(path, 'utf8'), root, { keepCase: false });
    root.resolveAll();
    roots.set(path, root);
  }
  return root;
}

export interface MethodCodec {
  /** "/runtime.v1.RuntimeService/Version" */
  path: string;
  encode(request: object): Buffer;
  decode(bytes: Buffer): unknown;
}

export function methodCodec(root: protobuf.Root, service: string, method: string): MethodCodec {
  const m = root.lookupService(`${CRI_PACKAGE}.${service}`).methods[method];
  if (!m) throw new Error(`CRI ${service}/${method} is not in api.proto`);
  m.resolve();
  const req = m.resolvedRequestType!;
  const res = m.resolvedResponseType!;
  return {
    path: `/${CRI_PACKAGE}.${service}/${method}`,
    encode: (request) => Buffer.from(req.encode(req.fromObject(request)).finish()),
    decode: (bytes) => res.toObject(res.decode(bytes), DECODE_OPTIONS),
  };
}
