// /healthz, /livez and /readyz as kube-apiserver answers them: `ok` when every check passes,
// otherwise the list of checks (`[+]name ok` / `[-]name failed: why`) and a failure status; with
// `?verbose` the list either way; `/readyz/<check>` for one check. /readyz fails while the store is
// unreachable or the watch cache is behind, so a load balancer stops sending requests that would
// only get 503s; /livez fails only when the process cannot recover on its own.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface HealthCheck {
  name: string;
  ok: boolean;
  message?: string;
}

export type HealthProbe = () => Promise<HealthCheck[]>;

export interface HealthProbes {
  readiness?: HealthProbe;
  liveness?: HealthProbe;
}

const ping: HealthProbe = async () => [{ name: 'ping', ok: true }];

export function registerHealth(app: FastifyInstance, probes: HealthProbes): void {
  const endpoints: [string, HealthProbe][] = [
    ['/healthz', combine(ping, probes.readiness)],
    ['/livez', combine(ping, probes.liveness)],
    ['/readyz', combine(ping, probes.readiness)],
  ];
  for (const [path, probe] of endpoints) {
    app.get(path, (req, reply) => answer(req, reply, path, probe, undefined));
    app.get(`${path}/:check`, (req, reply) => answer(req, reply, path, probe, (req.params as { check: string }).check));
  }
}

function combine(...probes: (HealthProbe | undefined)[]): HealthProbe {
  return async () => (await Promise.all(probes.filter((p): p is HealthProbe => !!p).map((p) => p()))).flat();
}

async function answer(req: FastifyRequest, reply: FastifyReply, path: string, probe: HealthProbe, only: string | undefined) {
  let checks = await probe().catch((e: Error) => [{ name: 'probe', ok: false, message: e.message }]);
  if (only !== undefined) {
    checks = checks.filter((c) => c.name === only);
    if (checks.length === 0) return reply.code(404).type('text/plain').send(`no such health check: ${only}\n`);
  }
  const ok = checks.every((c) => c.ok);
  const verbose = (req.query as Record<string, unknown>).verbose !== undefined;
  reply.header('Cache-Control', 'no-cache, private').header('X-Content-Type-Options', 'nosniff').type('text/plain; charset=utf-8');
  if (ok && !verbose) return reply.code(200).send('ok');
  const what = path.slice(1);
  const lines = checks.map((c) => (c.ok ? `[+]${c.name} ok` : `[-]${c.name} failed: ${c.message ?? 'reason withheld'}`));
  lines.push(ok ? `${what} check passed` : `${what} check failed`);
  return reply.code(ok ? 200 : 503).send(lines.join('\n') + '\n');
}
