// GET /api/v1/namespaces/{ns}/pods/{name}/log: a container's log from the agent of the pod's node,
// as text/plain, streamed (chunked) as it arrives; with follow=true, until the container stops or
// the client goes away. Query parameters as kube's PodLogOptions: container, follow, previous,
// tailLines, sinceSeconds, sinceTime, timestamps, limitBytes, insecureSkipTLSVerifyBackend
// (accepted, meaningless here).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errors, type StatusCause } from '@skiff/kernel';
import type { LogOptions, PodStream, StreamEnd } from '@skiff/client/api-frontend';
import { asStatus, checkHasLogs, containerStatusOf, podTarget, requirePodStreams, toStatusError, type ActiveStreams, type PodStreamsOptions } from './pod-streams.ts';

type Query = Record<string, string | string[] | undefined>;

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** kube's string -> bool conversion for query parameters: absent false, "false"/"0" false, else true. */
const bool = (q: Query, k: string): boolean => {
  const v = first(q[k]);
  return v !== undefined && !/^(false|0)$/i.test(v);
};

function int(q: Query, k: string): number | undefined {
  const v = first(q[k]);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`invalid value for ${k}: strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i;

/** The query as PodLogOptions: unparseable values are a 400, values out of range a 422 (ValidatePodLogOptions). */
export function logParams(q: Query, podName: string): LogOptions {
  const tailLines = int(q, 'tailLines');
  const limitBytes = int(q, 'limitBytes');
  const sinceSeconds = int(q, 'sinceSeconds');
  const sinceTime = first(q.sinceTime) || undefined;
  if (sinceTime !== undefined && (!RFC3339.test(sinceTime) || Number.isNaN(Date.parse(sinceTime)))) {
    throw errors.badRequest(`invalid value for sinceTime: parsing time "${sinceTime}" as RFC 3339 failed`);
  }
  const causes: StatusCause[] = [];
  const invalid = (field: string, v: unknown, why: string) => causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${JSON.stringify(v)}: ${why}` });
  if (tailLines !== undefined && tailLines < 0) invalid('tailLines', tailLines, 'must be greater than or equal to 0');
  if (limitBytes !== undefined && limitBytes < 1) invalid('limitBytes', limitBytes, 'must be greater than 0');
  if (sinceSeconds !== undefined && sinceSeconds < 1) invalid('sinceSeconds', sinceSeconds, 'must be greater than 0');
  if (sinceSeconds !== undefined && sinceTime !== undefined) {
    causes.push({ reason: 'FieldValueForbidden', field: '', message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified' });
  }
  if (causes.length) throw errors.invalid({ group: '', resource: 'pods', kind: 'PodLogOptions' }, podName, causes);
  return {
    follow: bool(q, 'follow'),
    previous: bool(q, 'previous'),
    timestamps: bool(q, 'timestamps'),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
    ...(sinceTime !== undefined ? { sinceTime } : {}),
  };
}

/** previous=true: the container the pod's status names as the last terminated one, for the agent. */
function previousOf(pod: Parameters<typeof containerStatusOf>[0], container: string, previous: boolean | undefined): { previousContainerId?: string } {
  const id = previous ? containerStatusOf(pod, container)?.lastState?.terminated?.containerID : undefined;
  return typeof id === 'string' && id ? { previousContainerId: id } : {};
}

export async function podLog(o: PodStreamsOptions, req: FastifyRequest, reply: FastifyReply, active: ActiveStreams): Promise<void> {
  const { namespace, name } = req.params as { namespace: string; name: string };
  const q = req.query as Query;
  const params = logParams(q, name);
  const streams = requirePodStreams(o);
  const { pod, container, nodeName } = await podTarget(o.kernel, namespace, name, first(q.container) || undefined);
  if (!params.previous) checkHasLogs(pod, container);

  const res = reply.raw;
  const gone = new AbortController();
  let started = false;
  // headers go with the first bytes (or at once when following), so that a failure before any
  // text is still a Status
  const start = () => {
    if (started) return;
    started = true;
    reply.hijack();
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
  };
  let resolveEnd!: (e: StreamEnd) => void;
  const ended = new Promise<StreamEnd>((r) => (resolveEnd = r));
  const onClose = () => gone.abort();
  res.on('close', onClose);
  let session: PodStream;
  try {
    session = await streams.log(
      { nodeName, namespace, pod: name, uid: pod.metadata.uid, container },
      { ...params, ...previousOf(pod, container, params.previous) },
      {
        // the agent sends the next chunk once this one is in the socket's buffer and it has room
        onData: (_channel, chunk) => {
          start();
          if (res.destroyed || res.write(chunk)) return;
          return new Promise<void>((r) => {
            const done = () => {
              res.off('drain', done);
              res.off('close', done);
              r();
            };
            res.once('drain', done);
            res.once('close', done);
          });
        },
        onEnd: (end) => resolveEnd(end),
      },
      { signal: gone.signal },
    );
  } catch (e) {
    res.off('close', onClose);
    throw toStatusError(e);
  }
  if (params.follow) start();
  const stop = () => {
    session.close(); // the agent stops reading
    if (!res.destroyed && started) res.end();
  };
  active.add(stop);
  if (gone.signal.aborted) stop();
  else gone.signal.addEventListener('abort', stop, { once: true });
  try {
    const end = await ended;
    if (res.destroyed) {
      if (!started) reply.hijack(); // nobody to answer
      return;
    }
    if (end.error && !started) {
      // nothing sent yet: the failure can still be the answer
      reply.code(end.error.code ?? 500).type('application/json').send(asStatus(end.error));
      return;
    }
    start();
    // an error after the first bytes cannot be a Status any more: the response just ends (as kube's does)
    if (end.error) o.onInternalError?.(new Error(`log stream of ${namespace}/${name}/${container} failed: ${end.error.message}`), req);
    res.end();
  } finally {
    active.delete(stop);
    res.off('close', onClose);
  }
}
