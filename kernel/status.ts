// Kubernetes `Status` errors. Every failure the kernel reports is a StatusError; the REST API and the
// bus send `err.status` as is, and clients turn it back into a StatusError.

export interface StatusCause {
  /** machine-readable reason, e.g. FieldValueRequired, FieldValueInvalid */
  reason: string;
  message: string;
  /** path of the field, e.g. spec.containers[0].image */
  field?: string;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code: number;
}

export class StatusError extends Error {
  readonly status: Status;
  constructor(status: Status) {
    super(status.message);
    this.name = 'StatusError';
    this.status = status;
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): string {
    return this.status.reason;
  }
}

export function isStatusError(e: unknown): e is StatusError {
  return e instanceof StatusError;
}

function failure(code: number, reason: string, message: string, details?: Status['details']): StatusError {
  const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) status.details = details;
  return new StatusError(status);
}

/** What a kind is called in messages: `pods` or `deployments.apps`. */
export interface Qualified {
  group: string;
  resource: string;
  kind?: string;
}
const qualified = (q: Qualified) => (q.group ? `${q.resource}.${q.group}` : q.resource);

export const errors = {
  badRequest: (message: string) => failure(400, 'BadRequest', message),
  unauthorized: (message = 'Unauthorized') => failure(401, 'Unauthorized', message),
  forbidden: (message: string, details?: Status['details']) => failure(403, 'Forbidden', message, details),
  notFound: (q: Qualified, name: string) =>
    failure(404, 'NotFound', `${qualified(q)} "${name}" not found`, { name, group: q.group, kind: q.resource }),
  /** 404 for a path or kind that is not served at all */
  noSuchResource: (message: string) => failure(404, 'NotFound', message),
  methodNotAllowed: (message: string) => failure(405, 'MethodNotAllowed', message),
  notAcceptable: (message: string) => failure(406, 'NotAcceptable', message),
  alreadyExists: (q: Qualified, name: string) =>
    failure(409, 'AlreadyExists', `${qualified(q)} "${name}" already exists`, { name, group: q.group, kind: q.resource }),
  conflict: (q: Qualified, name: string, why: string) =>
    failure(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(q)} "${name}": ${why}`, {
      name,
      group: q.group,
      kind: q.resource,
    }),
  /** server-side apply's conflicts (kube's NewApplyConflict): a FieldManagerConflict cause per field */
  applyConflict: (message: string, causes: StatusCause[]) => failure(409, 'Conflict', message, { causes }),
  gone: (message: string) => failure(410, 'Expired', message),
  unsupportedMediaType: (message: string) => failure(415, 'UnsupportedMediaType', message),
  invalid: (q: Qualified & { kind: string }, name: string, causes: StatusCause[]) =>
    failure(
      422,
      'Invalid',
      // kube's qualified kind: `Deployment.apps`, `Pod`
      `${q.kind}${q.group ? '.' + q.group : ''} "${name}" is invalid: ` + causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', '),
      { name, group: q.group, kind: q.kind, causes },
    ),
  tooManyRequests: (message: string, retryAfterSeconds = 1) =>
    failure(429, 'TooManyRequests', message, { retryAfterSeconds }),
  internal: (message: string) => failure(500, 'InternalError', message),
  timeout: (message: string, retryAfterSeconds?: number) => failure(504, 'Timeout', message, retryAfterSeconds === undefined ? undefined : { retryAfterSeconds }),
  serviceUnavailable: (message: string, retryAfterSeconds?: number) =>
    failure(503, 'ServiceUnavailable', message, retryAfterSeconds === undefined ? undefined : { retryAfterSeconds }),
  requestEntityTooLarge: (message: string) => failure(413, 'RequestEntityTooLarge', message),
};

/** A Success status, as DELETE of a collection or some subresources answer. */
export function successStatus(details?: Status['details']): Omit<Status, 'code'> & { code: number } {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', message: '', reason: '', details, code: 200 };
}

/** Turn anything thrown into a Status (unknown errors become 500 InternalError). */
export function toStatus(e: unknown): Status {
  if (e instanceof StatusError) return e.status;
  const message = e instanceof Error ? e.message : String(e);
  return errors.internal(message).status;
}
