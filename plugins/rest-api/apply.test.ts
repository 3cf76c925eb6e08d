// PATCH with application/apply-patch+yaml (server-side apply) and the field managers of writes
// over REST: fieldManager is required for apply, force only for apply, the user agent names the
// manager of other writes, conflicts are kube's 409 Status, dry runs store nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { startTestKernel, type TestKernel } from '@skiff/kernel/testing';
import { createApiServer } from './server.ts';
import { apiClient } from './test-client.ts';

const TOKEN = 't';
let t: TestKernel;
let app: FastifyInstance;
let base: string;
const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';
const api = apiClient(() => base, TOKEN);
const APPLY = { 'content-type': 'application/apply-patch+yaml' };

const manifest = (replicas: number, image = 'nginx:1') =>
  `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ${image}
`;

beforeAll(async () => {
  t = await startTestKernel();
  app = await createApiServer({ kernel: t.kernel, tokens: [TOKEN] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await app?.close();
  await t?.stop();
});

describe('server-side apply over REST', () => {
  it('needs a fieldManager (422 on PatchOptions); a dry run stores nothing; then it creates', async () => {
    const none = await api('PATCH', `${DEPLOYS}/web`, manifest(1), APPLY);
    expect(none.status).toBe(422);
    expect(none.body.details.causes).toEqual([{ reason: 'FieldValueRequired', message: 'is required for apply patch', field: 'fieldManager' }]);
    const dry = await api('PATCH', `${DEPLOYS}/web?fieldManager=alice&dryRun=All`, manifest(1), APPLY);
    expect(dry.status).toBe(200);
    expect(dry.body.metadata.managedFields[0]).toMatchObject({ manager: 'alice', operation: 'Apply' });
    expect((await api('GET', `${DEPLOYS}/web`)).status).toBe(404);
    const created = await api('PATCH', `${DEPLOYS}/web?fieldManager=alice`, manifest(1), APPLY);
    expect([200, 201]).toContain(created.status);
    expect(created.body.spec.replicas).toBe(1);
  });

  it('names the manager of other writes from the user agent; force is for apply only', async () => {
    const scaled = await api('PATCH', `${DEPLOYS}/web`, { spec: { replicas: 4 } }, { 'content-type': 'application/merge-patch+json', 'user-agent': 'kubectl/v1.20.2 (linux/amd64) kubernetes/faecb19' });
    expect(scaled.status).toBe(200);
    const m = scaled.body.metadata.managedFields.find((e: any) => e.manager === 'kubectl');
    expect(m).toMatchObject({ operation: 'Update', apiVersion: 'apps/v1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } });
    const forcedMerge = await api('PATCH', `${DEPLOYS}/web?force=true`, { spec: { replicas: 5 } }, { 'content-type': 'application/merge-patch+json' });
    expect(forcedMerge.status).toBe(422);
    expect(forcedMerge.body.details.causes[0]).toMatchObject({ field: 'force' });
  });

  it('a conflict is kube 409 Status with a FieldManagerConflict cause; force=true takes the field', async () => {
    const r = await api('PATCH', `${DEPLOYS}/web?fieldManager=alice`, manifest(2), APPLY);
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Conflict',
      code: 409,
      message: 'Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.replicas',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl" using apps/v1', field: '.spec.replicas' }] },
    });
    const forced = await api('PATCH', `${DEPLOYS}/web?fieldManager=alice&force=true`, manifest(2), APPLY);
    expect(forced.status).toBe(200);
    expect(forced.body.spec.replicas).toBe(2);
    expect(forced.body.metadata.managedFields.map((e: any) => e.manager)).toEqual(['alice']);
  });

  it('applies to the status subresource: only status changes, owned with subresource status', async () => {
    const body = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 9}\nstatus: {observedGeneration: 1, replicas: 7}\n';
    const r = await api('PATCH', `${DEPLOYS}/web/status?fieldManager=ctrl`, body, APPLY);
    expect(r.status).toBe(200);
    const got = (await api('GET', `${DEPLOYS}/web`)).body;
    expect(got.status.replicas).toBe(7);
    expect(got.spec.replicas).toBe(2);
    expect(got.metadata.managedFields.find((e: any) => e.manager === 'ctrl')).toMatchObject({ operation: 'Apply', subresource: 'status', fieldsV1: { 'f:status': { 'f:observedGeneration': {}, 'f:replicas': {} } } });
  });

  it('refuses a configuration for another name or version with 400', async () => {
    expect((await api('PATCH', `${DEPLOYS}/other?fieldManager=alice`, manifest(1), APPLY)).status).toBe(400);
    expect((await api('PATCH', `${DEPLOYS}/web?fieldManager=alice`, manifest(1).replace('apps/v1', 'apps/v1beta2'), APPLY)).status).toBe(400);
  });
});
