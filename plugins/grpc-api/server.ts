// The gRPC API server: skiff.v1.Objects and skiff.v1.Discovery over the Kernel, the standard health
// service (grpc.health.v1, following the kernel's readiness) and server reflection, over TLS with the
// cluster's serving certificate. Authentication and authorization are the front-end kit's gate, as
// the REST API's.
import { Server, ServerCredentials, type ServiceDefinition, type ServiceError } from '@grpc/grpc-js';
import type { Kernel } from '@skiff/kernel';
import { ApiGate, type Authorizer, type HealthProbe, type TokenUser } from '@skiff/client/api-frontend';
import { skiffProto } from './proto.ts';
import { errorCodec } from './errors.ts';
import { objectsService } from './objects.ts';
import { discoveryService } from './discovery.ts';
import { UNDECODABLE } from './requests.ts';

export interface GrpcApiOptions {
  kernel: Kernel;
  /** PEM; without it the server speaks plaintext (tests only) */
  tls?: { cert: string; key: string };
  /** accepted bearer tokens (a plain string: an admin token); none: no authentication */
  tokens?: (string | TokenUser)[];
  /** decides what each user may do (default: everything), or how to find the current authorizer */
  authorizer?: Authorizer | (() => Authorizer | undefined);
  /** what the health service reports: SERVING while every check passes */
  readiness?: HealthProbe;
  /** how often readiness is checked (default 5 s) */
  readinessIntervalMs?: number;
  /** the largest request message, bytes (default 4 MiB, gRPC's default) */
  maxReceiveMessageBytes?: number;
  /** the proto/ directory (default: found beside the module) */
  protoDir?: string;
  /** errors nobody expected (a 500), with the method they happened in */
  onInternalError?: (err: unknown, method: string) => void;
}

export interface GrpcApi {
  server: Server;
  /** binds host:port (0: a free port); resolves to the port */
  listen(host: string, port: number): Promise<number>;
  /** ends open watches (OK: clients watch again), lets unary calls finish, then closes */
  drain(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Health service names reported (besides "", the whole server). */
const SERVICES = ['skiff.v1.Objects', 'skiff.v1.Discovery'];

export async function createGrpcApi(o: GrpcApiOptions): Promise<GrpcApi> {
  const proto = await skiffProto(o.protoDir);
  // loaded when a server starts, not with the CLI (each brings its own proto-loader and protobufjs)
  const [{ HealthImplementation, protoPath: healthProtoPath }, { ReflectionService }, { loadSync }] = await Promise.all([
    import('grpc-health-check'),
    import('@grpc/reflection'),
    import('@grpc/proto-loader'),
  ]);
  const codec = errorCodec(proto.root);
  const gate = new ApiGate({ tokens: o.tokens, authorizer: o.authorizer });
  const toServiceError = (e: unknown): Partial<ServiceError> => {
    const err = codec.toServiceError(e);
    if (err.code === 13 /* INTERNAL */) o.onInternalError?.(e, '');
    return err;
  };
  const server = new Server({
    'grpc.max_receive_message_length': o.maxReceiveMessageBytes ?? 4 * 1024 * 1024,
    'grpc.max_concurrent_streams': 1000,
    // find clients that vanished without a word (their watches would stay open): ping after a minute of silence
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
    // channelz (per-call counters and traces for a channelz service this server does not offer)
    // costs a few percent of every call
    'grpc.enable_channelz': 0,
  });
  const activeWatches = new Set<() => void>();
  server.addService(answersPreEncoded(proto.packageDefinition['skiff.v1.Objects'] as ServiceDefinition), objectsService({ kernel: o.kernel, gate, toServiceError, activeWatches }));
  server.addService(answersPreEncoded(proto.packageDefinition['skiff.v1.Discovery'] as ServiceDefinition), discoveryService({ kernel: o.kernel, gate, root: proto.root, toServiceError }));
  // the standard health service and server reflection answer anybody (as /healthz does): they say
  // whether the server serves and what its proto/ files say, nothing about objects
  const health = new HealthImplementation(Object.fromEntries(['', ...SERVICES].map((s) => [s, 'SERVING'])));
  health.addToServer(server);
  new ReflectionService({ ...proto.packageDefinition, ...loadSync(healthProtoPath) }).addToServer(server);

  let timer: NodeJS.Timeout | undefined;
  const probe = async () => {
    let ok = true;
    try {
      ok = (await o.readiness!()).every((c) => c.ok);
    } catch {
      ok = false;
    }
    for (const s of ['', ...SERVICES]) health.setStatus(s, ok ? 'SERVING' : 'NOT_SERVING');
  };
  const shutdown = (timeoutMs: number) =>
    new Promise<void>((resolve) => {
      if (timer) clearInterval(timer);
      for (const stop of [...activeWatches]) stop();
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, timeoutMs);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });

  return {
    server,
    listen(host, port) {
      const creds = o.tls ? ServerCredentials.createSsl(null, [{ private_key: Buffer.from(o.tls.key), cert_chain: Buffer.from(o.tls.cert) }], false) : ServerCredentials.createInsecure();
      return new Promise((resolve, reject) => {
        server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, creds, (err, bound) => {
          if (err) return reject(err);
          if (o.readiness) {
            void probe();
            timer = setInterval(() => void probe(), o.readinessIntervalMs ?? 5000);
            timer.unref();
          }
          resolve(bound);
        });
      });
    },
    drain: (timeoutMs = 10_000) => shutdown(timeoutMs),
    stop: () => shutdown(2000),
  };
}

/**
 * The service as proto-loader defines it, but answering with bytes the handlers encoded themselves
 * (answers.ts), and decoding requests without throwing: a request that is not a valid message
 * reaches the handler marked UNDECODABLE, which answers INVALID_ARGUMENT (grpc-js would say INTERNAL).
 */
function answersPreEncoded(def: ServiceDefinition): ServiceDefinition {
  const out: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(def)) {
    out[name] = {
      ...m,
      responseSerialize: (b: Buffer) => b,
      requestDeserialize: (b: Buffer) => {
        try {
          return m.requestDeserialize(b);
        } catch (e) {
          return { [UNDECODABLE]: (e as Error).message };
        }
      },
    };
  }
  return out as ServiceDefinition;
}
