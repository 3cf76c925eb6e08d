// GET /openapi/v2 (JSON, or protobuf for kubectl's discovery client), /openapi/v3 (the list of
// group-versions) and /openapi/v3/<group-version>, with ETags and 304s as kube-apiserver serves them;
// a group-version asked for with the ?hash= of its current document is immutable (kubectl caches it
// for good), an outdated hash is redirected to the current one.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '@skiff/kernel';
import { discoveryV3, type OpenApiDocuments, type Served } from './documents.ts';
import { OPENAPI_V2_PROTOBUF, OPENAPI_V2_PROTOBUF_ACCEPT } from './v2-proto.ts';

const YEAR_MS = 365 * 24 * 3600 * 1000;


/** If-None-Match naming the ETag: 304, no body. */
function send(req: FastifyRequest, reply: FastifyReply, doc: Served, type: string): FastifyReply {
  const etag = `"${doc.hash}"`;
  reply.header('ETag', etag).header('Vary', 'Accept');
  const inm = req.headers['if-none-match'];
  if (typeof inm === 'string' && inm.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}`)) return reply.code(304).send();
  return reply.code(200).header('content-type', type).send(doc.body);
}

export function registerOpenApi(app: FastifyInstance, docs: OpenApiDocuments): void {
  app.get('/openapi/v2', async (req, reply) => {
    const d = await docs.get();
    const accept = String(req.headers.accept ?? '');
    // com.github.proto-openapi.spec.v2@v1.0+protobuf, or .v2.v1.0+protobuf
    if (accept.includes(OPENAPI_V2_PROTOBUF_ACCEPT)) return send(req, reply, d.v2proto(), OPENAPI_V2_PROTOBUF);
    return send(req, reply, d.v2json(), 'application/json');
  });
  app.get('/openapi/v3', async (_req, reply) => {
    const d = await docs.get();
    return reply.code(200).type('application/json').header('Cache-Control', 'no-cache, private').send(discoveryV3(d));
  });
  app.get('/openapi/v3/*', async (req, reply) => {
    const gv = (req.params as { '*': string })['*'].replace(/\/+$/, '');
    const d = await docs.get();
    const doc = d.v3.get(gv);
    if (!doc) throw errors.noSuchResource(`the server could not find the requested resource (openapi v3 of ${gv})`);
    const hash = (req.query as Record<string, unknown>).hash;
    if (typeof hash === 'string' && hash !== '') {
      if (hash !== doc.hash) return reply.redirect(`/openapi/v3/${gv}?hash=${doc.hash}`, 301);
      reply.header('Cache-Control', 'public, immutable').header('Expires', new Date(Date.now() + YEAR_MS).toUTCString());
    } else {
      reply.header('Cache-Control', 'no-cache, private');
    }
    return send(req, reply, doc, 'application/json');
  });
}
