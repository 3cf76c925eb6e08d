// Test support: HTTP backends at addresses an EndpointSlice may hold. The API refuses loopback
// endpoints (as kube does), so the backends run in a network namespace the test creates, joined to
// this one by a veth pair on a /24 of 198.18.0.0/15 (the benchmarking range, RFC 2544); the test
// process reaches them over the veth, nothing leaves the machine. `delete()` removes the namespace
// (and with it the veth pair); backends are stopped by the PID this test started.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { request as httpsRequest } from 'node:https';

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 20_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message} ${stderr}`)) : resolve(stdout)));
  });
}

export interface BackendSpec {
  name: string;
  /** one of the namespace's addresses (`net.addr(i)`) */
  host: string;
  port: number;
}

// Each backend answers with its name, the request's path and headers; `?ms=N` delays the answer.
// An Upgrade request gets a 101 and its bytes echoed.
const SERVER = `
const http = require('node:http');
const specs = JSON.parse(process.argv[1]);
let up = 0;
for (const s of specs) {
  const srv = http.createServer((req, res) => {
    const ms = Number(new URL(req.url, 'http://x').searchParams.get('ms') || 0);
    const body = JSON.stringify({ backend: s.name, path: req.url, headers: req.headers }) + '\\n';
    setTimeout(() => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(body); }, ms);
  });
  // an upgrade (WebSocket handshake) gets a 101 and an echo of what follows
  srv.on('upgrade', (req, sock) => {
    sock.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nX-Backend: ' + s.name + '\\r\\n\\r\\n');
    sock.pipe(sock);
  });
  srv.keepAliveTimeout = 30000;
  srv.listen(s.port, s.host, () => { if (++up === specs.length) console.log('listening'); });
}
`;

export class BackendNet {
  private readonly children: ChildProcess[] = [];

  private constructor(
    readonly ns: string,
    /** the /24's third octet */
    private readonly octet: number,
  ) {}

  /** A namespace with `addresses` addresses (198.18.N.2, .3, ...) reachable from here. */
  static async create(addresses = 3): Promise<BackendNet> {
    const tag = randomBytes(3).toString('hex');
    const octet = randomBytes(1)[0]!;
    const net = new BackendNet(`sking-${tag}`, octet);
    const host = `vig${tag}`;
    const peer = `vip${tag}`;
    await run('ip', ['netns', 'add', net.ns]);
    try {
      await run('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
      await run('ip', ['link', 'set', peer, 'netns', net.ns]);
      await run('ip', ['addr', 'add', `198.18.${octet}.1/24`, 'dev', host]);
      await run('ip', ['link', 'set', host, 'up']);
      await run('ip', ['netns', 'exec', net.ns, 'ip', 'link', 'set', 'lo', 'up']);
      for (let i = 0; i < addresses; i++) await run('ip', ['netns', 'exec', net.ns, 'ip', 'addr', 'add', `${net.addr(i)}/24`, 'dev', peer]);
      await run('ip', ['netns', 'exec', net.ns, 'ip', 'link', 'set', peer, 'up']);
    } catch (e) {
      await net.delete();
      throw e;
    }
    return net;
  }

  /** The i-th backend address (198.18.N.(2+i)). */
  addr(i: number): string {
    return `198.18.${this.octet}.${2 + i}`;
  }

  /** Start HTTP backends in the namespace (one process); resolves when all listen. */
  start(specs: BackendSpec[]): Promise<{ stop(): void }> {
    const child = spawn('ip', ['netns', 'exec', this.ns, process.execPath, '-e', SERVER, JSON.stringify(specs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    const stop = () => {
      if (child.exitCode === null && child.signalCode === null && child.pid) child.kill('SIGKILL');
    };
    return new Promise((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`backends did not start: ${err}`)), 15_000);
      child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
      child.stdout!.on('data', (b: Buffer) => {
        if (b.toString().includes('listening')) {
          clearTimeout(timer);
          resolve({ stop });
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`backends exited (${code}): ${err}`));
      });
    });
  }

  async delete(): Promise<void> {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null && c.pid) c.kill('SIGKILL');
    await run('ip', ['netns', 'delete', this.ns]).catch(() => {});
  }
}

export interface Reply {
  status: number;
  body: string;
  json?: { backend: string; path: string; headers: Record<string, string> };
  /** the certificate's subject CN (HTTPS) */
  cn?: string;
}

/** One request through the proxy (HTTP, or HTTPS with `servername` for SNI; certificates not verified). */
export function get(port: number, path: string, opts: { host?: string; https?: boolean; servername?: string; timeoutMs?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const o = { host: '127.0.0.1', port, path, headers: opts.host ? { host: opts.host } : {}, agent: false as const, timeout: opts.timeoutMs ?? 10_000 };
    const cb = (res: import('node:http').IncomingMessage) => {
      const cert = (res.socket as import('node:tls').TLSSocket).getPeerCertificate?.();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        let json: Reply['json'];
        try {
          json = JSON.parse(body) as Reply['json'];
        } catch {
          /* not a backend's answer */
        }
        const cn = cert?.subject?.CN;
        resolve({ status: res.statusCode ?? 0, body, json, cn: Array.isArray(cn) ? cn[0] : cn });
      });
    };
    const req = opts.https ? httpsRequest({ ...o, servername: opts.servername ?? '', rejectUnauthorized: false }, cb) : request(o, cb);
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** A WebSocket-style upgrade through the proxy: the 101's head, then what `message` echoes back. */
export function upgrade(port: number, host: string, message: string): Promise<{ head: string; echo: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let buf = '';
    let head: string | undefined;
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`upgrade timed out: ${JSON.stringify(buf)}`))), 5_000);
    s.on('connect', () => s.write(`GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`));
    s.on('data', (b: Buffer) => {
      buf += b.toString();
      if (head === undefined) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        if (!head.startsWith('HTTP/1.1 101')) return void (clearTimeout(timer), s.destroy(), resolve({ head, echo: '' }));
        s.write(message);
      }
      if (buf.length >= message.length) {
        clearTimeout(timer);
        s.destroy();
        resolve({ head, echo: buf });
      }
    });
    s.on('error', (e) => (clearTimeout(timer), reject(e)));
  });
}
