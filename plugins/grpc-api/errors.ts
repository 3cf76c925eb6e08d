// Kubernetes Statuses as gRPC statuses: the code by the Status' HTTP code and reason, the message as
// the gRPC message, and the Status itself (with its field causes) in the standard error details:
// the `grpc-status-details-bin` trailer holds a google.rpc.Status whose one detail is a
// skiff.v1.Status (proto/skiff/v1/status.proto).
import { Metadata, status as Code, type ServiceError } from '@grpc/grpc-js';
import { toStatus, type Status } from '@skiff/kernel';
import type protobuf from 'protobufjs';

export const DETAILS_KEY = 'grpc-status-details-bin';
export const STATUS_TYPE_URL = 'type.googleapis.com/skiff.v1.Status';

/** The gRPC code of a Kubernetes Status (see the table in proto/skiff/v1/objects.proto). */
export function grpcCode(s: Pick<Status, 'code' | 'reason'>): Code {
  switch (s.code) {
    case 400:
    case 406:
    case 415:
    case 422:
      return Code.INVALID_ARGUMENT;
    case 401:
      return Code.UNAUTHENTICATED;
    case 403:
      return Code.PERMISSION_DENIED;
    case 404:
      return Code.NOT_FOUND;
    case 405:
      return Code.UNIMPLEMENTED;
    case 409:
      return s.reason === 'AlreadyExists' ? Code.ALREADY_EXISTS : Code.ABORTED;
    case 410:
      return Code.OUT_OF_RANGE;
    case 413:
    case 429:
      return Code.RESOURCE_EXHAUSTED;
    case 503:
      return Code.UNAVAILABLE;
    case 504:
      return Code.DEADLINE_EXCEEDED;
    default:
      return Code.INTERNAL;
  }
}

export interface ErrorCodec {
  /** anything thrown -> the gRPC error a handler answers (unknown errors: INTERNAL) */
  toServiceError(e: unknown): Partial<ServiceError>;
  /** a `grpc-status-details-bin` value -> the Kubernetes Status in it (for tests and clients) */
  decodeDetails(b: Buffer): Status | undefined;
}

export function errorCodec(root: protobuf.Root): ErrorCodec {
  const RpcStatus = root.lookupType('google.rpc.Status');
  const SkiffStatus = root.lookupType('skiff.v1.Status');
  const encodeDetails = (s: Status, code: Code): Buffer => {
    const d = s.details ?? {};
    const inner = SkiffStatus.encode(
      SkiffStatus.fromObject({
        code: s.code,
        reason: s.reason,
        message: s.message,
        name: d.name ?? '',
        group: d.group ?? '',
        kind: d.kind ?? '',
        uid: d.uid ?? '',
        causes: (d.causes ?? []).map((c) => ({ reason: c.reason ?? '', message: c.message ?? '', field: c.field ?? '' })),
        retryAfterSeconds: d.retryAfterSeconds ?? 0,
      }),
    ).finish();
    return Buffer.from(RpcStatus.encode(RpcStatus.fromObject({ code, message: s.message, details: [{ type_url: STATUS_TYPE_URL, value: inner }] })).finish());
  };
  return {
    toServiceError(e) {
      const s = toStatus(e);
      const code = grpcCode(s);
      const metadata = new Metadata();
      metadata.set(DETAILS_KEY, encodeDetails(s, code));
      return { code, details: s.message || s.reason || 'error', metadata };
    },
    decodeDetails(b) {
      const rpc = RpcStatus.toObject(RpcStatus.decode(b), { defaults: true }) as { details: { type_url?: string; typeUrl?: string; value: Uint8Array }[] };
      const any = rpc.details.find((x) => (x.type_url ?? x.typeUrl) === STATUS_TYPE_URL);
      if (!any) return undefined;
      const o = SkiffStatus.toObject(SkiffStatus.decode(any.value), { defaults: true }) as Record<string, any>;
      const details: Status['details'] = {};
      for (const k of ['name', 'group', 'kind', 'uid'] as const) if (o[k]) details[k] = o[k];
      if (o.causes.length) details.causes = o.causes.map((c: Record<string, string>) => ({ reason: c.reason, message: c.message, ...(c.field ? { field: c.field } : {}) }));
      if (o.retryAfterSeconds) details.retryAfterSeconds = o.retryAfterSeconds;
      return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: o.code, reason: o.reason, message: o.message, ...(Object.keys(details).length ? { details } : {}) };
    },
  };
}
