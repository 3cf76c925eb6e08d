// gRPC status codes, as every node protocol (CRI, CSI, device plugins) reports failures. The numbers
// are gRPC's own (google.golang.org/grpc/codes, @grpc/grpc-js `status`), written out here so that a
// contract does not depend on one gRPC library: an implementation speaking gRPC passes the code it
// got through, an in-memory one (the fake runtime) picks the code the real runtime would have sent.

export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type GrpcStatusCode = (typeof GrpcStatus)[keyof typeof GrpcStatus];

const NAMES = Object.fromEntries(Object.entries(GrpcStatus).map(([name, code]) => [code, name])) as Record<number, string>;

/** "NOT_FOUND" for 5; "CODE_<n>" for a code gRPC does not define. */
export function grpcCodeName(code: number): string {
  return NAMES[code] ?? `CODE_${code}`;
}

/**
 * The gRPC status code of `e`, or undefined. Duck-typed rather than `instanceof`, because a
 * hot-reloaded plugin bundle carries its own copy of every error class.
 */
export function grpcCode(e: unknown): number | undefined {
  if (e === null || typeof e !== 'object') return undefined;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

export const isNotFound = (e: unknown): boolean => grpcCode(e) === GrpcStatus.NOT_FOUND;
export const isDeadlineExceeded = (e: unknown): boolean => grpcCode(e) === GrpcStatus.DEADLINE_EXCEEDED;
/** the other end is not reachable (socket absent, runtime restarting) */
export const isUnavailable = (e: unknown): boolean => grpcCode(e) === GrpcStatus.UNAVAILABLE;
