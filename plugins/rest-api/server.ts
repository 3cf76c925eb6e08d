// The Kubernetes-compatible REST API: fastify over HTTPS, bearer tokens, discovery, CRUD and watch
// for every kind the kernel serves, and a Kubernetes `Status` for every error.
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { errors, inSpan, isStatusError, tracer as getTracer, type Kernel, type Status } from '@skiff/kernel';
import { coreVersions, groupDoc, groupList, resourceList, VERSION_INFO } from './discovery.ts';
import { aggregatedAccept, aggregatedContentType, aggregatedDiscovery } from './discovery-aggregated.ts';
import { parseResourcePath, requestResourcePath } from './paths.ts';
import { ResourceHandlers } from './resources.ts';
import { KUBERNETES_PROTOBUF } from './protobuf/mod.ts';
import { parseJsonBody, parseProtobufBody, parseYamlBody } from './body-parsers.ts';
import { checkQueryParams } from './query-params.ts';
import { TLS_SERVER_OPTIONS } from './tls-options.ts';
import { clientErrorHandler, failureStatus, methodNotAllowed, SERVED_METHODS, statusOfHttpError, unsupportedEncoding, writeStatusAndClose } from './http-errors.ts';
import { registerPodStreams } from './pod-streams.ts';
import { VersionAliasKernel } from './version-aliases.ts';
import { registerHealth, type HealthProbe } from './health.ts';
import { registerMetrics } from './metrics.ts';
import { OpenApiDocuments } from './openapi/documents.ts';
import { registerOpenApi } from './openapi/routes.ts';
import { FieldValidator, recordDuplicates } from './field-validation.ts';
import { installFlowControl, type FlowControlConfig } from './flow-control.ts';
import { installLingeringClose } from './lingering-close.ts';
import { httpServerOptions, type HttpTimeouts } from './http-timeouts.ts';
import { ANONYMOUS_USER, ApiGate, bearerToken, isSelfReview, nonResourceAttributes, resourceAttributes, restVerb, type Authorizer, type TokenUser, type UserInfo, type PodStreams } from '@skiff/client/api-frontend';

export interface ApiServerOptions {
  kernel: Kernel;
  /** PEM; without it the server speaks plain HTTP (tests only) */
  tls?: { cert: string; key: string };
  /** accepted bearer tokens (a plain string: an admin token); empty or undefined: no authentication */
  tokens?: (string | TokenUser)[];
  /** decides what each user may do (default: everything), or how to find the current authorizer */
  authorizer?: Authorizer | (() => Authorizer | undefined);
  /** largest request body, bytes (default 3 MiB, like kube-apiserver) */
  bodyLimit?: number;
  /** pods' log, exec, attach and port-forward (the PodStreams service, or how to find the current one) */
  podStreams?: PodStreams | (() => PodStreams | undefined);
  /** what /readyz (and /healthz) check besides the process answering: the store, the watch cache */
  readiness?: HealthProbe;
  /** what /livez checks: only what the process cannot recover from on its own */
  liveness?: HealthProbe;
  /** log errors the server did not expect */
  onInternalError?: (err: unknown, req: FastifyRequest) => void;
  /** request budgets and their queues (defaults in flow-control.ts) */
  flowControl?: Partial<FlowControlConfig>;
  /** how long a client may take to send a request (defaults in http-timeouts.ts) */
  timeouts?: Partial<HttpTimeouts>;
  /** watches without timeoutSeconds end after 1 to 2 times this (kube-apiserver's --min-request-timeout; default 1800) */
  minRequestTimeoutSeconds?: number;
}

const ANONYMOUS = new Set(['/healthz', '/livez', '/readyz', '/version']);
const JSON_TYPES = [
  'application/json',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];
const YAML_TYPES = ['application/yaml', 'application/apply-patch+yaml'];

function sendStatus(reply: FastifyReply, status: Status): FastifyReply {
  // 429, 503 and 504 say when to come back, as kube-apiserver's do
  const retryAfter = status.details?.retryAfterSeconds;
  if (retryAfter !== undefined) reply.header('Retry-After', String(retryAfter));
  return reply.code(status.code).type('application/json').send(status);
}

const isAnonymousPath = (path: string) => ANONYMOUS.has(path) || path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/');
/** the routes whose handlers authorize for themselves (they know the resource the path names) */
const RESOURCE_ROUTES = new Set(['/api/*', '/apis/*']);
const POD_LOG_ROUTE = '/api/v1/namespaces/:namespace/pods/:name/log';

export async function createApiServer(opts: ApiServerOptions): Promise<FastifyInstance> {
  const bodyLimit = opts.bodyLimit ?? 3 * 1024 * 1024;
  const http = httpServerOptions(opts.timeouts);
  const app = Fastify({
    ...(opts.tls ? { https: { key: opts.tls.key, cert: opts.tls.cert, ...TLS_SERVER_OPTIONS, ...http.node } } : { http: http.node }),
    ...http.fastify,
    bodyLimit,
    logger: false,
    // errors before a request exists (malformed, unknown method, 431, 408) and router errors
    // (bad URL encoding) are Statuses too: http-errors.ts
    clientErrorHandler,
    frameworkErrors: (err: FastifyError, _req: FastifyRequest, reply: FastifyReply) => sendStatus(reply, statusOfHttpError(err, bodyLimit)),
    return503OnClosing: false,
    // kube paths carry names with dots and colons; keep them as they are
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
  } as never) as unknown as FastifyInstance;
  // CONNECT is not a request Node routes: without a listener it would drop the connection unanswered
  app.server.on('connect', (_req, socket) => writeStatusAndClose(socket as never, failureStatus(405, 'the server does not allow CONNECT')));
  // a connection closed after an answer is read a little longer, so the answer is not lost to a reset
  installLingeringClose(app.server);
  // the kernel, plus the versions served by conversion (autoscaling/v1 HorizontalPodAutoscaler)
  const kernel = new VersionAliasKernel(opts.kernel);
  // OpenAPI of the kinds' schemas (kubectl explain, kubectl's validation), and what fieldValidation checks bodies against
  const openapi = new OpenApiDocuments(kernel, VERSION_INFO.gitVersion);
  const handlers = new ResourceHandlers(kernel, new FieldValidator(openapi), opts.minRequestTimeoutSeconds);
  const tracer = getTracer('skiff-rest-api');
  // authentication and authorization: the front-end kit's gate (client/api-frontend), as gRPC's
  const gate = new ApiGate({ tokens: opts.tokens, authorizer: opts.authorizer });
  const users = new WeakMap<FastifyRequest, UserInfo>();
  const userOf = (req: FastifyRequest): UserInfo => users.get(req) ?? ANONYMOUS_USER;

  app.removeAllContentTypeParsers();
  // body-parsers.ts: every failure a 400 Status, nesting depth and YAML aliases bounded
  const parsed = (parse: () => unknown, done: (err: Error | null, body?: unknown) => void) => {
    let v: unknown;
    try {
      v = parse();
    } catch (e) {
      return done(e as Error, undefined);
    }
    done(null, v);
  };
  // writes that validate fields (fieldValidation Warn, the default, or Strict) also look for duplicate keys
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'string' }, (req, body, done) => parsed(() => recordDuplicates(req, parseJsonBody(body as string), body as string, 'json'), done));
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (req, body, done) => parsed(() => recordDuplicates(req, parseYamlBody(body as string, true), body as string, 'yaml'), done));
  // kubectl's typed clients (create namespace/configmap/deployment..., run, expose) send protobuf
  // a kind that is not served is a 404 before its body is read (a 415 for the body would hide it)
  app.addContentTypeParser(KUBERNETES_PROTOBUF, { parseAs: 'buffer' }, (req, body, done) =>
    parsed(() => {
      const kinds = kernel.kinds();
      const path = parseResourcePath(req.url, kinds);
      if (path?.resource !== undefined) {
        const kind = kinds.find((k) => k.group === path.group && k.version === path.version && k.resource === path.resource);
        // (namespaces/x/<a resource not served> reads as a subresource of a namespace: not one either)
        if (!kind || (path.subresource && !kind.subresources.includes(path.subresource))) throw errors.noSuchResource('the server could not find the requested resource');
      }
      return parseProtobufBody(body as Buffer);
    }, done),
  );
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
    if ((body as Buffer).length === 0) return done(null, undefined);
    // no Content-Type at all (kubectl 1.20's typed clients): JSON, as kube-apiserver assumes
    if (!req.headers['content-type']) return parsed(() => { const text = (body as Buffer).toString('utf8'); return recordDuplicates(req, parseJsonBody(text), text, 'json'); }, done);
    done(errors.unsupportedMediaType(`the body of the request was in an unknown format (${req.headers['content-type']}) - accepted media types include: ${[...JSON_TYPES, ...YAML_TYPES].join(', ')}`), undefined);
  });

  app.addHook('onRequest', async (req, reply) => {
    const user = gate.authenticator.authenticate(bearerToken(req.headers.authorization));
    if (user) return void users.set(req, user);
    // health and version answer anybody, as kube's system:public-info-viewer
    if (isAnonymousPath(req.url.split('?')[0]!)) return void users.set(req, ANONYMOUS_USER);
    return sendStatus(reply, errors.unauthorized().status);
  });
  // every request is authorized before it is served: the catch-all resource routes in dispatch
  // (they know the kind the path names), pods/log here, every other route as a non-resource path
  app.addHook('preHandler', async (req) => {
    const route = req.routeOptions.url ?? '';
    if (RESOURCE_ROUTES.has(route)) return;
    if (route === POD_LOG_ROUTE) {
      const p = req.params as { namespace: string; name: string };
      return gate.authorize(resourceAttributes(userOf(req), 'get', { group: '', version: 'v1', resource: 'pods', namespace: p.namespace, name: p.name, subresource: 'log' }));
    }
    return gate.authorize(nonResourceAttributes(userOf(req), req.method, req.url.split('?')[0]!));
  });
  app.addHook('onRequest', async (req, reply) => {
    const bad = unsupportedEncoding(req.headers['content-encoding']);
    if (bad) return sendStatus(reply, bad);
  });

  installFlowControl(app, () => kernel.kinds(), opts.flowControl);

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isStatusError(err)) return sendStatus(reply, err.status);
    const code = err.statusCode ?? 500;
    if (code >= 400 && code < 500) return sendStatus(reply, statusOfHttpError(err, bodyLimit));
    opts.onInternalError?.(err, req);
    return sendStatus(reply, errors.internal(err.message).status);
  });
  app.setNotFoundHandler((req, reply) => !SERVED_METHODS.has(req.method) ? methodNotAllowed(reply, req.method) : sendStatus(reply, errors.noSuchResource(`the server could not find the requested resource (${req.method} ${req.url.split('?')[0]})`).status));

  registerHealth(app, { readiness: opts.readiness, liveness: opts.liveness });
  registerMetrics(app, () => kernel.kinds());
  app.get('/version', async () => VERSION_INFO);
  registerOpenApi(app, openapi);
  // aggregated discovery when the client asks for it (kubectl ≥ 1.26), the plain documents otherwise
  const discoveryRoot = (core: boolean) => async (req: FastifyRequest, reply: FastifyReply) => {
    reply.header('vary', 'Accept');
    const v = aggregatedAccept(req.headers.accept);
    if (!v) return core ? coreVersions() : groupList(kernel.kinds());
    reply.header('content-type', aggregatedContentType(v));
    return JSON.stringify(aggregatedDiscovery(kernel.kinds(), core, v));
  };
  app.get('/api', discoveryRoot(true));
  app.get('/apis', discoveryRoot(false));

  const dispatch = async (req: FastifyRequest, reply: FastifyReply) => {
    return inSpan(tracer, `${req.method} ${req.routeOptions.url ?? ''}`, { 'http.method': req.method, 'http.target': req.url }, async () => {
      checkQueryParams(req.query, req.method);
      const kinds = kernel.kinds();
      const path = requestResourcePath(req, kinds);
      if (!path) throw errors.noSuchResource('the server could not find the requested resource');
      const user = userOf(req);
      if (path.resource === undefined) {
        await gate.authorize(nonResourceAttributes(user, req.method, req.url.split('?')[0]!));
        if (req.method !== 'GET') throw errors.methodNotAllowed(`method ${req.method} is not allowed on ${req.url}`);
        const doc = resourceList(kinds, path.group, path.version);
        if (!doc) throw errors.noSuchResource(`the server could not find the requested resource (${req.url})`);
        return doc;
      }
      if (!kinds.some((k) => k.group === path.group && k.version === path.version && k.resource === path.resource)) {
        throw errors.noSuchResource(`the server could not find the requested resource (${path.resource}${path.group ? '.' + path.group : ''})`);
      }
      // "may I?" reviews are answered here, for this user (never stored; other verbs: the kernel's 405)
      if (req.method === 'POST' && path.name === undefined && path.namespace === undefined && isSelfReview(path.group, path.resource)) {
        reply.code(201);
        return gate.selfReview(user, path.resource, req.body);
      }
      const watch = (req.query as Record<string, unknown>).watch;
      const verb = restVerb(req.method, path.name !== undefined, watch === 'true' || watch === '1');
      await gate.authorize(resourceAttributes(user, verb, path as typeof path & { resource: string }));
      return handlers.handle(path as typeof path & { resource: string }, req, reply);
    });
  };
  app.get('/apis/:group', async (req) => {
    const doc = groupDoc(kernel.kinds(), (req.params as { group: string }).group);
    if (!doc) throw errors.noSuchResource(`the server could not find the requested resource`);
    return doc;
  });
  registerPodStreams(app, { kernel, podStreams: typeof opts.podStreams === 'function' ? opts.podStreams : () => opts.podStreams as PodStreams | undefined, gate, onInternalError: (e, r) => opts.onInternalError?.(e, r as FastifyRequest) });
  for (const prefix of ['/api/*', '/apis/*']) app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: prefix, handler: dispatch });
  return app;
}
