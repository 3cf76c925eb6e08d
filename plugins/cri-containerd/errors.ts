// A failed CRI call: the gRPC status code survives, so callers can branch on it the way a kubelet
// does (NOT_FOUND on a status/remove of something already gone is "done", not a failure).
import { status as GrpcStatus } from '@grpc/grpc-js';

export { GrpcStatus };

export class CriError extends Error {
  override readonly name = 'CriError';
  /** the gRPC status code (GrpcStatus.NOT_FOUND, DEADLINE_EXCEEDED, UNAVAILABLE, ...) */
  readonly code: number;
  /** the code's name, e.g. "NOT_FOUND" */
  readonly codeName: string;
  /** the runtime's own message */
  readonly details: string;
  /** "RuntimeService/ContainerStatus" */
  readonly method: string;

  constructor(method: string, code: number, details: string, options?: { cause?: unknown }) {
    const codeName = GrpcStatus[code] ?? `CODE_${code}`;
    super(`CRI ${method}: ${codeName}: ${details}`, options);
    this.code = code;
    this.codeName = codeName;
    this.details = details;
    this.method = method;
  }
}

/**
 * The gRPC status code of `e`, or undefined. Duck-typed rather than `instanceof`, because a
 * hot-reloaded plugin bundle carries its own copy of the CriError class.
 */
export function grpcCode(e: unknown): number | undefined {
  if (e === null || typeof e !== 'object') return undefined;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

export const isNotFound = (e: unknown): boolean => grpcCode(e) === GrpcStatus.NOT_FOUND;
export const isDeadlineExceeded = (e: unknown): boolean => grpcCode(e) === GrpcStatus.DEADLINE_EXCEEDED;
/** the runtime is not reachable (socket absent, containerd restarting) */
export const isUnavailable = (e: unknown): boolean => grpcCode(e) === GrpcStatus.UNAVAILABLE;
