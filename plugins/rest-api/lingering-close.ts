// Closing a connection without losing the answer. When the server answers before it has read the
// whole request (a 413 for a body over the limit, a 400 for a body it could not parse) it closes
// the connection, and Node closes the socket as soon as the answer is flushed. A client still
// sending its body then gets a TCP reset, and a reset throws away whatever the client had received
// and not yet read: the answer. The fuzzer saw "EPIPE" or "ECONNRESET" instead of the 413 for a
// 5 MiB body. Like Go's net/http (closeWriteAndWait) and Apache's lingering close, the server here
// ends its side after the answer, reads and drops what the client still sends, and closes the socket
// when the client closes its side or after LINGER_MS.
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';

/** How long a closing connection is read (and its input dropped) before the socket is closed. */
export const LINGER_MS = 5_000;

const lingering = new WeakSet<Socket>();
const noop = () => {};

/** End our side now, drop the client's input, close when it ends its side or after `ms`. */
export function linger(socket: Socket, ms = LINGER_MS): void {
  if (socket.destroyed) return;
  if (socket.writable) socket.end();
  if (socket.readableEnded) {
    socket.destroy();
    return;
  }
  if (lingering.has(socket)) return;
  lingering.add(socket);
  socket.on('error', noop); // a client gone meanwhile is no server error
  const timer = setTimeout(() => socket.destroy(), ms);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('end', () => socket.destroy());
  socket.resume();
}

/** Whether the socket is already closing this way (its answer sent). */
export const isLingering = (socket: Socket) => lingering.has(socket);

/**
 * Every connection of `server` closes by lingering: Node's http server closes a connection after
 * a `Connection: close` answer with socket.destroySoon(), which this replaces per socket.
 */
export function installLingeringClose(server: HttpServer | HttpsServer, ms = LINGER_MS): void {
  const patch = (socket: Socket) => {
    socket.destroySoon = function (this: Socket) {
      linger(this, ms);
    };
  };
  // over TLS Node's HTTP layer talks to the TLSSocket of 'secureConnection', not the TCP socket
  server.on('secureConnection' as 'connection', patch);
  server.on('connection', patch);
}
