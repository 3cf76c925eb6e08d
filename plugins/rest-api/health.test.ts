import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerHealth, type HealthCheck } from './health.ts';

async function app(readiness: HealthCheck[], liveness: HealthCheck[] = []) {
  const a = Fastify();
  registerHealth(a, { readiness: async () => readiness, liveness: async () => liveness });
  await a.ready();
  return a;
}

describe('health endpoints', () => {
  it('answer ok while every check passes; ?verbose lists them', async () => {
    const a = await app([{ name: 'store', ok: true }]);
    for (const p of ['/healthz', '/livez', '/readyz']) {
      const r = await a.inject({ url: p });
      expect([r.statusCode, r.body]).toEqual([200, 'ok']);
    }
    const v = await a.inject({ url: '/readyz?verbose' });
    expect(v.statusCode).toBe(200);
    expect(v.body).toBe('[+]ping ok\n[+]store ok\nreadyz check passed\n');
  });

  it('fail /readyz with the reason of each failed check, and leave /livez alone', async () => {
    const a = await app([{ name: 'store', ok: false, message: 'NATS did not answer a ping within 1000 ms' }, { name: 'watch-cache', ok: true }]);
    const r = await a.inject({ url: '/readyz' });
    expect(r.statusCode).toBe(503);
    expect(r.body).toBe('[+]ping ok\n[-]store failed: NATS did not answer a ping within 1000 ms\n[+]watch-cache ok\nreadyz check failed\n');
    expect((await a.inject({ url: '/healthz' })).statusCode).toBe(503);
    expect((await a.inject({ url: '/livez' })).statusCode).toBe(200);
    expect((await a.inject({ url: '/readyz/watch-cache' })).statusCode).toBe(200);
    expect((await a.inject({ url: '/readyz/store' })).statusCode).toBe(503);
    expect((await a.inject({ url: '/readyz/nope' })).statusCode).toBe(404);
  });

  it('fail /livez when a liveness check fails', async () => {
    const a = await app([], [{ name: 'nats-server', ok: false, message: 'down for 61 s' }]);
    const r = await a.inject({ url: '/livez' });
    expect(r.statusCode).toBe(503);
    expect(r.body).toContain('[-]nats-server failed: down for 61 s');
  });
});
