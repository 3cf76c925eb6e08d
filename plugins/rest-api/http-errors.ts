// Errors of the HTTP layer itself, answered as Kubernetes `Status` objects like every other error:
// what Node's parser refuses before a request exists (a malformed request line, an unknown method,
// headers over the limit, a client too slow to send its request), what fastify's router and body
// handling raise (bad URL encoding, a body over the limit), and methods no route serves.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply } from 'fastify';
import { errors, type Status } from '@skiff/kernel';
import { isLingering, linger } from './lingering-close.ts';

/** Kubernetes' reasons where it has one; a plain name of the HTTP status otherwise. */
const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  408: 'Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  414: 'RequestURITooLong',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  431: 'RequestHeaderFieldsTooLarge',
  500: 'InternalError',
  501: 'NotImplemented',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function failureStatus(code: number, message: string): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: REASONS[code] ?? (STATUS_CODES[code] ?? 'Unknown').replace(/[^A-Za-z]/g, ''), code };
}

/** The Status of an error that carries an HTTP status code but is not a StatusError (fastify's, Node's). */
export function statusOfHttpError(err: { statusCode?: number; code?: string; message?: string }, bodyLimit: number): Status {
  const code = err.statusCode ?? 500;
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return failureStatus(413, `Request entity too large: limit is ${bodyLimit}`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return failureStatus(415, `unsupported media type: ${err.message ?? ''}`);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return failureStatus(400, 'the request body does not match its Content-Length');
    case 'FST_ERR_BAD_URL':
      return failureStatus(400, `the request path is not a valid URL (bad percent-encoding): ${err.message ?? ''}`);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return failureStatus(414, 'the request path is too long');
  }
  return failureStatus(code, err.message || STATUS_CODES[code] || 'error');
}

/** Errors Node's HTTP parser raises before a request exists (fastify's `clientErrorHandler`). */
export function clientErrorStatus(err: NodeJS.ErrnoException): Status {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return failureStatus(408, 'the request was not received in time');
    case 'HPE_HEADER_OVERFLOW':
      return failureStatus(431, 'the request headers are too large');
    case 'HPE_INVALID_METHOD':
      return failureStatus(405, 'the request method is not supported');
    case 'HPE_URI_TOO_LONG':
      return failureStatus(414, 'the request URI is too long');
    default:
      return failureStatus(400, `malformed HTTP request${err.code ? ` (${err.code})` : ''}`);
  }
}

/**
 * Write a Status on a raw socket and close it: the connection cannot carry another request. The
 * close lingers (lingering-close.ts): closing a socket with unread input resets the connection,
 * and the client (over TLS especially) would see ECONNRESET instead of the answer.
 */
export function writeStatusAndClose(socket: Socket, status: Status): void {
  if (!socket.writable) {
    // already answered and closing (a parse error in what a client sent after its request): the
    // linger closes it; destroying it now would reset the connection before the answer is read
    if (isLingering(socket)) return;
    socket.destroy();
    return;
  }
  const body = JSON.stringify(status);
  socket.write(`HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  linger(socket);
}

export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  // a reset connection has nobody to answer (as fastify's own handler does)
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  writeStatusAndClose(socket, clientErrorStatus(err));
}

/** The methods the API routes take; any other method on a path is a 405, as go-restful answers. */
export const SERVED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

export function methodNotAllowed(reply: FastifyReply, method: string): FastifyReply {
  const s = errors.methodNotAllowed(`the server does not allow this method on the requested resource (${method})`).status;
  return reply.code(405).type('application/json').send(s);
}

/** Content-Encoding of a request body: only identity (kube-apiserver decodes no compressed bodies). */
export function unsupportedEncoding(header: string | string[] | undefined): Status | undefined {
  if (header === undefined) return undefined;
  const v = (Array.isArray(header) ? header.join(',') : header).trim().toLowerCase();
  if (v === '' || v === 'identity') return undefined;
  return errors.unsupportedMediaType(`unsupported Content-Encoding "${v.slice(0, 100)}" of the request body: send it uncompressed`).status;
}
