// What the benchmarks' own gRPC clients (h2load's request body, the lean node:http2 client) put on
// the wire: Skiff's messages from proto/ (protobufjs), in gRPC's length-prefixed framing.
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { repoRoot } from './_util.ts';

export interface GrpcRef {
  group?: string;
  version: string;
  resource: string;
  namespace?: string;
}

let root: protobuf.Root | undefined;

/** skiff.v1's messages, loaded once */
export function skiffProto(): protobuf.Root {
  if (!root) {
    root = new protobuf.Root();
    root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : join(repoRoot(), 'proto', target));
    root.loadSync(['skiff/v1/objects.proto'], { keepCase: false });
  }
  return root;
}

/** gRPC's message framing: an uncompressed flag byte, then the length (big-endian), then the message */
export function grpcFrame(msg: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(5 + msg.length);
  framed[0] = 0;
  framed.writeUInt32BE(msg.length, 1);
  framed.set(msg, 5);
  return framed;
}

/** A framed skiff.v1.CreateRequest of `object` (as Kubernetes JSON) into `ref`. */
export function createRequestFrame(ref: GrpcRef, object: unknown): Buffer {
  const CreateRequest = skiffProto().lookupType('skiff.v1.CreateRequest');
  return grpcFrame(CreateRequest.encode(CreateRequest.create({ ref: { group: '', namespace: '', name: '', ...ref }, object: { json: Buffer.from(JSON.stringify(object)) } })).finish());
}
