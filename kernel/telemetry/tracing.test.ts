import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startTestKernel, type TestKernel } from '../testing.ts';
import { createApiServer } from '../../plugins/rest-api/server.ts';
import { setupTelemetry, type Telemetry } from './tracing.ts';

const exporter = new InMemorySpanExporter();
let telemetry: Telemetry;
let t: TestKernel;
let app: FastifyInstance;

beforeAll(async () => {
  telemetry = await setupTelemetry({ exporter, serviceName: 'skiff-test' });
  t = await startTestKernel();
  app = await createApiServer({ kernel: t.kernel });
  await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app?.close();
  await t?.stop();
  await telemetry?.shutdown();
});

it('records a span per API request and per store operation when an exporter is configured', async () => {
  exporter.reset();
  const port = (app.server.address() as { port: number }).port;
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/namespaces/default/configmaps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'traced' } }),
  });
  expect(res.status).toBe(201);
  await t.kernel.get({ group: '', version: 'v1', resource: 'configmaps' }, 'default', 'traced');
  const spans = exporter.getFinishedSpans();
  const names = spans.map((s) => s.name);
  expect(names).toContain('POST /api/*');
  expect(names).toContain('store.create');
  expect(names).toContain('store.get');
  const create = spans.find((s) => s.name === 'store.create')!;
  const request = spans.find((s) => s.name === 'POST /api/*')!;
  expect(create.attributes['skiff.resource']).toBe('configmaps');
  // the store operation is a child of the API request
  expect(create.parentSpanContext?.spanId ?? (create as unknown as { parentSpanId?: string }).parentSpanId).toBe(request.spanContext().spanId);
});
