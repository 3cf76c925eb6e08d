// One unary call on a @grpc/grpc-js client as a promise: a deadline, cancellation by AbortSignal,
// and failures as CsiError carrying the gRPC status code (what @skiff/node-api's isNotFound, grpcCode
// ... read).
import { Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { GrpcStatus, grpcCodeName, type CallOptions } from '@skiff/node-api';

export class CsiError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly details: string,
    options?: ErrorOptions,
  ) {
    super(`${method}: ${grpcCodeName(code)}: ${details}`, options);
    this.name = 'CsiError';
  }
}

type UnaryFn = (request: object, metadata: unknown, options: object, callback: (err: ServiceError | null, value?: unknown) => void) => { cancel(): void };

/** Calls `method` of `client` with `request`; `timeoutMs` 0 = no deadline. */
export function unary<T>(client: Client, method: string, request: object, opts: CallOptions, defaultTimeoutMs: number): Promise<T> {
  const fn = (client as unknown as Record<string, UnaryFn>)[method];
  if (typeof fn !== 'function') return Promise.reject(new CsiError(method, GrpcStatus.UNIMPLEMENTED, 'not in the service definition'));
  const timeoutMs = opts.timeoutMs ?? defaultTimeoutMs;
  return new Promise<T>((resolve, reject) => {
    if (opts.signal?.aborted) return reject(new CsiError(method, GrpcStatus.CANCELLED, 'aborted before the call', { cause: opts.signal.reason }));
    const onAbort = () => call.cancel();
    const call = fn.call(client, request, new Metadata(), timeoutMs > 0 ? { deadline: Date.now() + timeoutMs } : {}, (err, value) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(new CsiError(method, err.code, err.details || err.message, { cause: err }));
      else resolve(value as T);
    });
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
