// The proxy's listeners: an HTTP and an HTTPS server forwarding with http-proxy-3 to the backend the
// current route table picks. The table is one reference swapped whole (setTable); a request reads it
// once when it arrives, so requests in flight finish against the backends they started with, and the
// servers are never restarted for a routing change. TLS certificates are picked per connection by
// SNI from the same table, else the default certificate.
//
// A connect failure (refused, unreachable, a connect timeout; a reset of a reused keep-alive socket)
// is retried on another endpoint of the same backend when the request has no body (its body would
// have been consumed by the failed attempt). Backends get X-Forwarded-For (appended), -Proto, -Host
// and -Port (set: this proxy is the edge).
//
// The listening servers are shared by address across ProxyServers of the process (listeners.ts):
// a hot-reloaded plugin takes them over, and the old version's requests in flight finish on it.
import { Agent, createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { createProxyServer } from 'http-proxy-3';
import { endpointKey, type BackendPool, type Endpoint } from './backends.ts';
import { acquireListener, type ListenerLease, type ListenerOwner } from './listeners.ts';
import { certFor, emptyTable, match, type RouteTable } from './route-table.ts';
import type { CertAndKey } from './self-signed.ts';

export interface Listen {
  host: string;
  port: number;
}

export interface ProxyServerOptions {
  http?: Listen;
  https?: Listen;
  /** served when no Ingress gives a host a certificate (and to clients without SNI) */
  defaultCert: CertAndKey;
  /** give up connecting to an endpoint after this long (then try another) */
  connectTimeoutMs?: number;
  /** a backend's response must start within this long, else 504 */
  responseTimeoutMs?: number;
  /** endpoints tried per request at most */
  maxAttempts?: number;
  /** a request served (for figures) */
  onRequest?(status: number): void;
}

const RETRIABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ECONNTIMEOUT']);
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'upgrade'];

interface Attempt {
  reused: boolean;
}

export class ProxyServer {
  private table: RouteTable = emptyTable();
  private readonly agent = new Agent({ keepAlive: true, maxFreeSockets: 256, scheduling: 'lifo' });
  private readonly proxy = createProxyServer({ agent: this.agent, ws: true });
  private readonly attempts = new WeakMap<IncomingMessage, Attempt>();
  private readonly leases: ListenerLease[] = [];
  /** requests and upgraded connections being proxied by this instance */
  private inFlight = 0;
  private idle?: () => void;
  private readonly defaultContext: SecureContext;
  private readonly connectTimeoutMs: number;
  private readonly responseTimeoutMs: number;
  private readonly maxAttempts: number;
  private closed = false;
  /** what the listening servers call (shared by both protocols) */
  private readonly owner: ListenerOwner = {
    request: (req, res) => this.handle(req, res, (req.socket as TLSSocket).encrypted === true ? 'https' : 'http'),
    upgrade: (req, socket, head) => this.upgrade(req, socket, head),
    sni: (name) => certFor(this.table, name) ?? this.defaultContext,
  };

  constructor(private readonly opts: ProxyServerOptions) {
    this.defaultContext = createSecureContext({ cert: opts.defaultCert.certPem, key: opts.defaultCert.keyPem });
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 2_000;
    this.responseTimeoutMs = opts.responseTimeoutMs ?? 60_000;
    this.maxAttempts = opts.maxAttempts ?? 3;
    this.proxy.on('proxyReq', (proxyReq, req, _res, _o, socket) => {
      this.attempts.set(req, { reused: proxyReq.reusedSocket });
      // the backend goes quiet this long (no response, or a stalled one): 504, as nginx's proxy_read_timeout
      proxyReq.setTimeout(this.responseTimeoutMs, () => proxyReq.destroy(Object.assign(new Error(`no answer within ${this.responseTimeoutMs} ms`), { code: 'ERESPONSETIMEOUT' })));
      if (!socket.connecting) return;
      const t = setTimeout(() => proxyReq.destroy(Object.assign(new Error(`connect timeout after ${this.connectTimeoutMs} ms`), { code: 'ECONNTIMEOUT' })), this.connectTimeoutMs);
      socket.once('connect', () => clearTimeout(t));
      proxyReq.once('close', () => clearTimeout(t));
    });
    // errors without a callback (none expected: every call passes one); never crash the process
    this.proxy.on('error', () => {});
  }

  /** Swap the route table (atomic: one reference). */
  setTable(table: RouteTable): void {
    this.table = table;
  }

  get currentTable(): RouteTable {
    return this.table;
  }

  /** Start listening (or take over this process's servers on the same addresses); resolves with the bound addresses. */
  async listen(): Promise<{ http?: AddressInfo; https?: AddressInfo }> {
    const out: { http?: AddressInfo; https?: AddressInfo } = {};
    if (this.opts.http) out.http = await this.listenOn('http');
    if (this.opts.https) out.https = await this.listenOn('https');
    return out;
  }

  /** Listen for one protocol, where the options say (or take over this process's server there). */
  async listenOn(proto: 'http' | 'https'): Promise<AddressInfo> {
    const at = this.opts[proto];
    if (!at) throw new Error(`no ${proto} address configured`);
    const lease =
      proto === 'http'
        ? await acquireListener('http', at.host, at.port, this.owner, (current) => {
            const s = createServer((req, res) => current().request(req, res));
            s.on('upgrade', (req, socket, head) => current().upgrade(req, socket as Socket, head));
            return s;
          })
        : await acquireListener('https', at.host, at.port, this.owner, (current) => {
            const { keyPem, certPem } = this.opts.defaultCert;
            const s = createHttpsServer({ key: keyPem, cert: certPem, SNICallback: (name, cb) => cb(null, current().sni!(name)) }, (req, res) => current().request(req, res));
            s.on('upgrade', (req, socket, head) => current().upgrade(req, socket as Socket, head));
            s.on('tlsClientError', () => {}); // a client that gives up on the handshake
            return s;
          });
    if (this.closed) {
      // closed while binding: let go at once
      await lease.release(0);
      throw new Error(`the ${proto} server was closed`);
    }
    this.leases.push(lease);
    return lease.address;
  }

  /** Let go of the servers (the last holder closes them); requests in flight get `graceMs` to finish. */
  async close(graceMs = 5_000): Promise<void> {
    this.closed = true;
    await Promise.all(this.leases.splice(0).map((l) => l.release(graceMs)));
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.idle = () => (clearTimeout(timer), resolve());
      });
    }
    this.agent.destroy();
    this.proxy.close();
  }

  private track(done: { once(ev: 'close', f: () => void): unknown }): void {
    this.inFlight++;
    done.once('close', () => {
      if (--this.inFlight === 0) this.idle?.();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse, proto: 'http' | 'https'): void {
    const table = this.table; // this request's table, whatever happens to the current one
    this.track(res);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const m = match(table, req.headers.host, q < 0 ? url : url.slice(0, q));
    const onRequest = this.opts.onRequest;
    if (onRequest) res.once('finish', () => onRequest(res.statusCode));
    if (!m) return this.reply(res, 404, 'default backend - 404');
    forwardedHeaders(req, proto);
    for (const h of HOP_BY_HOP) delete req.headers[h];
    this.forward(req, res, m.backend, new Set(), 1);
  }

  private forward(req: IncomingMessage, res: ServerResponse, pool: BackendPool, tried: Set<string>, attempt: number, lastError?: string): void {
    const ep = pool.pick(tried);
    if (!ep) return this.reply(res, tried.size ? 502 : 503, tried.size ? `no endpoint could be reached (last: ${lastError})` : (pool.unavailable ?? 'no endpoint available'));
    tried.add(endpointKey(ep));
    this.proxy.web(req, res, { target: targetUrl(ep) }, (err) => {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (res.headersSent) return void res.destroy();
      if (res.destroyed || req.socket.destroyed) return; // the client went away (req.destroyed only says its body was read)
      const reused = this.attempts.get(req)?.reused ?? false;
      const retriable = RETRIABLE.has(code) || (reused && (code === 'ECONNRESET' || code === 'EPIPE') && IDEMPOTENT.has(req.method ?? ''));
      if (retriable && attempt < this.maxAttempts && hasNoBody(req)) return this.forward(req, res, pool, tried, attempt + 1, `${endpointKey(ep)}: ${code}`);
      if (code === 'ERESPONSETIMEOUT') return this.reply(res, 504, `backend ${endpointKey(ep)}: ${(err as Error).message}`);
      this.reply(res, 502, `backend ${endpointKey(ep)}: ${code || (err as Error).message}`);
    });
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const tls = (socket as TLSSocket).encrypted === true;
    const m = match(this.table, req.headers.host, (req.url ?? '/').split('?')[0]!);
    const ep = m?.backend.pick();
    if (!ep) return void socket.end(`HTTP/1.1 ${m ? 503 : 404} ${m ? 'Service Unavailable' : 'Not Found'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    forwardedHeaders(req, tls ? 'https' : 'http');
    this.track(socket);
    this.proxy.ws(req, socket, head, { target: targetUrl(ep) }, () => socket.destroy());
  }

  private reply(res: ServerResponse, status: number, message: string): void {
    if (res.headersSent) return void res.destroy();
    const body = `${message}\n`;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }
}

const targetUrl = (ep: Endpoint): string => `http://${endpointKey(ep)}`;

function hasNoBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return !req.headers['transfer-encoding'] && (len === undefined || len === '0');
}

function forwardedHeaders(req: IncomingMessage, proto: 'http' | 'https'): void {
  const client = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  req.headers['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${client}` : client;
  req.headers['x-forwarded-proto'] = proto;
  req.headers['x-forwarded-host'] = req.headers.host ?? '';
  req.headers['x-forwarded-port'] = String(req.socket.localPort ?? '');
  req.headers['x-real-ip'] = client;
}
