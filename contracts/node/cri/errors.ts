// A failed CRI call: the gRPC status code survives, so callers can branch on it the way a kubelet
// does (NOT_FOUND on a status/remove of something already gone is "done", not a failure). Every
// CriRuntime implementation fails with this shape: a gRPC client with the code it received, an
// in-memory runtime with the code the real one would send.
import { grpcCodeName } from '../rpc-status.ts';

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
    const codeName = grpcCodeName(code);
    super(`CRI ${method}: ${codeName}: ${details}`, options);
    this.code = code;
    this.codeName = codeName;
    this.details = details;
    this.method = method;
  }
}
