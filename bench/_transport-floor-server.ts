// The transport floor of the api benchmark, as a process of its own: an HTTPS server (node:https)
// and a gRPC server (@grpc/grpc-js, the skiff.v1.Objects service loaded from proto/ with
// @grpc/proto-loader) that answer a create the least way possible — the request's JSON parsed, a uid,
// resourceVersion and creationTimestamp set, the object sent back — with no store, no admission and
// no authentication. The benchmark drives it with the same clients, rate and concurrency as Skiff's
// front ends: what is left between the two is Skiff's own; the floor is Node's HTTP/TLS and grpc-js
// on this machine. Prints one JSON line when listening: { https, grpc, ca }.
import { createServer } from 'node:https';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { generateCA, generateServerCert } from '../cli/pki.ts';

const ca = await generateCA();
const serving = await generateServerCert(ca);
let rv = 0;
/** what a create answers: the object as stored, minus the storing */
function created(json: Buffer): Buffer {
  const o = JSON.parse(json.toString());
  o.metadata = { ...o.metadata, uid: crypto.randomUUID(), resourceVersion: String(++rv), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
  return Buffer.from(JSON.stringify(o));
}

const https = createServer({ key: serving.keyPem, cert: serving.certPem }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    let body: Buffer;
    try {
      body = created(Buffer.concat(chunks));
    } catch {
      res.writeHead(400).end();
      return;
    }
    res.writeHead(201, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
// idle connections kept as Skiff's REST server keeps them (DEFAULT_HTTP_TIMEOUTS), not Node's 5 s
https.keepAliveTimeout = 120_000;
await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));

const pkg = grpc.loadPackageDefinition(
  protoLoader.loadSync(['skiff/v1/objects.proto'], { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: false, includeDirs: [join(import.meta.dirname, '..', 'proto')] }),
) as unknown as { skiff: { v1: { Objects: { service: grpc.ServiceDefinition } } } };
const server = new grpc.Server({ 'grpc.enable_channelz': 0 });
const unimplemented = (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb({ code: grpc.status.UNIMPLEMENTED });
server.addService(pkg.skiff.v1.Objects.service, {
  Create(call: grpc.ServerUnaryCall<{ object?: { json: Buffer } }, unknown>, cb: grpc.sendUnaryData<unknown>) {
    try {
      cb(null, { json: created(call.request.object?.json ?? Buffer.alloc(0)) });
    } catch {
      cb({ code: grpc.status.INVALID_ARGUMENT });
    }
  },
  Get: unimplemented,
  List: unimplemented,
  Update: unimplemented,
  Patch: unimplemented,
  Delete: unimplemented,
  Watch: (call: grpc.ServerWritableStream<unknown, unknown>) => call.destroy(Object.assign(new Error('unimplemented'), { code: grpc.status.UNIMPLEMENTED })),
});
const grpcPort = await new Promise<number>((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(serving.keyPem), cert_chain: Buffer.from(serving.certPem) }]), (e, port) => (e ? reject(e) : resolve(port))),
);

console.log(JSON.stringify({ https: (https.address() as { port: number }).port, grpc: grpcPort, ca: ca.certPem }));
process.on('SIGTERM', () => {
  https.close();
  server.forceShutdown();
  process.exit(0);
});
