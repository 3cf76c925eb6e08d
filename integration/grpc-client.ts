// A TypeScript client of Skiff's gRPC API built from proto/ alone, at run time, as docs/grpc.md
// shows: @grpc/proto-loader turns proto/skiff/v1/*.proto into client constructors, protobufjs reads
// the error details. Nothing of Skiff's code is imported: this is what any user can write.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

export const PROTO_FILES = ['skiff/v1/objects.proto', 'skiff/v1/discovery.proto', 'skiff/v1/status.proto', 'google/rpc/status.proto'];

export interface Ref {
  group?: string;
  version: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** A failed call: the gRPC code and message, and the Kubernetes Status from the error details. */
export interface CallError extends grpc.ServiceError {
  status?: { code: number; reason: string; message: string; causes: { reason: string; message: string; field: string }[]; retryAfterSeconds: number };
}

/** The error a call that should fail failed with (throws when it succeeded). */
export async function failure(p: Promise<unknown>): Promise<CallError> {
  try {
    await p;
  } catch (e) {
    return e as CallError;
  }
  throw new Error('the call succeeded');
}

export interface WatchEvent {
  type: string;
  object: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface SkiffGrpcClient {
  get(ref: Ref): Promise<Json>;
  list(ref: Ref, opts?: { labelSelector?: string; fieldSelector?: string; resourceVersion?: string; limit?: number; continue?: string }): Promise<{ items: Json[]; resourceVersion: string; continue: string; remainingItemCount: number }>;
  create(ref: Ref, object: Json, opts?: { dryRun?: boolean; fieldManager?: string }): Promise<Json>;
  update(ref: Ref, object: Json): Promise<Json>;
  patch(ref: Ref, patchType: string, patch: Json | string, opts?: { fieldManager?: string; force?: boolean }): Promise<Json>;
  delete(ref: Ref, opts?: { propagationPolicy?: string; gracePeriodSeconds?: number; preconditions?: { uid?: string; resourceVersion?: string } }): Promise<Json>;
  /** a server stream: events as they come; `cancel()` ends it */
  watch(ref: Ref, opts: { labelSelector?: string; fieldSelector?: string; resourceVersion?: string; allowBookmarks?: boolean; timeoutSeconds?: number }, onEvent: (e: WatchEvent) => void): { done: Promise<void>; cancel(): void };
  listKinds(): Promise<Json[]>;
  /** grpc.health.v1 Check of a service ("" the server) */
  health(service?: string): Promise<string>;
  /** the raw unary call, for requests the helpers above do not build */
  raw(service: 'Objects' | 'Discovery', method: string, request: Json): Promise<Json>;
  close(): void;
}

export interface ConnectOptions {
  /** host:port (the server's $SKIFF_HOME/grpc-address) */
  address: string;
  /** the cluster CA (PEM); without it the channel is plaintext */
  ca?: string;
  token?: string;
  /** the repository's proto/ directory */
  protoDir: string;
  /** extra directories with google/protobuf and grpc/health/v1 protos (health check) */
  healthProto?: string;
}

export function connectSkiff(o: ConnectOptions): SkiffGrpcClient {
  const opts = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: false };
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO_FILES, { ...opts, includeDirs: [o.protoDir] })) as Json;
  const creds = o.ca ? grpc.credentials.createSsl(Buffer.from(o.ca)) : grpc.credentials.createInsecure();
  const objects = new pkg.skiff.v1.Objects(o.address, creds);
  const discovery = new pkg.skiff.v1.Discovery(o.address, creds, { channelOverride: objects.getChannel() });
  let health: Json;
  if (o.healthProto) {
    const h = grpc.loadPackageDefinition(protoLoader.loadSync('health/v1/health.proto', { ...opts, includeDirs: [o.healthProto] })) as Json;
    health = new h.grpc.health.v1.Health(o.address, creds, { channelOverride: objects.getChannel() });
  }
  // error details: google.rpc.Status holding a skiff.v1.Status
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') || target.startsWith('/') ? target : join(o.protoDir, target));
  root.loadSync(['google/rpc/status.proto', 'skiff/v1/status.proto'], { keepCase: false });
  const RpcStatus = root.lookupType('google.rpc.Status');
  const SkiffStatus = root.lookupType('skiff.v1.Status');

  const metadata = () => {
    const md = new grpc.Metadata();
    if (o.token !== undefined) md.set('authorization', `Bearer ${o.token}`);
    return md;
  };
  const withStatus = (e: CallError): CallError => {
    const bin = e.metadata?.get('grpc-status-details-bin')[0];
    if (Buffer.isBuffer(bin)) {
      const rpc = RpcStatus.toObject(RpcStatus.decode(bin), { defaults: true }) as Json;
      const any = rpc.details.find((d: Json) => (d.type_url ?? d.typeUrl) === 'type.googleapis.com/skiff.v1.Status');
      if (any) e.status = SkiffStatus.toObject(SkiffStatus.decode(any.value), { defaults: true }) as CallError['status'];
    }
    return e;
  };
  const call = (client: Json, method: string, req: Json): Promise<Json> =>
    new Promise((resolve, reject) => client[method](req, metadata(), (err: CallError | null, res: Json) => (err ? reject(withStatus(err)) : resolve(res))));
  const json = (o: { json: Buffer } | null) => (o ? JSON.parse(o.json.toString()) : undefined);
  const obj = (v: Json) => ({ json: Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)) });
  const ref = (r: Ref) => ({ group: '', namespace: '', name: '', subresource: '', ...r });

  return {
    get: async (r) => json(await call(objects, 'Get', { ref: ref(r) })),
    async list(r, l = {}) {
      const res = await call(objects, 'List', { ref: ref(r), ...l });
      return { items: res.items.map(json), resourceVersion: res.resourceVersion, continue: res.continue, remainingItemCount: res.remainingItemCount };
    },
    create: async (r, v, w = {}) => json(await call(objects, 'Create', { ref: ref(r), object: obj(v), ...w })),
    update: async (r, v) => json(await call(objects, 'Update', { ref: ref(r), object: obj(v) })),
    patch: async (r, patchType, p, w = {}) => json(await call(objects, 'Patch', { ref: ref(r), patchType, patch: obj(p).json, ...w })),
    async delete(r, d = {}) {
      const { gracePeriodSeconds, ...rest } = d;
      return json(await call(objects, 'Delete', { ref: ref(r), ...rest, ...(gracePeriodSeconds !== undefined ? { gracePeriodSeconds: { value: gracePeriodSeconds } } : {}) }));
    },
    watch(r, w, onEvent) {
      const stream = objects.Watch({ ref: ref(r), ...w }, metadata());
      const done = new Promise<void>((resolve, reject) => {
        stream.on('data', (ev: Json) => onEvent({ type: ev.type, object: json(ev.object) }));
        stream.on('error', (e: CallError) => (e.code === grpc.status.CANCELLED ? resolve() : reject(withStatus(e))));
        stream.on('end', () => resolve());
      });
      done.catch(() => {}); // the caller awaits it, or not
      return { done, cancel: () => stream.cancel() };
    },
    listKinds: async () => (await call(discovery, 'ListKinds', {})).kinds,
    async health(service = '') {
      if (!health) throw new Error('no healthProto directory given');
      return (await new Promise<Json>((resolve, reject) => health.Check({ service }, (e: Error | null, r: Json) => (e ? reject(e) : resolve(r))))).status;
    },
    raw: (service, method, req) => call(service === 'Objects' ? objects : discovery, method, req),
    close() {
      objects.close();
    },
  };
}
