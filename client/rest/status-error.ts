// Kubernetes `Status` failures as Errors whose message reads like kubectl's:
// `Error from server (NotFound): pods "x" not found`.

export interface Status {
  kind?: string;
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason?: string; message?: string; field?: string }[] };
}

export function isStatus(v: unknown): v is Status {
  return typeof v === 'object' && v !== null && (v as Status).kind === 'Status';
}

export class StatusError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly status: Status;

  constructor(status: Status, httpCode?: number) {
    const reason = status.reason ?? '';
    const message = status.message || `the server responded with status ${status.code ?? httpCode}`;
    super(reason ? `Error from server (${reason}): ${message}` : `Error from server: ${message}`);
    this.name = 'StatusError';
    this.code = status.code ?? httpCode ?? 0;
    this.reason = reason;
    this.status = status;
  }
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** A StatusError from an HTTP failure: the body's Status when it is one, else one made up from the code. */
export function statusErrorFrom(httpCode: number, body: unknown): StatusError {
  if (isStatus(body)) return new StatusError(body, httpCode);
  const text = typeof body === 'string' ? body.trim() : body === undefined ? '' : JSON.stringify(body);
  return new StatusError({ kind: 'Status', status: 'Failure', code: httpCode, reason: REASONS[httpCode] ?? '', message: text || `the server responded with status ${httpCode}` }, httpCode);
}

export const isNotFound = (e: unknown): boolean => e instanceof StatusError && e.code === 404;

/** The StatusError of a refused request (an upgrade the server answered with a plain response), once its body is read. */
export function statusErrorOfResponse(res: { statusCode?: number; setEncoding(e: BufferEncoding): unknown; on(ev: 'data', f: (d: string) => void): unknown; on(ev: 'end', f: () => void): unknown }): Promise<StatusError> {
  return new Promise((resolve) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => (body += d));
    res.on('end', () => {
      let parsed: unknown = body;
      try {
        parsed = JSON.parse(body);
      } catch {
        // not a Status
      }
      resolve(statusErrorFrom(res.statusCode ?? 0, parsed));
    });
  });
}
