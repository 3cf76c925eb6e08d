// pods/portforward over WebSocket channels (?ports=80&ports=8080, subprotocol v4.channel.k8s.io or
// portforward.k8s.io), as the kubelet serves it and @kubernetes/client-node speaks it: port i of
// the query has the data channel 2i and the error channel 2i+1 (the first byte of every message);
// the server's first message on each channel is the port number (uint16, little-endian); then
// bytes both ways on the data channel, a failure as text on the error channel. One connection per
// port; the WebSocket closes once every port's connection is done.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { errors } from '@skiff/kernel';
import { StreamEndedError, type PodStream, type PodStreams } from '@skiff/client/api-frontend';
import type { ActiveStreams } from './pod-streams.ts';

export const CHANNEL_PROTOCOLS = ['v4.channel.k8s.io', 'portforward.k8s.io'];

const chosen = new WeakMap<IncomingMessage, string>();
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024, handleProtocols: (_o, req) => chosen.get(req) ?? false });

/** The `ports` query: at least one, each 1-65535 (a 400 otherwise, before the upgrade). */
export function channelPorts(search: string): number[] {
  const q = new URLSearchParams(search);
  const ports = q.getAll('ports').flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean);
  if (ports.length === 0) throw errors.badRequest('query parameter "ports" is required');
  return ports.map((p) => {
    const n = Number(p);
    if (!/^\d+$/.test(p) || n < 1 || n > 65535) throw errors.badRequest(`unable to parse "${p}" as a port: must be between 1 and 65535`);
    return n;
  });
}

interface Target {
  streams: PodStreams;
  nodeName: string;
  namespace: string;
  pod: string;
  uid?: string;
}

const toBuffer = (d: RawData): Buffer => (Buffer.isBuffer(d) ? d : Array.isArray(d) ? Buffer.concat(d) : Buffer.from(d));

/** The WebSocket handshake on an upgrade request; undefined when it failed (ws has answered the client). */
export function upgradeWebSocket(server: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<WebSocket | undefined> {
  return new Promise((resolve) => {
    const failed = () => resolve(undefined);
    socket.once('close', failed);
    server.handleUpgrade(req, socket, head, (w) => {
      socket.off('close', failed);
      resolve(w);
    });
  });
}

export async function serveChannelPortForward(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string, ports: number[], target: Target, active: ActiveStreams): Promise<void> {
  chosen.set(req, protocol);
  const ws = await upgradeWebSocket(wss, req, socket, head);
  if (!ws) return;
  const stop = () => ws.terminate();
  active.add(stop);
  const streams: (PodStream | undefined)[] = [];
  const early: Buffer[][] = ports.map(() => []);
  ws.on('close', () => {
    active.delete(stop);
    for (const s of streams) s?.close();
  });
  const send = (ch: number, data: Uint8Array) =>
    new Promise<void>((resolve) => {
      if (ws.readyState !== ws.OPEN) return resolve();
      const frame = Buffer.allocUnsafe(1 + data.length);
      frame[0] = ch;
      frame.set(data, 1);
      ws.send(frame, { binary: true }, () => resolve());
    });
  ws.on('message', (raw, isBinary) => {
    const b = toBuffer(raw);
    if (!isBinary || b.length < 1) return;
    const ch = b[0]!;
    const i = ch >> 1;
    if (ch % 2 !== 0 || i >= ports.length || b.length === 1) return; // error channels and empty frames carry nothing from the client
    const s = streams[i];
    if (!s) return void early[i]!.push(b.subarray(1));
    s.write(b.subarray(1)).catch((e) => {
      if (!(e instanceof StreamEndedError)) ws.terminate();
    });
    if (s.blocked && !ws.isPaused) {
      ws.pause();
      void s.whenWritable().then(() => ws.resume());
    }
  });
  const portBytes = (p: number) => Buffer.from([p & 0xff, p >> 8]);
  let open = ports.length;
  const done = () => {
    if (--open === 0 && ws.readyState === ws.OPEN) ws.close(1000);
  };
  await Promise.all(ports.map(async (port, i) => {
    await send(2 * i, portBytes(port));
    await send(2 * i + 1, portBytes(port));
    try {
      const s = await target.streams.portForward({ nodeName: target.nodeName, namespace: target.namespace, pod: target.pod, uid: target.uid }, port, {
        onData: (_c, d) => send(2 * i, d),
        onEnd: (end) => {
          const sent = end.error ? send(2 * i + 1, Buffer.from(end.error.message ?? 'port-forward failed')) : Promise.resolve();
          void sent.then(done);
        },
      });
      streams[i] = s;
      if (ws.readyState !== ws.OPEN) return s.close();
      for (const d of early[i]!.splice(0)) void s.write(d).catch(() => {});
    } catch (e) {
      await send(2 * i + 1, Buffer.from(`error forwarding port ${port} to pod ${target.pod}: ${(e as Error).message}`));
      done();
    }
  }));
}
