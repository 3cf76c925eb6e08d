// A lean gRPC client for the benchmarks' open-loop latency: unary Create calls over one node:http2
// TLS session, messages encoded with protobufjs from proto/ (no code of the server's). grpc-js's
// client spends enough of the two cores per call that its own lag is most of the p99 it reports
// (its generator lag p99 was 6-9 ms against a server that does nothing); this client leaves the
// figure to the server. Each call is checked: HTTP 200, grpc-status 0, and an Object with the name
// that was sent.
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { createRequestFrame, skiffProto, type GrpcRef } from './_grpc-wire.ts';

export interface LeanGrpcClient {
  create(ref: GrpcRef, object: { metadata: { name?: string } }): Promise<void>;
  close(): void;
}

export function leanGrpcClient(o: { address: string; ca: string; token: string }): LeanGrpcClient {
  const ObjectMsg = skiffProto().lookupType('skiff.v1.Object');
  const session: ClientHttp2Session = connect(`https://${o.address}`, { ca: o.ca });
  session.on('error', () => {}); // a failed call reports it
  const headers = {
    [constants.HTTP2_HEADER_METHOD]: 'POST',
    [constants.HTTP2_HEADER_PATH]: '/skiff.v1.Objects/Create',
    'content-type': 'application/grpc',
    te: 'trailers',
    authorization: `Bearer ${o.token}`,
  };
  return {
    create: (ref, object) =>
      new Promise<void>((resolve, reject) => {
        const framed = createRequestFrame(ref, object);
        const req = session.request(headers);
        const chunks: Buffer[] = [];
        let status = 0;
        req.on('response', (h) => void (status = Number(h[constants.HTTP2_HEADER_STATUS])));
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('trailers', (t) => {
          const body = Buffer.concat(chunks);
          const grpcStatus = t['grpc-status'];
          if (status !== 200 || grpcStatus !== '0' || body.length < 5) return reject(new Error(`Create: HTTP ${status}, grpc-status ${String(grpcStatus)}: ${String(t['grpc-message'] ?? '')}`));
          const got = JSON.parse(Buffer.from((ObjectMsg.decode(body.subarray(5, 5 + body.readUInt32BE(1))) as unknown as { json: Uint8Array }).json).toString());
          if (got?.metadata?.name !== object.metadata.name) return reject(new Error(`Create answered ${String(got?.metadata?.name)} for ${object.metadata.name}`));
          resolve();
        });
        req.on('error', reject);
        req.end(framed);
      }),
    close: () => session.close(),
  };
}
